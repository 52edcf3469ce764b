"""Fixtures of the reliability suite: the app with its embedded QBO sandbox served over
real HTTP on 127.0.0.1, a generated sandbox company, a second database for reference
runs, and retry settings small enough that faults cost milliseconds, not minutes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from partsemble import create_app
from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem
from partsemble.models.sync import Connection
from partsemble.sandbox import SandboxCompany
from tests import factories
from tests.conftest import PG_URL, _migrate, _truncate, base_config, fresh_database, replace_sqlite_file
from tests.reliability.history import change_upstream
from tests.reliability.live_server import point_at_sandbox, serving
from tests.reliability.world import (
    CLIENT_ID,
    CLIENT_SECRET,
    Company,
    LedgerState,
    generate_company,
    read_state,
    stock_the_shelves,
    store_connection,
)
from tests.scratch import scratch_database

# Small enough that a fault matrix runs in seconds; large enough that retries really happen.
FAST_QBO = {
    "QBO_CLIENT_ID": CLIENT_ID,
    "QBO_CLIENT_SECRET": CLIENT_SECRET,
    "QBO_BACKOFF_BASE": "0.01",
    "QBO_RETRY_BUDGET": "3",
    "QBO_MAX_RETRIES": 4,
    "QBO_CONNECT_TIMEOUT": "1",
    "QBO_READ_TIMEOUT": "0.5",
    "QBO_PAGE_SIZE": 40,
}


def qbo_config(tmp: Path, database_url: str, sandbox_url: str, **extra: Any) -> dict[str, Any]:
    config = base_config(tmp, database_url)
    config.update(FAST_QBO, SANDBOX=True, SANDBOX_DATABASE_URL=sandbox_url)
    config.update(extra)
    return config


@pytest.fixture
def sandbox_url(tmp_path: Path) -> str:
    return "sqlite:///" + str(tmp_path / "sandbox.db")


@pytest.fixture
def app_config(app_config: dict[str, Any], sandbox_url: str) -> dict[str, Any]:
    """Every app of this suite carries the sandbox (so its routes are walked too) and fast retries."""
    app_config.update(FAST_QBO, SANDBOX=True, SANDBOX_DATABASE_URL=sandbox_url)
    return app_config


@pytest.fixture
def sandbox(app: Flask, sandbox_url: str) -> Iterator[SandboxCompany]:
    company = SandboxCompany.open(sandbox_url)
    yield company
    company.clear_faults()
    company.close()


@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    """The app (Partsemble and its sandbox) on a real port; its QBO settings point at that port."""
    with serving(app) as base:
        point_at_sandbox(app.config, base)
        yield base


# Generated companies: made once per session, copied into each test's sandbox database.
_COMPANIES: dict[tuple[int, int], Company] = {}


@pytest.fixture(scope="session")
def company_factory(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int, int], Company]:
    def make(documents: int, seed: int) -> Company:
        key = (documents, seed)
        if key not in _COMPANIES:
            path = tmp_path_factory.mktemp("companies") / f"company-{documents}-{seed}.db"
            _COMPANIES[key] = generate_company(path, documents, seed)
        return _COMPANIES[key]

    return make


@pytest.fixture
def company_150(company_factory: Callable[[int, int], Company], sandbox_url: str) -> Company:
    """150 documents (invoices, receipts, credit memos, voids, a few on an unlinked item) in this test's sandbox."""
    company = company_factory(150, 11)
    load_company(company, sandbox_url)
    return company


def load_company(company: Company, sandbox_url: str) -> None:
    """Replace the sandbox database at `sandbox_url` with a copy of the company (whoever opened it before)."""
    from partsemble.sandbox.store import dispose_engine

    dispose_engine(sandbox_url)
    replace_sqlite_file(Path(sa.make_url(sandbox_url).database or ""), company.path)


@pytest.fixture
def stocked(app: Flask, company_150: Company, sandbox: SandboxCompany) -> Company:
    """Products, lots and links for the company's items, and a stored connection to the sandbox."""
    stock_the_shelves(app, company_150)
    store_connection(app, sandbox, company_150.start)
    return company_150


