"""A database made by the first release (migration 0001), with a business in it, upgrades to
the head of today's migrations and still passes `partsemble check` (SQLite, or PostgreSQL
when PARTSEMBLE_TEST_DATABASE_URL is set).

The 0001 data is written with SQL valid at 0001, not with today's models: the models follow
head, and a later migration that renames or reshapes a column must still carry this data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade

from partsemble import MIGRATIONS_DIR, bind_migrations, create_app
from tests.conftest import PG_URL, base_config
from tests.scratch import scratch_database

# Scales of the scaled-integer columns at 0001 (models.base: Quantity 4 places, money and unit costs 6).
QUANTITY, MONEY, RATE = 4, 6, 8
SYNCED_AT = datetime(2026, 2, 21, 9, 30)


def scaled(value: str, places: int) -> int:
    return int(Decimal(value).scaleb(places))


def insert(conn: sa.Connection, table: str, **values: object) -> int:
    columns = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    return int(conn.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({params}) RETURNING id"), values).scalar_one())


def stock_row(
    conn: sa.Connection,
    kind: str,
    product: int,
    lot: int,
    quantity: str,
    unit_cost: str,
    day: date,
    sale: int | None = None,
    run: int | None = None,
) -> None:
    insert(
        conn,
        "stock_transactions",
        type=kind,
        product_id=product,
        lot_id=lot,
        quantity=scaled(quantity, QUANTITY),
        unit_cost=scaled(unit_cost, MONEY),
        value=scaled(str(Decimal(quantity) * Decimal(unit_cost)), MONEY),
        business_date=day,
        occurred_at=datetime.combine(day, datetime.min.time()),
        user_id=None,
        sale_id=sale,
        sync_run_id=run,
        reason=None,
        note="",
    )


def write_sale(
    conn: sa.Connection,
    run: int,
    external_id: str,
    number: str,
    day: date,
    product: int,
    quantity: str,
    price: str,
    draws: list[tuple[int, str, str]],
) -> int:
    """An invoice of one line, costed by `draws` (lot id, quantity, unit cost) oldest lot first, as 0001's code stored it."""
    revenue = Decimal(quantity) * Decimal(price)
    cost = sum((Decimal(q) * Decimal(c) for _, q, c in draws), Decimal(0))
    sale = insert(
        conn,
        "sales",
        source="qbo",
        external_type="Invoice",
        external_id=external_id,
        version="0",
        doc_number=number,
        customer_ref="C1",
        customer_name="Alder Market",
        txn_date=day,
        source_created_at=SYNCED_AT,
        source_updated_at=SYNCED_AT,
        currency="USD",
        exchange_rate=scaled("1", RATE),
        status="active",
        revenue=scaled(str(revenue), MONEY),
        cost=scaled(str(cost), MONEY),
        margin=scaled(str(revenue - cost), MONEY),
        shortage=False,
        no_cost_basis=False,
        notes="",
        created_by_id=None,
        last_sync_run_id=run,
        created_at=SYNCED_AT,
        updated_at=SYNCED_AT,
    )
    line = insert(
        conn,
        "sale_lines",
        sale_id=sale,
        position=1,
        kind="tracked",
        skip_reason="",
        product_id=product,
        item_external_id="1",
        item_name="Lavender Candle",
        description="",
        quantity=scaled(quantity, QUANTITY),
        unit_price=scaled(price, MONEY),
        amount=scaled(str(revenue), MONEY),
        discount=0,
        revenue=scaled(str(revenue), MONEY),
        cost=scaled(str(cost), MONEY),
        margin=scaled(str(revenue - cost), MONEY),
        shortage_quantity=0,
        shortage_unit_cost=0,
        shortage_cost=0,
        no_cost_basis=False,
        return_lot_id=None,
    )
    for lot, drawn, unit_cost in draws:
        insert(
            conn,
            "lot_consumptions",
            sale_line_id=line,
            sale_id=sale,
            lot_id=lot,
            quantity=scaled(drawn, QUANTITY),
            unit_cost=scaled(unit_cost, MONEY),
        )
        stock_row(conn, "SALE", product, lot, f"-{drawn}", unit_cost, day, sale=sale, run=run)
    insert(
        conn,
        "sale_revisions",
        sale_id=sale,
        version="0",
        action="created",
        summary=f"Invoice {number}",
        applied_at=SYNCED_AT,
        sync_run_id=run,
        user_id=None,
    )
    return sale


