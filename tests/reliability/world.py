"""The business a reliability test runs: a generated sandbox company, the matching
products, lots and item links in Partsemble, a stored connection, and the state
(stock, lots, sale costs) two runs are compared on."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from partsemble.connections.tokens import TokenCipher
from partsemble.extensions import db
from partsemble.lots.services import LotInput, receive_lot
from partsemble.models.base import utcnow
from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.inventory import Lot
from partsemble.models.sales import LotConsumption, Sale, SaleLine
from partsemble.models.sync import Connection, FailedDocument
from partsemble.products.services import ProductInput, create_product
from partsemble.sandbox import SandboxCompany

CLIENT_ID = "reliability-client"
CLIENT_SECRET = "reliability-client-secret-Zq81"


@dataclass(frozen=True)
class Company:
    """A generated sandbox company kept in a SQLite file, copied for every test that uses it."""

    path: Path
    start: date
    products: tuple[tuple[str, str, str | None], ...]  # (item Id, name, sku)
    unlinked_item: str | None
    documents: int

    def copy_to(self, directory: Path) -> str:
        target = directory / f"sandbox-{self.documents}.db"
        shutil.copy(self.path, target)
        return "sqlite:///" + str(target)


def generate_company(path: Path, documents: int, seed: int, products: int = 12) -> Company:
    """`documents` synthetic sales over the last two months (CDC reach), FIFO-relevant product mix."""
    today = date.today()
    start, end = today - timedelta(days=60), today - timedelta(days=2)
    url = "sqlite:///" + str(path)
    company = SandboxCompany.open(url)
    try:
        summary = company.generate(
            documents,
            start=start,
            end=end,
            seed=seed,
            products=products,
            credit_memo_share="0.06",
            void_share="0.03",
            unlinked_share="0.02",
        )
    finally:
        company.close()
    return Company(path, start, tuple(summary.products), summary.unlinked_item, documents)


def lot_plan(documents: int, products: int) -> list[tuple[int, str, str]]:
    """(days before the first sale, quantity, unit cost) per lot: enough stock for most sales, a few shortages."""
    per_product = max(4, documents * 3 * 3 // max(products, 1) // 2)
    return [(20, str(per_product // 2), "4.125"), (10, str(per_product // 2), "4.875")]


def stock_the_shelves(app: Flask, company: Company) -> None:
    """Finished goods for the company's items, their lots, and the item links (the unlinked one stays unlinked)."""
    with app.app_context():
        made = []
        for index, (item_id, name, sku) in enumerate(company.products):
            product = create_product(db.session, ProductInput(name, sku or f"ITEM-{item_id}", "finished_good", "each"))
            for days, quantity, cost in lot_plan(company.documents, len(company.products)):
                unit_cost = Decimal(cost) + Decimal(index) / 8
                receive_lot(
                    db.session, LotInput(product.id, f"L{days}", company.start - timedelta(days=days), Decimal(quantity), unit_cost), None
                )
            made.append((item_id, name, sku, product.id))
        for item_id, name, sku, product_id in made:
            db.session.add(
                AccountingItem(source="qbo", external_id=item_id, name=name, sku=sku, item_type="Inventory", product_id=product_id)
            )
        db.session.commit()
        db.session.remove()


def store_connection(app: Flask, sandbox: SandboxCompany, start: date, *, expires_in: timedelta = timedelta(hours=1)) -> None:
    """A connection holding tokens issued by the sandbox, encrypted as the app stores them."""
    pair = sandbox.issue_tokens(CLIENT_ID)
    with app.app_context():
        cipher = TokenCipher(app.config)
        db.session.add(
            Connection(
                provider="qbo",
                realm_id=sandbox.realm_id,
                company_name=sandbox.name,
                status="connected",
                access_token_enc=cipher.encrypt(pair.access_token),
                refresh_token_enc=cipher.encrypt(pair.refresh_token),
                access_expires_at=utcnow() + expires_in,
                refresh_expires_at=utcnow() + timedelta(days=100),
                initial_sync_date=start,
            )
        )
        db.session.commit()
        db.session.remove()


