"""CLI commands for running Partsemble for real: `backup`, `config init`, `doctor`.

`config init` and `doctor` are added to the `partsemble` command itself (partsemble.cli),
not to the app's commands: they must answer when the app cannot start, which is exactly
when there is no env file or a setting is wrong.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from partsemble.config import ConfigError


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Copy the SQLite database to PATH while the app runs (PostgreSQL: use pg_dump)."""
    from partsemble.ops.backup import BackupError, backup_database

    try:
        result = backup_database(current_app.config["SQLALCHEMY_DATABASE_URI"], current_app.instance_path, path)
    except BackupError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    click.echo(f"Backed up to {result.path} ({result.size:,} bytes, {result.sales} sales; integrity check ok).")
    click.echo("Keep PARTSEMBLE_SECRET_KEY (or PARTSEMBLE_TOKEN_KEY) with it: the stored QuickBooks tokens need it.")


config_group = click.Group("config", help="The env file read by the web app, the CLI and cron.")


@config_group.command("init")
@click.option(
    "--path",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write it (default: PARTSEMBLE_CONFIG, else <instance>/partsemble.env).",
)
@click.option("--database-url", default="", help="Set PARTSEMBLE_DATABASE_URL in the file (default: SQLite in the instance folder).")
def config_init(target: Path | None, database_url: str) -> None:
    """Write an env file with a fresh secret key (mode 0600); never replaces one."""
    import os

    from partsemble import config
    from partsemble.ops.env_file import write_env_file

    path = target or config.env_file_path(os.environ, config.instance_path())
    try:
        write_env_file(path, database_url=database_url)
    except FileExistsError:
        raise click.ClickException(f"{path} exists; it is left as it is (its secret key protects the stored tokens).") from None
    click.echo(f"Wrote {path} (mode 0600) with a new PARTSEMBLE_SECRET_KEY.")
    if target is not None and path != config.env_file_path(os.environ, config.instance_path()):
        click.echo(f"Point the app at it: export PARTSEMBLE_CONFIG={path.resolve()}")


@click.command("doctor")
def doctor_command() -> None:
    """Print what is configured; exit 1 on what would break production (sandbox, debug, weak or missing secret key)."""
    from partsemble.ops.doctor import diagnose_environment

    try:
        report = diagnose_environment()
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    width = max(len(label) for label, _ in report.facts)
    for label, value in report.facts:
        click.echo(f"{label:<{width}}  {value}")
    for finding in report.findings:
        click.echo(f"{finding.level}: {finding.message}")
    if report.failed:
        click.echo("Not ready for production.", err=True)
        sys.exit(1)
    click.echo("Ready for production." if not report.findings else "Ready for production (see the warnings).")


def register(app: Flask) -> None:
    """The commands that need the app (its database)."""
    app.cli.add_command(backup_command)


def add_standalone_commands(group: click.Group) -> None:
    """The commands that work without the app, on the `partsemble` command itself."""
    group.add_command(config_group)
    group.add_command(doctor_command)
