"""CLI commands: users, imports, the invariant check and demo data."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from partsemble.csvio import CsvRejected

users = AppGroup("users", help="Create and list users.")
products = AppGroup("products", help="Products.")
lots = AppGroup("lots", help="Lots.")


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", default=None, help="Prefer --password-stdin: a password here lands in shell history.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--role", type=click.Choice(["admin", "member", "viewer"]), default="member", show_default=True)
@click.option("--name", default="")
def create_user(email: str, password: str | None, password_stdin: bool, role: str, name: str) -> None:
    """Create a user (the first admin is created this way)."""
    from partsemble.auth.services import UserError, create_user as create
    from partsemble.extensions import db

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise click.UsageError("Give --password or --password-stdin.")
    try:
        user = create(db.session, email, password, role, name)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.email} ({user.role}).")


@users.command("list")
def list_users() -> None:
    """List users with their roles."""
    from partsemble.auth.services import list_users as all_users
    from partsemble.extensions import db

    for user in all_users(db.session):
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.email}\t{user.role}\t{state}")


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


def _report_rejection(exc: CsvRejected) -> None:
    click.echo(f"Nothing was imported: {len(exc.problems)} problem(s).", err=True)
    for problem in exc.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@products.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_products(file: str) -> None:
    """Upsert products from FILE.csv (sku,name,type,unit[,accounting_item])."""
    from partsemble.extensions import db
    from partsemble.products.services import import_products as run

    try:
        result = run(db.session, _read(file))
    except CsvRejected as exc:
        _report_rejection(exc)
        return
    click.echo(f"{result.created} created, {result.updated} updated, {result.linked} linked.")


@lots.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_lots(file: str) -> None:
    """Receive lots from FILE.csv (sku,lot_number,received_date,quantity,unit_cost)."""
    from partsemble.extensions import db
    from partsemble.lots.services import import_lots as run
    from partsemble.validation import InputError

    try:
        received = run(db.session, _read(file), None)
    except CsvRejected as exc:
        _report_rejection(exc)
        return
    except InputError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{len(received)} lots received.")


@click.command("check")
@with_appcontext
def check() -> None:
    """Verify every invariant of the ledger and the sales; exit 1 on any violation."""
    from partsemble.extensions import db
    from partsemble.lots.check import find_violations

    problems = find_violations(db.session)
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        sys.exit(1)
    click.echo("All invariants hold.")


@click.command("sync")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--retry-failed", is_flag=True, help="Only re-read and retry the documents that failed before.")
@with_appcontext
def sync_command(as_json: bool, retry_failed: bool) -> None:
    """Run Sync Now from the command line (for cron).

    Exit status: 0 the sync ran (even with per-document errors), 1 it failed as
    a whole, 2 it could not start (not connected, another sync running).
    """
    import json

    from flask import current_app

    from partsemble.connections.source import open_source
    from partsemble.extensions import db
    from partsemble.models.sales import CHANNEL_NAMES, document_label
    from partsemble.sync.errors import SyncNotStarted
    from partsemble.sync.start import sync_now
    from partsemble.sync.summary import outcome_words

    try:
        summary = sync_now(db.session, current_app.config, open_source, trigger="cli", only_failed=retry_failed)
    except SyncNotStarted as exc:
        if as_json:
            click.echo(json.dumps({"outcome": "not_started", "message": str(exc)}))
        else:
            click.echo(str(exc), err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(summary.as_json()))
    else:
        click.echo(
            f"{summary.outcome_words}: created {summary.created}, updated {summary.updated}, voided {summary.voided}, "
            f"skipped {summary.skipped}, errors {summary.errors}, re-costed {summary.recosted}"
        )
        if len(summary.channels) > 1:
            for c in summary.channels:
                click.echo(
                    f"  {c.name}: {outcome_words(c.outcome, c.errors, c.message)}: read {c.fetched}, created {c.created}, "
                    f"updated {c.updated}, voided {c.voided}, skipped {c.skipped}, errors {c.errors}"
                )
        if summary.message:
            click.echo(summary.message)
        several = len(summary.channels) > 1
        for problem in summary.problems:
            where = f"{CHANNEL_NAMES[problem.channel]} " if several else ""
            number = problem.number or problem.external_id
            click.echo(
                f"  {where}{document_label(problem.channel, problem.type)} {number} ({problem.customer}): [{problem.code}] {problem.message}"
            )
    sys.exit(0 if summary.outcome == "succeeded" else 1)


qbo = AppGroup("qbo", help="The QuickBooks Online connection.")


@qbo.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt the stored tokens with PARTSEMBLE_TOKEN_KEY (keep the old key in PARTSEMBLE_TOKEN_KEY_PREVIOUS meanwhile)."""
    from flask import current_app

    from partsemble.connections.services import rotate_token_key
    from partsemble.extensions import db

    changed = rotate_token_key(db.session, current_app.config)
    click.echo("Tokens re-encrypted with the current key." if changed else "No stored tokens to re-encrypt.")


@qbo.command("refresh-items")
def refresh_items_command() -> None:
    """Copy the item list from QuickBooks (exit 1 when it cannot be read)."""
    from flask import current_app

    from partsemble.connections.source import open_source
    from partsemble.extensions import db
    from partsemble.sync.errors import SyncNotStarted
    from partsemble.sync.start import refresh_item_list

    try:
        result = refresh_item_list(db.session, current_app.config, open_source)
    except SyncNotStarted as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{result.total} items: {result.added} new, {result.changed} changed.")


def register(app: Flask) -> None:
    from partsemble.demo import demo_command
    from partsemble.ops.commands import register as register_ops

    app.cli.add_command(users)
    app.cli.add_command(products)
    app.cli.add_command(lots)
    app.cli.add_command(check)
    app.cli.add_command(demo_command)
    app.cli.add_command(sync_command)
    app.cli.add_command(qbo)
    register_ops(app)
