"""`flask sandbox ...`: seed, generate, reset, faults and counters of the sandbox company."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import click
from flask.cli import AppGroup

from partsemble.sandbox import faults
from partsemble.sandbox.blueprints import current_company
from partsemble.sandbox.bulk import BadGeneration
from partsemble.sandbox.clock import local_date, now_us
from partsemble.sandbox.seed import CompanyNotEmpty

sandbox_cli = AppGroup("sandbox", help="The embedded QuickBooks Online sandbox company.")
faults_cli = AppGroup("faults", help="Inject faults into the sandbox API.")
sandbox_cli.add_command(faults_cli)


class DecimalParam(click.ParamType):
    name = "decimal"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        try:
            return value if isinstance(value, Decimal) else Decimal(str(value))
        except InvalidOperation:
            self.fail(f"{value!r} is not a number", param, ctx)


DECIMAL = DecimalParam()
DAY = click.DateTime(formats=["%Y-%m-%d"])


@sandbox_cli.command("seed-demo")
@click.option("--today", type=DAY, default=None, help="Date the demo ends at (default: today, company time).")
def seed_demo_command(today: Any) -> None:
    """Seed the Juniper & Wick Co. demo company (does nothing if already seeded)."""
    try:
        summary = current_company().seed_demo(today.date() if today else local_date(now_us()))
    except CompanyNotEmpty as error:
        raise click.ClickException(str(error)) from error
    verb = "Seeded" if summary.created else "Already seeded:"
    click.echo(
        f"{verb} {', '.join(f'{n} {e}' for e, n in summary.documents.items())}; "
        f"voided invoice {summary.voided_invoice}, deleted invoice {summary.deleted_invoice}."
    )


@sandbox_cli.command("generate")
@click.argument("n", type=click.IntRange(min=1))
@click.option("--start", type=DAY, default=None, help="First document date (default: a year before --end).")
@click.option("--end", type=DAY, default=None, help="Last document date (default: today).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--products", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--credit-memo-share", type=DECIMAL, default="0.05", show_default=True)
@click.option("--void-share", type=DECIMAL, default="0.02", show_default=True)
@click.option("--unlinked-share", type=DECIMAL, default="0.01", show_default=True)
@click.option("--lines-avg", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--system", type=click.Choice(["qbo", "xero"]), default="qbo", show_default=True, help="The accounting system they live in.")
def generate_command(
    n: int,
    start: Any,
    end: Any,
    seed: int,
    products: int,
    credit_memo_share: Decimal,
    void_share: Decimal,
    unlinked_share: Decimal,
    lines_avg: int,
    system: str,
) -> None:
    """Add N synthetic documents (for benchmarks), in QuickBooks or in Xero."""
    last = end.date() if end else local_date(now_us())
    first = start.date() if start else last - timedelta(days=365)
    began = time.perf_counter()
    try:
        summary = current_company().generate(
            n,
            start=first,
            end=last,
            seed=seed,
            products=products,
            credit_memo_share=credit_memo_share,
            void_share=void_share,
            unlinked_share=unlinked_share,
            lines_avg=lines_avg,
            system=system,
        )
    except BadGeneration as error:
        raise click.ClickException(str(error)) from error
    elapsed = time.perf_counter() - began
    click.echo(
        f"Generated {n} {'Xero ' if system == 'xero' else ''}documents ({summary.documents}, {summary.voided} voided), "
        f"ids {summary.first_id}-{summary.last_id}, in {elapsed:.1f} s."
    )


@sandbox_cli.command("reset")
@click.confirmation_option(prompt="Delete every document, item, customer, token and fault of the sandbox?")
def reset_command() -> None:
    """Empty the sandbox company."""
    current_company().reset()
    click.echo("Sandbox company emptied.")


@sandbox_cli.command("counters")
@click.option("--reset", is_flag=True, help="Zero the counters and clear the request log.")
def counters_command(reset: bool) -> None:
    """Show the API request counters."""
    company = current_company()
    if reset:
        company.reset_counters()
        click.echo("Counters reset.")
        return
    for name, value in sorted(company.counters().items()):
        click.echo(f"{name:30} {value}")


@sandbox_cli.command("token")
@click.option("--client-id", default="sandbox-cli", show_default=True)
def token_command(client_id: str) -> None:
    """Print a fresh access and refresh token (for curl)."""
    pair = current_company().issue_tokens(client_id)
    click.echo(f"access_token={pair.access_token}\nrefresh_token={pair.refresh_token}")


@sandbox_cli.command("move")
@click.argument("system", type=click.Choice(["qbo", "xero"]))
@click.option("--share", type=DECIMAL, default="1", show_default=True, help="Share of the live documents in the other system to move.")
@click.option("--seed", type=int, default=1, show_default=True)
def move_command(system: str, share: Decimal, seed: int) -> None:
    """Move live documents (all, or a seeded random share) into SYSTEM, e.g. the demo's into Xero."""
    try:
        moved = current_company().move_share(system, share, seed=seed)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Moved {moved} documents into {system}.")


@sandbox_cli.command("xero-token")
@click.option("--client-id", default="sandbox-cli", show_default=True)
def xero_token_command(client_id: str) -> None:
    """Print a fresh Xero access and refresh token and the demo organisation's tenant id (for curl)."""
    from partsemble.sandbox.xero.schema import DEMO_ORGANISATION

    tokens = current_company().issue_xero_tokens(client_id)
    click.echo(f"access_token={tokens.access_token}\nrefresh_token={tokens.refresh_token}\nxero_tenant_id={DEMO_ORGANISATION.tenant_id}")


@faults_cli.command("list")
def faults_list() -> None:
    """Show the fault rules in the order they are checked."""
    rules = current_company().faults()
    for rule in rules:
        click.echo(f"#{rule.id}  {rule.describe()}")
    if not rules:
        click.echo("No faults.")


@faults_cli.command("add")
@click.argument("family", type=click.Choice(faults.FAMILIES))
@click.argument("kind", type=click.Choice(list(faults.KINDS)))
@click.option("--on", "ordinals", default="", help="Request numbers, e.g. 2,5 (the 2nd and 5th of the family).")
@click.option("--probability", type=DECIMAL, default=None)
@click.option("--retry-after", type=click.IntRange(min=0), default=60, show_default=True)
@click.option("--delay", type=DECIMAL, default="0", show_default=True, help="Seconds, for slow.")
def faults_add(family: str, kind: str, ordinals: str, probability: Decimal | None, retry_after: int, delay: Decimal) -> None:
    """Add a fault rule."""
    try:
        rule = current_company().add_fault(
            family, kind, probability=probability, ordinals=faults.parse_ordinals(ordinals), retry_after=retry_after, delay=delay
        )
    except faults.BadFaultRule as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"#{rule.id}  {rule.describe()}")


@faults_cli.command("remove")
@click.argument("rule_id", type=int)
def faults_remove(rule_id: int) -> None:
    current_company().remove_fault(rule_id)
    click.echo(f"Removed #{rule_id}.")


@faults_cli.command("clear")
def faults_clear() -> None:
    current_company().clear_faults()
    click.echo("No faults.")


@faults_cli.command("seed")
@click.argument("value", type=int)
def faults_seed(value: int) -> None:
    """Seed the RNG behind fault probabilities."""
    current_company().set_fault_seed(value)
    click.echo(f"Fault seed {value}.")
