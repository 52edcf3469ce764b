"""Migration 0009 (sales channels) upgrades a 0008 database holding a QuickBooks connection: the
connection stays active with its tokens and cursor, and a Xero tenant id (36 characters) fits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from partsemble import MIGRATIONS_DIR, bind_migrations, create_app
from tests.conftest import PG_URL, base_config
from tests.scratch import scratch_database

TENANT = "a3f1c0de-5b2e-4c1a-9d7e-0f6b8a2c4e91"


@pytest.fixture
def app_at_0008(tmp_path: Path) -> Iterator[Flask]:
    with scratch_database(PG_URL, "partsemble_channels") if PG_URL else _sqlite(tmp_path) as url:
        app = create_app(base_config(tmp_path, url))
        bind_migrations(app)
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR, revision="0008_tracked_revenue")
        yield app
        from partsemble.extensions import db

        with app.app_context():
            db.engine.dispose()


class _sqlite:  # noqa: N801  (a context manager standing in for scratch_database)
    def __init__(self, tmp_path: Path) -> None:
        self.url = "sqlite:///" + str(tmp_path / "at-0008.db")

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *exc: object) -> None:
        return None


def test_a_0008_connection_upgrades_to_an_active_channel_that_keeps_its_cursor(app_at_0008: Flask) -> None:
    from partsemble.extensions import db

    with app_at_0008.app_context():
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO connections (provider, realm_id, company_name, status, access_token_enc, refresh_token_enc, "
                    "initial_sync_date, restock_credit_memos, synced_through, synced_from, status_message) VALUES "
                    "('qbo', '9130355377123', 'Juniper & Wick Co', 'connected', 'a-enc', 'r-enc', :initial, true, :through, :initial, '')"
                ),
                {"initial": date(2026, 1, 1), "through": datetime(2026, 2, 21, 9, 30)},
            )
        upgrade(directory=MIGRATIONS_DIR, revision="0009_sales_channels")
        with db.engine.begin() as conn:
            row = conn.execute(sa.text("SELECT active, refresh_token_enc, synced_through, synced_from FROM connections")).one()
            assert (bool(row.active), row.refresh_token_enc, str(row.synced_from)) == (True, "r-enc", "2026-01-01")
            assert str(row.synced_through).startswith("2026-02-21 09:30")
            conn.execute(
                sa.text(
                    "INSERT INTO connections (provider, realm_id, company_name, status, access_token_enc, refresh_token_enc, "
                    "restock_credit_memos, status_message) VALUES ('xero', :tenant, 'Demo', 'connected', '', '', true, '')"
                ),
                {"tenant": TENANT},
            )
            assert tuple(conn.execute(sa.text("SELECT realm_id, active FROM connections WHERE provider = 'xero'")).one()) == (TENANT, True)
            conn.execute(sa.text("DELETE FROM connections WHERE provider = 'xero'"))
        downgrade(directory=MIGRATIONS_DIR, revision="0008_tracked_revenue")
        with db.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("connections")}
            assert "active" not in columns
            assert conn.execute(sa.text("SELECT refresh_token_enc FROM connections")).scalar_one() == "r-enc"
