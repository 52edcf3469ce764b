"""The suite's own shortcuts keep tests apart: the worker's database is as empty as the migrated
template before every test (ids start again at 1), its engine and compiled statements are kept from
app to app, and a copy of the seeded demo company holds exactly what seeding would."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from partsemble import create_app
from partsemble.extensions import db
from partsemble.models.catalog import Product
from partsemble.sandbox import SandboxCompany
from partsemble.sandbox.store import StoredObject, reading
from tests import factories
from tests.conftest import DemoCompanies, WorkerDatabase, base_config


def _app(worker_database: WorkerDatabase, tmp: Path) -> Flask:
    return create_app(base_config(tmp, worker_database.fresh()))


def test_each_test_starts_on_an_empty_database_with_ids_from_one(worker_database: WorkerDatabase, tmp_path: Path) -> None:
    first = _app(worker_database, tmp_path)
    with first.app_context():
        made = [factories.product(f"SKU-{n}", f"Product {n}").id for n in range(3)]
        factories.lot(db.session.get(Product, made[0]), "5", "2.5", date(2026, 1, 1), "L1")
        db.session.remove()
    assert made == [1, 2, 3]
    second = _app(worker_database, tmp_path)
    with second.app_context():
        assert db.session.scalar(select(func.count(Product.id))) == 0
        assert factories.product("SKU-X", "Product X").id == 1  # identities restart, as on a new database
        db.session.remove()


def test_apps_on_the_worker_database_share_one_engine_and_its_compiled_statements(worker_database: WorkerDatabase, tmp_path: Path) -> None:
    first = _app(worker_database, tmp_path)
    with first.app_context():
        engine = db.engine
        db.session.scalar(select(func.count(Product.id)).where(Product.sku == "kept"))
        db.session.remove()
    compiled = len(engine._compiled_cache or {})
    assert compiled > 0
    second = _app(worker_database, tmp_path)
    with second.app_context():
        assert db.engine is engine
        db.session.scalar(select(func.count(Product.id)).where(Product.sku == "kept"))
        factories.product("SKU-1", "Written")  # a write transaction: BEGIN is emitted once, not once per app
        db.session.remove()
    assert engine._compiled_cache is not None and len(engine._compiled_cache) >= compiled


def test_a_copy_of_the_seeded_demo_company_holds_what_seeding_it_makes(demo_companies: DemoCompanies, tmp_path: Path) -> None:
    today = date(2026, 6, 15)
    copied_url = "sqlite:///" + str(tmp_path / "copied.db")
    summary = demo_companies.copy_to(copied_url, today)
    demo_companies.copy_to(copied_url, today)  # a second copy replaces the first
    seeded = SandboxCompany.open("sqlite:///" + str(tmp_path / "seeded.db"))
    copied = SandboxCompany.open(copied_url)
    try:
        assert seeded.seed_demo(today) == summary
        assert sum(summary.documents.values()) > 250
        assert _objects(copied) == _objects(seeded)
    finally:
        seeded.close()
        copied.close()


def _objects(company: SandboxCompany) -> list[tuple[object, ...]]:
    with reading(company.engine) as conn:
        return [
            tuple(row)
            for row in conn.execute(
                select(
                    StoredObject.entity,
                    StoredObject.id,
                    StoredObject.sync_token,
                    StoredObject.last_updated_time,
                    StoredObject.deleted_at,
                    StoredObject.payload,
                ).order_by(StoredObject.entity, StoredObject.id)
            )
        ]
