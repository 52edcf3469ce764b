"""Reading sales: the filtered list, its totals, the export, one sale's story."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import selectinload

from partsemble.domain.money import cents
from partsemble.extensions import db
from partsemble.models.inventory import StockTransaction
from partsemble.models.sales import SALE_STATUSES, SALE_TYPES, LotConsumption, Sale, SaleLine
from partsemble.pagination import Page, paginate
from partsemble.sync.problems import Waiting, waiting_in_failures


@dataclass(frozen=True)
class SaleFilters:
    date_from: date | None = None
    date_to: date | None = None
    type: str = ""
    status: str = ""
    customer: str = ""
    product_id: int | None = None

    def clean(self) -> "SaleFilters":
        return SaleFilters(
            self.date_from, self.date_to,
            self.type if self.type in SALE_TYPES else "",
            self.status if self.status in SALE_STATUSES else "",
            self.customer.strip()[:100], self.product_id,
        )


def _filtered(query: Select, filters: SaleFilters) -> Select:  # type: ignore[type-arg]
    if filters.date_from:
        query = query.where(Sale.txn_date >= filters.date_from)
    if filters.date_to:
        query = query.where(Sale.txn_date <= filters.date_to)
    if filters.type:
        query = query.where(Sale.external_type == filters.type)
    if filters.status:
        query = query.where(Sale.status == filters.status)
    if filters.customer:
        query = query.where(Sale.customer_name.ilike(f"%{filters.customer}%"))
    if filters.product_id:
        query = query.where(exists().where(SaleLine.sale_id == Sale.id, SaleLine.product_id == filters.product_id))
    return query


def sales_query(filters: SaleFilters) -> Select[tuple[Sale]]:
    return _filtered(select(Sale), filters).order_by(Sale.txn_date.desc(), Sale.id.desc())


def list_sales(filters: SaleFilters, page: int, per_page: int = 50) -> Page[Sale]:
    return paginate(db.session, sales_query(filters), page, per_page)


@dataclass(frozen=True)
class Totals:
    count: int
    counted: int  # active sales, the ones in the totals
    revenue: Decimal
    cost: Decimal
    margin: Decimal
    waiting: Waiting = Waiting(0, Decimal(0))  # documents of the same dates that failed to sync: not in the totals


def totals(filters: SaleFilters) -> Totals:
    """Totals of the filtered set; voided and deleted sales are listed but not counted."""
    row = db.session.execute(
        _filtered(
            select(
                func.count(Sale.id),
                func.count(Sale.id).filter(Sale.status == "active"),
                func.coalesce(func.sum(Sale.revenue).filter(Sale.status == "active"), 0),
                func.coalesce(func.sum(Sale.cost).filter(Sale.status == "active"), 0),
            ),
            filters,
        )
    ).one()
    count, counted, revenue, cost = row
    # Failed documents carry no customer match or product yet; they belong with the active sales.
    comparable = filters.status in ("", "active") and not filters.customer and filters.product_id is None
    waiting = waiting_in_failures(db.session, filters.date_from, filters.date_to, filters.type) if comparable else Waiting(0, Decimal(0))
    return Totals(count, counted, revenue, cost, revenue - cost, waiting)


EXPORT_HEADER = ("date", "type", "number", "external_id", "customer", "status", "revenue", "cost", "margin", "shortage")


def export_rows(filters: SaleFilters) -> Iterator[tuple[object, ...]]:
    """The filtered list as CSV rows, streamed from the database in chunks."""
    query = _filtered(
        select(Sale.txn_date, Sale.external_type, Sale.doc_number, Sale.external_id, Sale.customer_name, Sale.status,
               Sale.revenue, Sale.cost, Sale.margin, Sale.shortage),
        filters,
    ).order_by(Sale.txn_date.desc(), Sale.id.desc())
    for row in db.session.execute(query.execution_options(yield_per=2000)):
        day, kind, number, external_id, customer, status, revenue, cost, margin, shortage = row
        yield (day.isoformat(), kind, number, external_id, customer, status, f"{cents(revenue):f}", f"{cents(cost):f}",
               f"{cents(margin):f}", "yes" if shortage else "no")


def sale_detail(sale_id: int) -> Sale | None:
    return db.session.scalar(
        select(Sale).where(Sale.id == sale_id).options(
            selectinload(Sale.lines).selectinload(SaleLine.consumptions).selectinload(LotConsumption.lot),
            selectinload(Sale.lines).selectinload(SaleLine.return_lot),
            selectinload(Sale.revisions),
        )
    )


def ledger_rows(sale_id: int) -> list[StockTransaction]:
    """Every stock row this sale caused (draws, reversals, returns), oldest first."""
    return list(db.session.scalars(
        select(StockTransaction).where(StockTransaction.sale_id == sale_id).order_by(StockTransaction.id)
    ))


def customers(prefix: str = "", limit: int = 20) -> list[str]:
    query = select(Sale.customer_name).distinct().order_by(Sale.customer_name).limit(limit)
    if prefix:
        query = query.where(Sale.customer_name.ilike(f"{prefix}%"))
    return list(db.session.scalars(query))