def write_business_at_0001(conn: sa.Connection, encrypted_tokens: tuple[str, str]) -> None:
    """A candle maker after one sync: two lots, two invoices drawn FIFO, a failed invoice, a connection."""
    admin = insert(
        conn,
        "users",
        email="owner@example.com",
        name="Owner",
        password_hash="scrypt:32768:8:1$x$y",
        role="admin",
        active=True,
        session_version=1,
        created_at=SYNCED_AT,
        last_login_at=None,
    )
    candle = insert(
        conn,
        "products",
        name="Lavender Candle",
        sku="CND-LAV",
        sku_key="cnd-lav",
        type="finished_good",
        unit="each",
        active=True,
        stock_on_hand=scaled("40", QUANTITY),
        created_at=SYNCED_AT,
        updated_at=SYNCED_AT,
    )
    insert(
        conn,
        "accounting_items",
        source="qbo",
        external_id="1",
        name="Lavender Candle",
        sku="CND-LAV",
        item_type="Inventory",
        active=True,
        product_id=candle,
        not_tracked=False,
        refreshed_at=SYNCED_AT,
    )
    insert(
        conn,
        "accounting_items",
        source="qbo",
        external_id="4",
        name="Oat Soap",
        sku=None,
        item_type="Inventory",
        active=True,
        product_id=None,
        not_tracked=False,
        refreshed_at=SYNCED_AT,
    )
    lots = {}
    for number, day, received, remaining, unit_cost, status in (
        ("L-JAN", date(2026, 1, 5), "100", "0", "2.50", "exhausted"),
        ("L-FEB", date(2026, 2, 1), "50", "40", "3.00", "active"),
    ):
        lots[number] = insert(
            conn,
            "lots",
            product_id=candle,
            lot_number=number,
            received_date=day,
            quantity_received=scaled(received, QUANTITY),
            quantity_remaining=scaled(remaining, QUANTITY),
            unit_cost=scaled(unit_cost, MONEY),
            source="build",
            status=status,
            note="",
            sale_id=None,
            created_at=SYNCED_AT,
            created_by_id=admin,
        )
        stock_row(conn, "RECEIVE", candle, lots[number], received, unit_cost, day)
    run = insert(
        conn,
        "sync_runs",
        user_id=admin,
        started_by="owner@example.com",
        trigger="button",
        status="succeeded",
        started_at=SYNCED_AT,
        finished_at=SYNCED_AT,
        heartbeat_at=SYNCED_AT,
        window_start=None,
        window_end=SYNCED_AT,
        fetched=3,
        processed=3,
        created=2,
        updated=0,
        voided=0,
        skipped=0,
        errors=1,
        message="2 created, 1 needs attention",
    )
    write_sale(conn, run, "101", "1001", date(2026, 2, 10), candle, "60", "10.00", [(lots["L-JAN"], "60", "2.50")])
    write_sale(
        conn, run, "102", "1002", date(2026, 2, 20), candle, "50", "10.00", [(lots["L-JAN"], "40", "2.50"), (lots["L-FEB"], "10", "3.00")]
    )
    failure = dict(
        external_type="Invoice",
        external_id="103",
        doc_number="1003",
        customer_name="Birch & Co",
        txn_date=date(2026, 2, 21),
        code="item_not_linked",
        message="Item 'Oat Soap' is not linked to a product",
        item_external_id="4",
        item_name="Oat Soap",
    )
    insert(conn, "failed_documents", source="qbo", first_failed_at=SYNCED_AT, last_failed_at=SYNCED_AT, attempts=1, **failure)
    insert(conn, "sync_errors", run_id=run, **failure)
    insert(
        conn,
        "connections",
        provider="qbo",
        realm_id="9130355",
        company_name="Juniper & Wick Co",
        status="connected",
        access_token_enc=encrypted_tokens[0],
        refresh_token_enc=encrypted_tokens[1],
        access_expires_at=SYNCED_AT,
        refresh_expires_at=datetime(2026, 5, 1),
        last_refreshed_at=SYNCED_AT,
        initial_sync_date=date(2026, 1, 1),
        restock_credit_memos=False,
        connected_at=SYNCED_AT,
        connected_by_id=admin,
        synced_through=SYNCED_AT,
        status_message="",
    )


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    if not PG_URL:
        yield "sqlite:///" + str(tmp_path / "release-0001.db")
        return
    with scratch_database(PG_URL, "partsemble_upgrade") as url:
        yield url


@pytest.fixture
def app_at_0001(empty_database: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(base_config(tmp_path, empty_database))
    bind_migrations(app)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR, revision="0001")
    yield app
    from partsemble.extensions import db

    with app.app_context():
        db.engine.dispose()


def head_revision() -> str:
    config = Config(str(Path(MIGRATIONS_DIR) / "alembic.ini"))
    config.set_main_option("script_location", MIGRATIONS_DIR)
    return ScriptDirectory.from_config(config).get_current_head() or ""


