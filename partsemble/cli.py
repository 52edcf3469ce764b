"""The `partsemble` console script: `flask --app partsemble` under our own name."""

from __future__ import annotations

from contextlib import suppress

import click
from flask import Flask
from flask.cli import FlaskGroup, NoAppException, ScriptInfo


def _create() -> Flask:
    from partsemble import create_app
    from partsemble.config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


class _Commands(FlaskGroup):
    """Flask's command group, with `db` (Flask-Migrate's commands) bound to the app only when it is
    asked for (partsemble.bind_migrations)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "db":
            from partsemble import bind_migrations

            with suppress(NoAppException):  # FlaskGroup reports it
                bind_migrations(ctx.ensure_object(ScriptInfo).load_app())
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "db"})


def main() -> None:
    from partsemble.ops.commands import add_standalone_commands
    from partsemble.ops.runtime import tune_garbage_collector

    tune_garbage_collector()
    group = _Commands(name="partsemble", create_app=_create, help="Partsemble command line.")
    add_standalone_commands(group)
    group(prog_name="partsemble")