@dataclass(frozen=True)
class LedgerState:
    """What must be equal after any history of faults: stock, lots, and every sale's cost and draws."""

    stock: dict[str, Decimal]
    lots: dict[tuple[str, str], tuple[Decimal, str]]
    sales: dict[tuple[str, str], tuple[Any, ...]]
    draws: dict[tuple[str, str], tuple[tuple[Any, ...], ...]]
    failed: frozenset[tuple[str, str]]

    def differences(self, other: LedgerState, limit: int = 10) -> list[str]:
        found: list[str] = []
        for name in ("stock", "lots", "sales", "draws"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for key in sorted(set(mine) | set(theirs), key=str):
                if mine.get(key) != theirs.get(key):
                    found.append(f"{name} {key}: {mine.get(key)} != {theirs.get(key)}")
        if self.failed != other.failed:
            found.append(f"failed documents differ: {sorted(self.failed ^ other.failed)[:5]}")
        return found[:limit]


def ledger_state(session: Any) -> LedgerState:
    stock = dict(session.execute(select(Product.sku, Product.stock_on_hand)).tuples().all())
    lots = {
        (sku, number): (remaining, status)
        for sku, number, remaining, status in session.execute(
            select(Product.sku, Lot.lot_number, Lot.quantity_remaining, Lot.status).join(Product, Product.id == Lot.product_id)
        ).tuples()
    }
    sales = {
        (t, i): (version, status, revenue, cost, margin, shortage)
        for t, i, version, status, revenue, cost, margin, shortage in session.execute(
            select(Sale.external_type, Sale.external_id, Sale.version, Sale.status, Sale.revenue, Sale.cost, Sale.margin, Sale.shortage)
        ).tuples()
    }
    draws: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for t, i, position, lot_number, quantity, unit_cost in session.execute(
        select(Sale.external_type, Sale.external_id, SaleLine.position, Lot.lot_number, LotConsumption.quantity, LotConsumption.unit_cost)
        .join(SaleLine, SaleLine.id == LotConsumption.sale_line_id)
        .join(Sale, Sale.id == LotConsumption.sale_id)
        .join(Lot, Lot.id == LotConsumption.lot_id)
    ).tuples():
        draws.setdefault((t, i), []).append((position, lot_number, quantity, unit_cost))
    failed = frozenset(session.execute(select(FailedDocument.external_type, FailedDocument.external_id)).tuples().all())
    return LedgerState(stock, lots, sales, {k: tuple(sorted(v)) for k, v in draws.items()}, failed)


def read_state(app: Flask) -> LedgerState:
    with app.app_context():
        try:
            return ledger_state(db.session)
        finally:
            db.session.remove()


def plain_tokens(app: Flask) -> tuple[str, str]:
    """The stored (access, refresh) tokens, decrypted."""
    with app.app_context():
        row = db.session.scalar(select(Connection))
        assert row is not None
        cipher = TokenCipher(app.config)
        pair = (cipher.decrypt(row.access_token_enc), cipher.decrypt(row.refresh_token_enc))
        db.session.remove()
    return pair


def reconnect(app: Flask, sandbox: SandboxCompany) -> None:
    """What an admin's reconnect leaves behind: new tokens, status connected, the sync mark kept."""
    pair = sandbox.issue_tokens(CLIENT_ID)
    with app.app_context():
        cipher = TokenCipher(app.config)
        row = db.session.scalar(select(Connection))
        assert row is not None
        row.status, row.status_message = "connected", ""
        row.access_token_enc, row.refresh_token_enc = cipher.encrypt(pair.access_token), cipher.encrypt(pair.refresh_token)
        row.access_expires_at = utcnow() + timedelta(hours=1)
        db.session.commit()
        db.session.remove()


def row_counts(app: Flask) -> dict[str, int]:
    """Rows per table: what "nothing was written" is checked against."""
    with app.app_context():
        counts = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
        db.session.remove()
    return counts