def test_a_release_0001_database_with_a_business_upgrades_to_head_and_passes_check(app_at_0001: Flask) -> None:
    from partsemble.connections.tokens import TokenCipher
    from partsemble.extensions import db
    from partsemble.models.catalog import Product
    from partsemble.models.sales import Sale
    from partsemble.models.sync import Connection, FailedDocument

    cipher = TokenCipher(app_at_0001.config)
    with app_at_0001.app_context():
        with db.engine.begin() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == "0001"
            write_business_at_0001(conn, (cipher.encrypt("access-0001"), cipher.encrypt("refresh-0001")))
        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == head_revision()

    result = app_at_0001.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "All invariants hold." in result.output

    with app_at_0001.app_context():
        session = db.session
        assert session.scalar(sa.select(Product.stock_on_hand).where(Product.sku == "CND-LAV")) == Decimal("40")
        costs = dict(session.execute(sa.select(Sale.doc_number, Sale.cost).order_by(Sale.doc_number)).tuples().all())
        assert costs == {"1001": Decimal("150.00"), "1002": Decimal("130.00")}
        failed = session.scalars(sa.select(FailedDocument)).all()
        assert [(f.doc_number, f.code) for f in failed] == [("1003", "item_not_linked")]
        connection = session.scalars(sa.select(Connection)).one()
        # The tokens were encrypted before the upgrade and must still open with the same key.
        assert (cipher.decrypt(connection.access_token_enc), cipher.decrypt(connection.refresh_token_enc)) == (
            "access-0001",
            "refresh-0001",
        )
        session.remove()


def test_sales_costed_in_entry_order_before_the_upgrade_are_recosted_once_in_date_order(app_at_0001: Flask) -> None:
    """Invoice 1002 (Feb 20) was synced before invoice 1001 (Feb 10) and took the January lot;
    the old code then gave 1001 what was left. The upgrade re-costs both in date order, with history."""
    from partsemble.extensions import db
    from partsemble.models.sales import Sale, SaleRevision

    with app_at_0001.app_context():
        with db.engine.begin() as conn:
            candle = insert(
                conn,
                "products",
                name="Lavender Candle",
                sku="CND-LAV",
                sku_key="cnd-lav",
                type="finished_good",
                unit="each",
                active=True,
                stock_on_hand=scaled("40", QUANTITY),
                created_at=SYNCED_AT,
                updated_at=SYNCED_AT,
            )
            lots = {}
            for number, day, remaining, unit_cost, status in (
                ("L-JAN", date(2026, 1, 5), "0", "2.50", "exhausted"),
                ("L-FEB", date(2026, 2, 1), "40", "3.00", "active"),
            ):
                received = "100" if number == "L-JAN" else "50"
                lots[number] = insert(
                    conn,
                    "lots",
                    product_id=candle,
                    lot_number=number,
                    received_date=day,
                    quantity_received=scaled(received, QUANTITY),
                    quantity_remaining=scaled(remaining, QUANTITY),
                    unit_cost=scaled(unit_cost, MONEY),
                    source="build",
                    status=status,
                    note="",
                    sale_id=None,
                    created_at=SYNCED_AT,
                    created_by_id=None,
                )
                stock_row(conn, "RECEIVE", candle, lots[number], received, unit_cost, day)
            run = insert(
                conn,
                "sync_runs",
                user_id=None,
                started_by="",
                trigger="cli",
                status="succeeded",
                started_at=SYNCED_AT,
                finished_at=SYNCED_AT,
                heartbeat_at=SYNCED_AT,
                window_start=None,
                window_end=SYNCED_AT,
                fetched=2,
                processed=2,
                created=2,
                updated=0,
                voided=0,
                skipped=0,
                errors=0,
                message="",
            )
            write_sale(conn, run, "102", "1002", date(2026, 2, 20), candle, "50", "10.00", [(lots["L-JAN"], "50", "2.50")])
            write_sale(
                conn,
                run,
                "101",
                "1001",
                date(2026, 2, 10),
                candle,
                "60",
                "10.00",
                [(lots["L-JAN"], "50", "2.50"), (lots["L-FEB"], "10", "3.00")],
            )
        upgrade(directory=MIGRATIONS_DIR)
    result = app_at_0001.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output
    with app_at_0001.app_context():
        session = db.session
        costs = dict(session.execute(sa.select(Sale.doc_number, Sale.cost)).tuples().all())
        assert costs == {"1001": Decimal("150.00"), "1002": Decimal("130.00")}  # were 155 and 125
        history = dict(
            session.execute(
                sa.select(Sale.doc_number, SaleRevision.summary)
                .join(Sale, Sale.id == SaleRevision.sale_id)
                .where(SaleRevision.action == "recosted")
            )
            .tuples()
            .all()
        )
        assert history == {
            "1001": "Cost 155.00 → 150.00: re-costed in date order (upgrade to date-order costing)",
            "1002": "Cost 125.00 → 130.00: re-costed in date order (upgrade to date-order costing)",
        }
        session.remove()


