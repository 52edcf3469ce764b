"""Reading sales: the filtered list, its totals, the export, one sale's story."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Select, exists, func, literal_column, select, type_coerce
from sqlalchemy.orm import selectinload

from partsemble.domain.money import cents
from partsemble.models.inventory import StockTransaction
from partsemble.models.sales import SALE_SOURCES, SALE_STATUSES, SALE_TYPES, LotConsumption, Sale, SaleLine
from partsemble.models.sync import SyncRun
from partsemble.models.transactions import AnySession
from partsemble.pagination import Page, paginate
from partsemble.sync.problems import Waiting, waiting_in_failures
from partsemble.web.sorting import Column, Sort, SortableTable


@dataclass(frozen=True)
class SaleFilters:
    date_from: date | None = None
    date_to: date | None = None
    type: str = ""
    status: str = ""
    customer: str = ""
    product_id: int | None = None
    channel: str = ""  # a sale's source: qbo, xero, manual

    def clean(self) -> SaleFilters:
        return SaleFilters(
            self.date_from,
            self.date_to,
            self.type if self.type in SALE_TYPES else "",
            self.status if self.status in SALE_STATUSES else "",
            self.customer.strip()[:100],
            self.product_id,
            self.channel if self.channel in SALE_SOURCES else "",
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
    if filters.channel:
        query = query.where(Sale.source == filters.channel)
    if filters.product_id:
        query = query.where(exists().where(SaleLine.sale_id == Sale.id, SaleLine.product_id == filters.product_id))
    return query


def _raw(column):  # type: ignore[no-untyped-def]
    """The stored scaled integer itself, for arithmetic in SQL that only orders rows."""
    return type_coerce(column, BigInteger)


# Margin % as the page shows it (margin / revenue), in SQL: both are scaled alike, so the integer
# quotient of margin x 10,000 by revenue is the percentage to two decimals, truncated the same
# way on SQLite and PostgreSQL; finer than the one decimal shown, so the order never contradicts
# the page. NULL (no revenue, no percentage) sorts last.
MARGIN_PERCENT = (_raw(Sale.margin) * literal_column("10000")).op("/")(func.nullif(_raw(Sale.revenue), 0))

TABLE = SortableTable(
    {
        "date": Column("Date", Sale.txn_date),
        "number": Column("Number", func.coalesce(func.nullif(Sale.doc_number, ""), Sale.external_id), text=True),
        "type": Column("Type", Sale.external_type, text=True),
        "customer": Column("Customer", Sale.customer_name, text=True),
        "revenue": Column("Revenue", Sale.revenue),
        "cost": Column("Cost", Sale.cost),
        "margin": Column("Margin", Sale.margin),
        "margin_pct": Column("Margin %", MARGIN_PERCENT, nullable=True),
        "status": Column("Status", Sale.status, text=True),
    },
    default="date",
    default_descending=True,
)
NEWEST_FIRST = Sort("date", True)


def sales_query(filters: SaleFilters, order: Sort = NEWEST_FIRST) -> Select[tuple[Sale]]:
    """The filtered sales in the asked order, ties by id (newest first by default, as ix_sales_txn_date_id reads)."""
    return _filtered(select(Sale), filters).order_by(*TABLE.order_by(order, Sale.id))


def list_sales(session: AnySession, filters: SaleFilters, page: int, per_page: int = 50, order: Sort = NEWEST_FIRST) -> Page[Sale]:
    return paginate(session, sales_query(filters, order), page, per_page)


@dataclass(frozen=True)
class Totals:
    count: int
    counted: int  # active sales, the ones in the totals
    revenue: Decimal
    cost: Decimal
    margin: Decimal
    waiting: Waiting = Waiting(0, Decimal(0))  # documents of the same dates that failed to sync: not in the totals


def totals(session: AnySession, filters: SaleFilters) -> Totals:
    """Totals of the filtered set; voided and deleted sales are listed but not counted."""
    row = session.execute(
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
    waiting = (
        waiting_in_failures(session, filters.date_from, filters.date_to, filters.type, filters.channel)
        if comparable
        else Waiting(0, Decimal(0))
    )
    return Totals(count, counted, revenue, cost, revenue - cost, waiting)


EXPORT_HEADER = ("date", "type", "number", "external_id", "customer", "status", "revenue", "cost", "margin", "shortage")


def export_rows(session: AnySession, filters: SaleFilters, order: Sort = NEWEST_FIRST) -> Iterator[tuple[object, ...]]:
    """The filtered list as CSV rows in the list's order, streamed from the database in chunks."""
    query = _filtered(
        select(
            Sale.txn_date,
            Sale.external_type,
            Sale.doc_number,
            Sale.external_id,
            Sale.customer_name,
            Sale.status,
            Sale.revenue,
            Sale.cost,
            Sale.margin,
            Sale.shortage,
        ),
        filters,
    ).order_by(*TABLE.order_by(order, Sale.id))
    for row in session.execute(query.execution_options(yield_per=2000)):
        day, kind, number, external_id, customer, status, revenue, cost, margin, shortage = row
        yield (
            day.isoformat(),
            kind,
            number,
            external_id,
            customer,
            status,
            f"{cents(revenue):f}",
            f"{cents(cost):f}",
            f"{cents(margin):f}",
            "yes" if shortage else "no",
        )


def sale_detail(session: AnySession, sale_id: int) -> Sale | None:
    return session.scalar(
        select(Sale)
        .where(Sale.id == sale_id)
        .options(
            selectinload(Sale.lines).selectinload(SaleLine.consumptions).selectinload(LotConsumption.lot),
            selectinload(Sale.lines).selectinload(SaleLine.return_lot),
            selectinload(Sale.revisions),
        )
    )


def ledger_rows(session: AnySession, sale_id: int) -> list[StockTransaction]:
    """Every stock row this sale caused (draws, reversals, returns), oldest first."""
    return list(session.scalars(select(StockTransaction).where(StockTransaction.sale_id == sale_id).order_by(StockTransaction.id)))


def list_runs(session: AnySession, page: int, per_page: int = 25) -> Page[SyncRun]:
    """Sync runs, newest first, with the channels each read (one query for the page's)."""
    return paginate(session, select(SyncRun).options(selectinload(SyncRun.channels)).order_by(SyncRun.id.desc()), page, per_page)


def run_exists(session: AnySession, run_id: int) -> bool:
    return session.get(SyncRun, run_id) is not None
