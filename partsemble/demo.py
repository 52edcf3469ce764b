"""Demo data: a small candle and soap maker, Juniper & Wick Co."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from partsemble.extensions import db

DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "partsemble-demo"

# sku, name, type, unit
PRODUCTS = [
    ("CND-LAV-8", "Lavender Candle 8oz", "finished_good", "each"),
    ("CND-CED-8", "Cedar Candle 8oz", "finished_good", "each"),
    ("CND-CIT-16", "Citrus Candle 16oz", "finished_good", "each"),
    ("SOAP-LAV-200", "Lavender Soap 200g", "finished_good", "each"),
    ("SOAP-OAT-200", "Oatmeal Soap 200g", "finished_good", "each"),
    ("GIFT-RELAX", "Relaxation Gift Set", "finished_good", "each"),
    ("WAX-SOY", "Soy Wax", "raw_material", "kg"),
    ("OIL-LAV", "Lavender Essential Oil", "raw_material", "ml"),
    ("WICK-COT", "Cotton Wick", "component", "each"),
    ("JAR-8", "Glass Jar 8oz", "component", "each"),
    ("LABEL-STD", "Printed Label", "component", "each"),
    ("SOAP-BASE", "Soap Base Block", "sub_assembly", "kg"),
]

# sku -> [(days ago, quantity, unit cost)]; different costs so FIFO shows.
LOTS = {
    "CND-LAV-8": [(120, "220", "4.85"), (60, "200", "5.10"), (15, "200", "5.35")],
    "CND-CED-8": [(110, "250", "4.60"), (45, "260", "4.95")],
    "CND-CIT-16": [(100, "200", "7.20"), (50, "200", "7.45"), (10, "180", "7.90")],
    "SOAP-LAV-200": [(95, "200", "1.95"), (30, "200", "2.10")],
    "SOAP-OAT-200": [(90, "180", "1.80"), (40, "150", "1.88"), (12, "150", "1.92")],
    # Slightly short on purpose: the last gift sets sell before the next batch, costed at average.
    "GIFT-RELAX": [(85, "110", "14.50"), (35, "95", "15.25")],
    "WAX-SOY": [(130, "500", "3.40"), (70, "400", "3.55")],
    "OIL-LAV": [(125, "5000", "0.09")],
    "WICK-COT": [(140, "2000", "0.07")],
    "JAR-8": [(135, "1200", "0.62"), (65, "800", "0.66")],
    "LABEL-STD": [(150, "5000", "0.045")],
    "SOAP-BASE": [(100, "120", "5.20")],
}

# The sandbox company's item Ids (partsemble.sandbox seed) for the demo links.
# Item 4, Lavender Soap 200g, is left unlinked on purpose: the first sync shows
# how a document that needs it fails, and how to fix it.
SANDBOX_ITEM_LINKS = {
    "1": ("Lavender Candle 8oz", "CND-LAV-8", "Inventory", "CND-LAV-8"),
    "2": ("Cedar Candle 8oz", "CND-CED-8", "Inventory", "CND-CED-8"),
    "3": ("Citrus Candle 16oz", "CND-CIT-16", "Inventory", "CND-CIT-16"),
    "5": ("Oatmeal Soap 200g", "SOAP-OAT-200", "Inventory", "SOAP-OAT-200"),
    "6": ("Relaxation Gift Set", "GIFT-RELAX", "NonInventory", "GIFT-RELAX"),
    "7": ("Soy Wax 1kg", "WAX-SOY", "Inventory", "WAX-SOY"),
}


def load_demo(today: date | None = None) -> bool:
    """Create the demo admin, products and lots; False when the catalog already has products."""
    from partsemble.auth.services import create_user
    from partsemble.lots.services import LotInput, receive_lot
    from partsemble.models.accounts import User
    from partsemble.models.catalog import Product
    from partsemble.products.services import ProductInput, create_product

    today = today or date.today()
    if db.session.scalar(select(User.id).where(User.email == DEMO_EMAIL)) is None:
        create_user(db.session, DEMO_EMAIL, DEMO_PASSWORD, "admin", "Demo Admin")
    if db.session.scalar(select(Product.id).limit(1)) is not None:
        return False
    ids = {}
    for sku, name, kind, unit in PRODUCTS:
        ids[sku] = create_product(db.session, ProductInput(name, sku, kind, unit)).id
    for sku, lots in LOTS.items():
        for days_ago, quantity, cost in lots:
            received = today - timedelta(days=days_ago)
            receive_lot(
                db.session,
                LotInput(
                    ids[sku],
                    "",
                    received,
                    Decimal(quantity),
                    Decimal(cost),
                    "build" if sku.startswith(("CND", "SOAP", "GIFT")) else "receipt",
                ),
                None,
            )
    return True


def link_sandbox_items() -> int:
    """Record the sandbox company's items and link them as a first connection would have."""
    from partsemble.models.catalog import AccountingItem, Product
    from partsemble.models.transactions import write_transaction

    linked = 0
    with write_transaction(db.session):
        for external_id, (name, sku, item_type, product_sku) in SANDBOX_ITEM_LINKS.items():
            if db.session.scalar(select(AccountingItem.id).where(AccountingItem.external_id == external_id)) is not None:
                continue
            product_id = db.session.scalar(select(Product.id).where(Product.sku == product_sku))
            db.session.add(
                AccountingItem(source="qbo", external_id=external_id, name=name, sku=sku, item_type=item_type, product_id=product_id)
            )
            linked += 1
    return linked