def test_sales_counted_with_their_skipped_lines_before_the_upgrade_count_their_tracked_lines_only(app_at_0001: Flask) -> None:
    """Invoice 1001 sold 60 candles for 600 and charged 40 shipping (a skipped line); a credit memo gave
    back 15 shipping. Before 0008 both were revenue. After it the invoice's revenue is 600 (margin 450),
    the credit memo's 0, and each keeps its old figure as the document total."""
    from partsemble.extensions import db
    from partsemble.models.sales import Sale, SaleLine

    with app_at_0001.app_context():
        with db.engine.begin() as conn:
            candle = insert(
                conn,
                "products",
                name="Lavender Candle",
                sku="CND-LAV",
                sku_key="cnd-lav",
                type="finished_good",
                unit="each",
                active=True,
                stock_on_hand=scaled("40", QUANTITY),
                created_at=SYNCED_AT,
                updated_at=SYNCED_AT,
            )
            lot = insert(
                conn,
                "lots",
                product_id=candle,
                lot_number="L-JAN",
                received_date=date(2026, 1, 5),
                quantity_received=scaled("100", QUANTITY),
                quantity_remaining=scaled("40", QUANTITY),
                unit_cost=scaled("2.50", MONEY),
                source="build",
                status="active",
                note="",
                sale_id=None,
                created_at=SYNCED_AT,
                created_by_id=None,
            )
            stock_row(conn, "RECEIVE", candle, lot, "100", "2.50", date(2026, 1, 5))
            run = insert(
                conn,
                "sync_runs",
                user_id=None,
                started_by="",
                trigger="cli",
                status="succeeded",
                started_at=SYNCED_AT,
                finished_at=SYNCED_AT,
                heartbeat_at=SYNCED_AT,
                window_start=None,
                window_end=SYNCED_AT,
                fetched=2,
                processed=2,
                created=2,
                updated=0,
                voided=0,
                skipped=0,
                errors=0,
                message="",
            )
            invoice = write_sale(conn, run, "101", "1001", date(2026, 2, 10), candle, "60", "10.00", [(lot, "60", "2.50")])
            conn.execute(
                sa.text("UPDATE sales SET revenue = :r, margin = :m WHERE id = :id"),
                {"r": scaled("640", MONEY), "m": scaled("490", MONEY), "id": invoice},
            )
            credit = insert(
                conn,
                "sales",
                source="qbo",
                external_type="CreditMemo",
                external_id="7",
                version="0",
                doc_number="CM-7",
                customer_ref="C1",
                customer_name="Alder Market",
                txn_date=date(2026, 2, 11),
                source_created_at=SYNCED_AT,
                source_updated_at=SYNCED_AT,
                currency="USD",
                exchange_rate=scaled("1", RATE),
                status="active",
                revenue=scaled("-15", MONEY),
                cost=0,
                margin=scaled("-15", MONEY),
                shortage=False,
                no_cost_basis=False,
                notes="",
                created_by_id=None,
                last_sync_run_id=run,
                created_at=SYNCED_AT,
                updated_at=SYNCED_AT,
            )
            for sale, position, amount, revenue in ((invoice, 2, "40", "40"), (credit, 1, "15", "-15")):
                insert(
                    conn,
                    "sale_lines",
                    sale_id=sale,
                    position=position,
                    kind="skipped",
                    skip_reason="Service item: not stock",
                    product_id=None,
                    item_external_id="8",
                    item_name="Shipping",
                    description="",
                    quantity=0,
                    unit_price=0,
                    amount=scaled(amount, MONEY),
                    discount=0,
                    revenue=scaled(revenue, MONEY),
                    cost=0,
                    margin=scaled(revenue, MONEY),
                    shortage_quantity=0,
                    shortage_unit_cost=0,
                    shortage_cost=0,
                    no_cost_basis=False,
                    return_lot_id=None,
                )
        upgrade(directory=MIGRATIONS_DIR)
    result = app_at_0001.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 0, result.output
    with app_at_0001.app_context():
        session = db.session
        figures = {
            number: (revenue, cost, margin, total)
            for number, revenue, cost, margin, total in session.execute(
                sa.select(Sale.doc_number, Sale.revenue, Sale.cost, Sale.margin, Sale.document_total)
            )
        }
        assert figures == {
            "1001": (Decimal(600), Decimal(150), Decimal(450), Decimal(640)),
            "CM-7": (Decimal(0), Decimal(0), Decimal(0), Decimal(-15)),
        }
        shipping = session.execute(
            sa.select(SaleLine.amount, SaleLine.revenue, SaleLine.margin).where(SaleLine.kind == "skipped").order_by(SaleLine.id)
        ).all()
        assert shipping == [(Decimal(40), Decimal(0), Decimal(0)), (Decimal(15), Decimal(0), Decimal(0))]
        session.remove()