# A second database, for runs that must not share the one under test.
@pytest.fixture(scope="session")
def spare_template(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not PG_URL:
        yield database_template
        return
    with scratch_database(PG_URL, "partsemble_spare") as url:
        _migrate(url, tmp_path_factory.mktemp("spare"))
        yield url


def empty_spare(spare: str, tmp: Path) -> str:
    """The spare database, emptied (PostgreSQL) or freshly copied (SQLite)."""
    if spare.startswith("sqlite"):
        return fresh_database(spare, tmp)
    engine = sa.create_engine(spare)
    try:
        _truncate(engine)
    finally:
        engine.dispose()
    return spare


@dataclass(frozen=True)
class Reference:
    first: LedgerState  # after one clean sync of the generated company
    second: LedgerState  # after the upstream changes of history.change_upstream and one more clean sync


_REFERENCES: dict[str, Reference] = {}


def _clean_sync(app: Flask) -> None:
    from partsemble.connections.source import open_source
    from partsemble.lots.check import find_violations
    from partsemble.sync.service import SyncRequest, run_sync, settings_from

    with app.app_context():
        summary = run_sync(db.session, open_source(app.config), SyncRequest(trigger="cli"), settings_from(app.config, time_limited=False))
        assert summary.outcome == "succeeded", summary.message
        assert find_violations(db.session) == []
        db.session.remove()


def reference_state(company: Company, spare: str, tmp: Path) -> Reference:
    """The states clean syncs of the company give, on a database of their own (cached per company)."""
    key = str(company.path)
    if key in _REFERENCES:
        return _REFERENCES[key]
    tmp.mkdir(parents=True, exist_ok=True)
    sandbox_url = company.copy_to(tmp)
    app = create_app(qbo_config(tmp, empty_spare(spare, tmp), sandbox_url))
    sandbox = SandboxCompany.open(sandbox_url)
    try:
        stock_the_shelves(app, company)
        store_connection(app, sandbox, company.start)
        with serving(app) as base:
            point_at_sandbox(app.config, base)
            _clean_sync(app)
            first = read_state(app)
            change_upstream(sandbox, company)
            _clean_sync(app)
            second = read_state(app)
        _REFERENCES[key] = Reference(first, second)
    finally:
        sandbox.close()
        with app.app_context():
            db.engine.dispose()
    return _REFERENCES[key]


@pytest.fixture
def reference(spare_template: str, tmp_path: Path) -> Callable[[Company], Reference]:
    return lambda company: reference_state(company, spare_template, tmp_path / "reference")


@pytest.fixture
def estate(app: Flask, users: dict[str, Any], sandbox: SandboxCompany) -> Flask:
    """One of everything a route can name (see estate.build_estate), and a user of each role."""
    from tests.reliability.estate import build_estate

    return build_estate(app, sandbox)


@pytest.fixture
def catalog(app: Flask, users: dict[str, Any]) -> dict[str, int]:
    """A finished good with a lot, a component, an unlinked and a linked item, a connection not yet synced."""
    with app.app_context():
        good = factories.product("CND-A", "Candle A")
        other = factories.product("CND-B", "Candle B")
        wick = factories.product("WICK", "Wick", kind="component")
        lot = factories.lot(good, "20", "4.5", date(2026, 1, 1), "L1")
        db.session.add(AccountingItem(source="qbo", external_id="7", name="Soap", item_type="Inventory"))
        db.session.add(AccountingItem(source="qbo", external_id="8", name="Candle B", item_type="Inventory", product_id=other.id))
        db.session.add(Connection(provider="qbo", realm_id="1", status="connected", initial_sync_date=date(2026, 1, 1)))
        db.session.commit()
        ids = {"good": good.id, "other": other.id, "wick": wick.id, "lot": lot.id, "member": users["member"].id}
        db.session.remove()
    return ids