def seed_sandbox(database_url: str, today: date) -> bool:
    """The demo company in the embedded QuickBooks sandbox; False when it was seeded before."""
    from partsemble.sandbox import SandboxCompany
    from partsemble.sandbox.seed import CompanyNotEmpty

    company = SandboxCompany.open(database_url)
    try:
        return company.seed_demo(today).created
    except CompanyNotEmpty:
        return False
    finally:
        company.close()


@click.command("demo")
@click.option("--today", default=None, help="Pretend today is this date (YYYY-MM-DD).")
@click.option(
    "--url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where the app is served, for the printed login step (make demo passes its HOST and PORT).",
)
@with_appcontext
def demo_command(today: str | None, url: str) -> None:
    """Load the demo business and, with the sandbox on, its QuickBooks company (idempotent)."""
    from flask import current_app

    from partsemble.sandbox.clock import local_date, now_us

    # The sandbox company keeps QuickBooks' US Pacific calendar; seeded on the machine's (UTC) date,
    # the evening there would date the demo's last documents hours ahead of its clock.
    day = date.fromisoformat(today) if today else local_date(now_us())
    loaded = load_demo(day)
    click.echo("Demo business loaded." if loaded else "Demo business already present; left as it is.")
    if current_app.config.get("SANDBOX"):
        seeded = seed_sandbox(current_app.config["SANDBOX_DATABASE_URL"], day)
        link_sandbox_items()
        click.echo("Sandbox QuickBooks company seeded." if seeded else "Sandbox QuickBooks company already seeded.")
    click.echo("")
    click.echo(f"  Log in at {url.rstrip('/')} as {DEMO_EMAIL} with the password {DEMO_PASSWORD}")
    if current_app.config.get("SANDBOX"):
        for step in sandbox_steps(day):
            click.echo(step)
    click.echo("")


def sandbox_steps(day: date) -> list[str]:
    """The printed steps after the login: connect (with the initial sync date to keep), sync, fix."""
    from partsemble.connections.services import suggested_initial_sync_date
    from partsemble.sandbox.demo_catalog import catalog_start

    since = min(suggested_initial_sync_date(day), catalog_start(day)).isoformat()
    return [
        f"  Then: 1. Settings > Connect QuickBooks Online: check that the initial sync date is {since} or earlier",
        "           (sales dated before it are not pulled; it can be moved earlier later), then Approve",
        "           (the local sandbox company)",
        "        2. Sales > Sync Now",
        "        3. Fix the error: link 'Lavender Soap 200g' to the Lavender Soap product",
    ]
