"""Migration 0011 (channel runs) upgrades a 0010 database with sync history: every run becomes a
run with one QuickBooks channel row holding its counts and window (a run left running by a stopped
process reads "failed"), its problems stay QuickBooks problems, and the deletion bound the next sync
takes from an unfinished run (sync.fetch.deletions_wanted) is the same before and after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from partsemble import MIGRATIONS_DIR, bind_migrations, create_app
from tests.conftest import PG_URL, base_config
from tests.scratch import scratch_database

RUN = (
    "INSERT INTO sync_runs (id, user_id, started_by, trigger, status, started_at, heartbeat_at, window_start, window_end, "
    "fetched, processed, created, updated, voided, skipped, errors, recosted, message) VALUES "
    "(:id, NULL, 'ana@example.com', 'web', :status, :at, :at, :start, :end, 7, 6, 3, 1, 1, 1, 1, 2, :message)"
)
STARTED = datetime(2026, 2, 21, 9, 0)


@pytest.fixture
def app_at_0010(tmp_path: Path) -> Iterator[Flask]:
    with scratch_database(PG_URL, "partsemble_channel_runs") if PG_URL else _sqlite(tmp_path) as url:
        app = create_app(base_config(tmp_path, url))
        bind_migrations(app)
        with app.app_context():
            upgrade(directory=MIGRATIONS_DIR, revision="0010_items_per_channel")
        yield app
        from partsemble.extensions import db

        with app.app_context():
            db.engine.dispose()


class _sqlite:  # noqa: N801  (a context manager standing in for scratch_database)
    def __init__(self, tmp_path: Path) -> None:
        self.url = "sqlite:///" + str(tmp_path / "at-0010.db")

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *exc: object) -> None:
        return None


def test_0010_runs_become_quickbooks_channel_rows_and_come_back_on_downgrade(app_at_0010: Flask) -> None:
    from partsemble.extensions import db

    with app_at_0010.app_context():
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(RUN), {"id": 1, "status": "succeeded", "at": STARTED, "start": None, "end": STARTED, "message": "Finished"}
            )
            later = STARTED + timedelta(hours=1)
            conn.execute(sa.text(RUN), {"id": 2, "status": "running", "at": later, "start": STARTED, "end": later, "message": ""})
            conn.execute(
                sa.text(
                    "INSERT INTO sync_errors (run_id, external_type, external_id, doc_number, customer_name, code, message, "
                    "item_external_id, item_name) VALUES (1, 'Invoice', '42', '1042', 'Acme', 'item_not_linked', 'Link it', '4', 'Soap')"
                )
            )
        upgrade(directory=MIGRATIONS_DIR, revision="0011_channel_runs")
        with db.engine.begin() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT run_id, source, status, message, window_start, window_end, fetched, processed, created, updated, "
                    "voided, skipped, errors, recosted FROM sync_run_channels ORDER BY run_id"
                )
            ).all()
            assert [tuple(r[:4]) for r in rows] == [(1, "qbo", "succeeded", "Finished"), (2, "qbo", "failed", "")]
            assert [tuple(r[6:]) for r in rows] == [(7, 6, 3, 1, 1, 1, 1, 2)] * 2
            assert rows[0].window_start is None and str(rows[1].window_start).startswith("2026-02-21 09:00")
            assert str(rows[0].window_end).startswith("2026-02-21 09:00") and str(rows[1].window_end).startswith("2026-02-21 10:00")
            assert conn.execute(sa.text("SELECT source FROM sync_errors")).scalar_one() == "qbo"
            columns = {c["name"] for c in sa.inspect(conn).get_columns("sync_runs")}
            assert not {"window_start", "window_end"} & columns
        downgrade(directory=MIGRATIONS_DIR, revision="0010_items_per_channel")
        with db.engine.connect() as conn:
            ends = conn.execute(sa.text("SELECT window_end FROM sync_runs ORDER BY id")).scalars().all()
            assert [str(e)[:16] for e in ends] == ["2026-02-21 09:00", "2026-02-21 10:00"]
            assert "sync_run_channels" not in sa.inspect(conn).get_table_names()
