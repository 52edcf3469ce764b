"""Shared set-up for the benchmarks: a fresh database, a catalog, lots, synthetic documents."""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from partsemble import MIGRATIONS_DIR, bind_migrations, create_app
from partsemble.domain.documents import (
    CustomerRef,
    Discount,
    DocumentLine,
    DocumentStatus,
    DocumentType,
    ItemRecord,
    LineKind,
    SalesDocument,
)
from tests.scratch import scratch_database

PG_SERVER = os.environ.get("PARTSEMBLE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
START = date(2025, 1, 1)


@dataclass(frozen=True)
class Catalog:
    products: int = 50
    lots: int = 2000
    lot_quantity: int = 600


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A migrated empty database: a SQLite file (WAL) or a scratch PostgreSQL database."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="partsemble-bench-") as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            _migrate(url, tmp)
            yield url
        return
    with scratch_database(PG_SERVER, "partsemble_bench") as url, tempfile.TemporaryDirectory(prefix="partsemble-bench-") as tmp:
        _migrate(url, tmp)
        yield url


def app_for(url: str, tmp: str | None = None, **extra: object) -> Flask:
    tmp = tmp or tempfile.mkdtemp(prefix="partsemble-bench-")
    config = {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": tmp,
        "SANDBOX_DATABASE_URL": f"sqlite:///{tmp}/sandbox.db",
    }
    config.update(extra)
    return create_app(config)


def _migrate(url: str, tmp: str) -> None:
    from flask_migrate import upgrade

    app = app_for(url, tmp)
    bind_migrations(app)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        from partsemble.extensions import db

        db.engine.dispose()


def seed_catalog(app: Flask, catalog: Catalog = Catalog(), connection: bool = True) -> list[ItemRecord]:
    """Finished goods linked to items 1..N, a raw material, a service, an unlinked item, and lots.

    Written with executemany: the benchmarks measure the sync, not the set-up.
    """
    from partsemble.extensions import db
    from partsemble.models.catalog import AccountingItem, Product
    from partsemble.models.inventory import Lot, StockTransaction
    from partsemble.models.sync import Connection

    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    with app.app_context():
        session = db.session
        products = [
            dict(
                id=i,
                name=f"Product {i}",
                sku=f"FG-{i:03d}",
                sku_key=f"fg-{i:03d}",
                type="finished_good",
                unit="each",
                active=True,
                stock_on_hand=Decimal(0),
                created_at=now,
                updated_at=now,
            )
            for i in range(1, catalog.products + 1)
        ]
        products.append(
            dict(
                id=catalog.products + 1,
                name="Wax",
                sku="RAW-1",
                sku_key="raw-1",
                type="raw_material",
                unit="kg",
                active=True,
                stock_on_hand=Decimal(0),
                created_at=now,
                updated_at=now,
            )
        )
        session.execute(sa.insert(Product), products)
        items = [
            dict(
                source="qbo",
                external_id=str(i),
                name=f"Product {i}",
                sku=f"FG-{i:03d}",
                item_type="Inventory",
                active=True,
                product_id=i,
                not_tracked=False,
                refreshed_at=now,
            )
            for i in range(1, catalog.products + 1)
        ]
        items += [
            dict(
                source="qbo",
                external_id="900",
                name="Wax",
                sku="RAW-1",
                item_type="Inventory",
                active=True,
                product_id=catalog.products + 1,
                not_tracked=False,
                refreshed_at=now,
            ),
            dict(
                source="qbo",
                external_id="901",
                name="Shipping",
                sku=None,
                item_type="Service",
                active=True,
                product_id=None,
                not_tracked=False,
                refreshed_at=now,
            ),
            dict(
                source="qbo",
                external_id="902",
                name="Mystery Box",
                sku=None,
                item_type="Inventory",
                active=True,
                product_id=None,
                not_tracked=False,
                refreshed_at=now,
            ),
        ]
        session.execute(sa.insert(AccountingItem), items)
        lots, txns = [], []
        stock: dict[int, Decimal] = {}
        for lot_id in range(1, catalog.lots + 1):
            product_id = (lot_id - 1) % catalog.products + 1
            quantity = Decimal(catalog.lot_quantity)
            cost = Decimal(rng.randint(100, 900)) / 100
            received = START - timedelta(days=400) + timedelta(days=lot_id * 400 // catalog.lots)
            lots.append(
                dict(
                    id=lot_id,
                    product_id=product_id,
                    lot_number=f"L{lot_id}",
                    received_date=received,
                    quantity_received=quantity,
                    quantity_remaining=quantity,
                    unit_cost=cost,
                    source="receipt",
                    status="active",
                    note="",
                    created_at=now,
                )
            )
            txns.append(
                dict(
                    type="RECEIVE",
                    product_id=product_id,
                    lot_id=lot_id,
                    quantity=quantity,
                    unit_cost=cost,
                    value=quantity * cost,
                    business_date=received,
                    occurred_at=now,
                    note="",
                )
            )
            stock[product_id] = stock.get(product_id, Decimal(0)) + quantity
        if lots:
            session.execute(sa.insert(Lot), lots)
            session.execute(sa.insert(StockTransaction), txns)
        for product_id, quantity in stock.items():
            session.execute(sa.update(Product).where(Product.id == product_id).values(stock_on_hand=quantity))
        if connection:
            session.add(Connection(provider="qbo", realm_id="1", company_name="Bench", status="connected", initial_sync_date=START))
        session.commit()
        if db.engine.dialect.name == "postgresql":
            for table in ("products", "lots", "stock_transactions", "accounting_items"):
                session.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))")
                )
            session.commit()
    return [ItemRecord(str(i), f"Product {i}", "Inventory", True, f"FG-{i:03d}") for i in range(1, catalog.products + 1)] + [
        ItemRecord("900", "Wax", "Inventory"),
        ItemRecord("901", "Shipping", "Service"),
        ItemRecord("902", "Mystery Box", "Inventory"),
    ]


