"""Migration 0010 (items per channel) upgrades a 0009 database whose products are linked to QuickBooks
items: the links stay, and a product may then be linked to one QuickBooks item and one Xero item, not
to two of one channel. Downgrading keeps the QuickBooks link of a product linked in both channels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from partsemble import MIGRATIONS_DIR, bind_migrations, create_app
from tests.conftest import PG_URL, base_config
from tests.scratch import scratch_database


@pytest.fixture
def app_at_0009(tmp_path: Path) -> Iterator[Flask]:
    with scratch_database(PG_URL, "partsemble_items") if PG_URL else _sqlite(tmp_path) as url:
        app = create_app(base_config(tmp_path, url))
        bind_migrations(app)
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR, revision="0009_sales_channels")
        yield app
        from partsemble.extensions import db

        with app.app_context():
            db.engine.dispose()


class _sqlite:  # noqa: N801  (a context manager standing in for scratch_database)
    def __init__(self, tmp_path: Path) -> None:
        self.url = "sqlite:///" + str(tmp_path / "at-0009.db")

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *exc: object) -> None:
        return None


def _add_item(conn: sa.Connection, source: str, external_id: str, name: str, product_id: int | None) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO accounting_items (source, external_id, name, item_type, active, product_id, not_tracked, refreshed_at) "
            "VALUES (:source, :external_id, :name, 'Inventory', true, :product_id, false, '2026-12-01 10:00:00')"
        ),
        {"source": source, "external_id": external_id, "name": name, "product_id": product_id},
    )


def _links(conn: sa.Connection) -> set[tuple[str, str, int | None]]:
    rows = conn.execute(sa.text("SELECT source, external_id, product_id FROM accounting_items")).all()
    return {(source, external_id, product_id) for source, external_id, product_id in rows}


def test_a_0009_link_survives_and_a_product_takes_one_item_of_each_channel(app_at_0009: Flask) -> None:
    from partsemble.extensions import db

    with app_at_0009.app_context():
        with db.engine.begin() as conn:
            for sku, name in (("CND-1", "Lavender Candle"), ("SOAP-1", "Oat Soap")):
                conn.execute(
                    sa.text(
                        "INSERT INTO products (name, sku, sku_key, type, unit, active, stock_on_hand, created_at, updated_at) "
                        "VALUES (:name, :sku, :key, 'finished_good', 'each', true, 0, '2026-12-01', '2026-12-01')"
                    ),
                    {"name": name, "sku": sku, "key": sku.casefold()},
                )
            candle, soap = conn.execute(sa.text("SELECT id FROM products ORDER BY sku")).scalars().all()
            _add_item(conn, "qbo", "41", "Lavender Candle", candle)
            _add_item(conn, "xero", "41", "Lavender Candle (Xero)", None)
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():  # before 0010: one item per product
                conn.execute(sa.text("UPDATE accounting_items SET product_id = :p WHERE source = 'xero'"), {"p": candle})
        upgrade(directory=MIGRATIONS_DIR, revision="0010_items_per_channel")
        with db.engine.begin() as conn:
            assert _links(conn) == {("qbo", "41", candle), ("xero", "41", None)}
            conn.execute(sa.text("UPDATE accounting_items SET product_id = :p WHERE source = 'xero'"), {"p": candle})
            _add_item(conn, "qbo", "42", "Candle, second QuickBooks item", None)
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():  # two QuickBooks items for one product
                conn.execute(sa.text("UPDATE accounting_items SET product_id = :p WHERE external_id = '42'"), {"p": candle})
            conn.execute(sa.text("UPDATE accounting_items SET product_id = :p WHERE external_id = '42'"), {"p": soap})
            assert _links(conn) == {("qbo", "41", candle), ("xero", "41", candle), ("qbo", "42", soap)}
        downgrade(directory=MIGRATIONS_DIR, revision="0009_sales_channels")
        with db.engine.begin() as conn:
            # The candle keeps its QuickBooks item; its Xero item is unlinked (kept, with its name).
            assert _links(conn) == {("qbo", "41", candle), ("xero", "41", None), ("qbo", "42", soap)}
            assert conn.execute(sa.text("SELECT name FROM accounting_items WHERE source = 'xero'")).scalar_one() == "Lavender Candle (Xero)"
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                conn.execute(sa.text("UPDATE accounting_items SET product_id = :p WHERE source = 'xero'"), {"p": candle})
