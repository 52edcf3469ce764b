"""Revenue, cost and margin per calendar month: for the business and for one product.

The database sums per day (one exact SUM per column, dialect-neutral); days fold
into months here, so a year is at most 366 rows from the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from partsemble.domain.money import ZERO, cents, margin_percent
from partsemble.models.sales import Sale, SaleLine
from partsemble.models.transactions import AnySession
from partsemble.reports.margins import PRODUCT_LINE_KINDS
from partsemble.reports.periods import add_months, month_end, month_start, month_starts
from partsemble.web.sorting import Column, SortableTable


@dataclass(frozen=True)
class MonthFigures:
    month: date  # the first day of the month
    revenue: Decimal
    cost: Decimal
    sales: int  # active sales (the business) or sales with a line of the product

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        return margin_percent(self.margin, self.revenue)

    @property
    def empty(self) -> bool:
        return self.sales == 0


# The table under the chart (the chart itself always runs in calendar order); a month without
# revenue has no margin % and sorts last whichever the direction.
MONTH_TABLE = SortableTable(
    {
        "month": Column("Month", key=lambda m: m.month),
        "sales": Column("Sales", key=lambda m: m.sales),
        "revenue": Column("Revenue", key=lambda m: m.revenue),
        "cost": Column("Cost", key=lambda m: m.cost),
        "margin": Column("Margin", key=lambda m: m.margin),
        "margin_pct": Column("Margin %", key=lambda m: m.margin_percent),
    },
    default="month",
    default_descending=False,
)


def last_months(today: date, count: int = 12) -> tuple[date, date]:
    """First and last day of the `count` calendar months that end with the month of `today`."""
    return add_months(month_start(today), 1 - count), month_end(today)


def _fold(first: date, last: date, days: Iterable[tuple[date, Decimal, Decimal, int]]) -> list[MonthFigures]:
    months = {m: [ZERO, ZERO, 0] for m in month_starts(first, last)}
    for day, revenue, cost, count in days:
        bucket = months[month_start(day)]
        bucket[0] += revenue
        bucket[1] += cost
        bucket[2] += count
    return [MonthFigures(m, r, c, n) for m, (r, c, n) in months.items()]  # type: ignore[arg-type]


def business_months(session: AnySession, first: date, last: date) -> list[MonthFigures]:
    """Every month from `first` to `last`, months without sales included as zeros.

    Totals match the Sales list over the same dates (active sales only); reads
    ix_sales_status_txn_date.
    """
    rows = session.execute(
        select(Sale.txn_date, func.sum(Sale.revenue), func.sum(Sale.cost), func.count(Sale.id))
        .where(Sale.status == "active", Sale.txn_date >= first, Sale.txn_date <= last)
        .group_by(Sale.txn_date)
    ).all()
    return _fold(first, last, rows)  # type: ignore[arg-type]


def product_months(session: AnySession, product_id: int, first: date, last: date) -> list[MonthFigures]:
    """The product's finished-good lines of active sales, per month; reads
    ix_sale_lines_product_id_sale_id, then each sale by its key."""
    rows = session.execute(
        select(Sale.txn_date, func.sum(SaleLine.revenue), func.sum(SaleLine.cost), func.count(func.distinct(Sale.id)))
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(
            SaleLine.product_id == product_id,
            SaleLine.kind.in_(PRODUCT_LINE_KINDS),
            Sale.status == "active",
            Sale.txn_date >= first,
            Sale.txn_date <= last,
        )
        .group_by(Sale.txn_date)
    ).all()
    return _fold(first, last, rows)  # type: ignore[arg-type]


@dataclass(frozen=True)
class MonthsTotal:
    revenue: Decimal
    cost: Decimal
    sales: int

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        return margin_percent(self.margin, self.revenue)


def add_up(months: Iterable[MonthFigures]) -> MonthsTotal:
    """The months together (a sale counts once: it has one date)."""
    listed = list(months)
    return MonthsTotal(sum((m.revenue for m in listed), ZERO), sum((m.cost for m in listed), ZERO), sum(m.sales for m in listed))


EXPORT_HEADER = ("month", "sales", "revenue", "cost", "margin", "margin_percent")


def export_rows(months: list[MonthFigures]) -> Iterator[tuple[object, ...]]:
    """The months as the page's table shows them (in its order), then its total row: money in cents rounded
    half-up from the exact sums (a total is never the sum of rounded rows), no margin % without revenue."""
    for m in months:
        yield (
            f"{m.month:%Y-%m}",
            m.sales,
            f"{cents(m.revenue):f}",
            f"{cents(m.cost):f}",
            f"{cents(m.margin):f}",
            "" if m.margin_percent is None else f"{m.margin_percent:f}",
        )
    total = add_up(months)
    yield (
        "total",
        total.sales,
        f"{cents(total.revenue):f}",
        f"{cents(total.cost):f}",
        f"{cents(total.margin):f}",
        "" if total.margin_percent is None else f"{total.margin_percent:f}",
    )