def synthetic_documents(
    n: int,
    *,
    seed: int = 1,
    products: int = 50,
    start: date = START,
    days: int = 365,
    credit_per_mille: int = 50,
    void_per_mille: int = 20,
    unlinked_per_mille: int = 10,
    first_id: int = 1,
) -> list[SalesDocument]:
    """n documents, ~3 lines each, in date order, with credit memos (5%), voids (2%) and unlinked items (1%)."""
    rng = random.Random(seed)
    docs = []
    stamp = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i in range(first_id, first_id + n):
        roll = rng.randrange(1000)
        doc_type = (
            DocumentType.CREDIT_MEMO if roll < credit_per_mille else (DocumentType.SALES_RECEIPT if roll < 250 else DocumentType.INVOICE)
        )
        lines = []
        for _ in range(rng.choice((1, 2, 3, 3, 4, 5))):
            item = str(rng.randint(1, products))
            qty = Decimal(rng.randint(1, 6))
            price = Decimal(rng.randint(1500, 4500)) / 100
            lines.append(
                DocumentLine(
                    line_id=str(len(lines) + 1),
                    kind=LineKind.ITEM,
                    item_id=item,
                    item_name=f"Product {item}",
                    quantity=qty,
                    unit_price=price,
                    amount=qty * price,
                )
            )
        if rng.randrange(10) < 3:
            lines.append(
                DocumentLine(
                    line_id="s",
                    kind=LineKind.ITEM,
                    item_id="901",
                    item_name="Shipping",
                    quantity=None,
                    unit_price=None,
                    amount=Decimal("9.50"),
                )
            )
        if rng.randrange(1000) < unlinked_per_mille:
            lines.append(
                DocumentLine(
                    line_id="u",
                    kind=LineKind.ITEM,
                    item_id="902",
                    item_name="Mystery Box",
                    quantity=Decimal(1),
                    unit_price=Decimal(5),
                    amount=Decimal(5),
                )
            )
        status = DocumentStatus.VOIDED if rng.randrange(1000) < void_per_mille else DocumentStatus.ACTIVE
        if status is DocumentStatus.VOIDED:
            lines = [
                DocumentLine(
                    line_id=l.line_id,
                    kind=l.kind,
                    item_id=l.item_id,
                    item_name=l.item_name,
                    quantity=Decimal(0),
                    unit_price=Decimal(0),
                    amount=Decimal(0),
                )
                for l in lines
            ]
        discounts = (Discount(Decimal("5.00")),) if rng.randrange(10) == 0 else ()
        stamp += timedelta(seconds=1)
        docs.append(
            SalesDocument(
                type=doc_type,
                id=str(i),
                version="0",
                number=str(10000 + i),
                txn_date=start + timedelta(days=(i - first_id) * days // max(n, 1)),
                customer=CustomerRef(f"C{rng.randint(1, 400)}", f"Customer {rng.randint(1, 400)}"),
                lines=tuple(lines),
                discounts=discounts,
                status=status,
                currency="USD",
                exchange_rate=Decimal(1),
                total_amount=sum((l.amount for l in lines), Decimal(0)),
                created_at=stamp,
                updated_at=stamp,
            )
        )
    return docs


class StaticSource:
    """A read-only in-memory source serving prepared documents in pages of 1,000."""

    def __init__(self, items: list[ItemRecord], documents: list[SalesDocument], page_size: int = 1000) -> None:
        self.items = {i.id: i for i in items}
        self.documents = documents
        self.page_size = page_size

    def list_items(self):  # type: ignore[no-untyped-def]
        return iter(self.items.values())

    def get_item(self, item_id: str) -> ItemRecord:
        from partsemble.connectors.errors import NotFound

        if item_id not in self.items:
            raise NotFound(item_id)
        return self.items[item_id]

    def changed_documents(self, since, not_before):  # type: ignore[no-untyped-def]
        from partsemble.connectors.base import ChangePage

        for start in range(0, max(len(self.documents), 1), self.page_size):
            yield ChangePage(self.documents[start : start + self.page_size], datetime.now(timezone.utc))

    def deletions(self, since):  # type: ignore[no-untyped-def]
        return []

    def document_ids(self, doc_type, start, end):  # type: ignore[no-untyped-def]
        return {d.id for d in self.documents if d.type == doc_type}

    def get_documents(self, doc_type, ids):  # type: ignore[no-untyped-def]
        wanted = set(ids)
        return [d for d in self.documents if d.type == doc_type and d.id in wanted]


def run_sync(app: Flask, source) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Seconds one sync took (wall clock), and its summary."""
    from partsemble.extensions import db
    from partsemble.sync.service import SyncRequest, SyncSettings, run_sync as run

    with app.app_context():
        began = time.perf_counter()
        summary = run(db.session, source, SyncRequest(trigger="cli"), SyncSettings())
        elapsed = time.perf_counter() - began
        db.session.remove()
    return elapsed, summary


def check(app: Flask) -> list[str]:
    from partsemble.extensions import db
    from partsemble.lots.check import find_violations

    with app.app_context():
        problems = find_violations(db.session)
        db.session.remove()
    return problems


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(name: str, value: float, target: float, *, higher_is_better: bool, unit: str) -> str:
    ok = value >= target if higher_is_better else value <= target
    sign = ">=" if higher_is_better else "<="
    return f"{'PASS' if ok else 'MISS'} {name}: {value:,.2f} {unit} (target {sign} {target:,} {unit})"


def timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def machine() -> str:
    import platform

    cpu = (
        Path("/proc/cpuinfo").read_text().split("model name")[1].split("\n")[0].strip(" :\t")
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"
