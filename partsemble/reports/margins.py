"""Margin by product: finished-good lines of active sales, aggregated in SQL per product.

Only sums of single columns run in SQL (exact on scaled integers); every product and
division of two figures happens here, on Decimals.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, func, select

from partsemble.domain.money import ZERO, cents, margin_percent
from partsemble.models.base import Quantity
from partsemble.models.catalog import Product
from partsemble.models.sales import Sale, SaleLine
from partsemble.models.transactions import AnySession
from partsemble.reports.periods import Period
from partsemble.web.sorting import Column, SortableTable

# Lines that carry revenue and a product margin; skipped lines carry neither.
PRODUCT_LINE_KINDS = ("tracked", "return", "price_adjustment")
SIX_PLACES = Decimal("0.000001")
ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class ProductMargin:
    """One finished good's figures over a period (voided and deleted sales excluded)."""

    product_id: int
    name: str
    sku: str
    units_sold: Decimal  # tracked lines
    units_returned: Decimal  # return lines, as a positive number
    revenue: Decimal
    cost: Decimal
    sold_cost: Decimal  # cost of the tracked lines only: what the units sold cost
    shortage_quantity: Decimal
    shortage_cost: Decimal
    no_cost_basis_lines: int
    share_percent: Decimal | None = None

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin_percent(self) -> Decimal | None:
        return margin_percent(self.margin, self.revenue)

    @property
    def average_unit_cost(self) -> Decimal | None:
        """Cost of units sold / units sold, to 6 places; None when nothing was sold."""
        if self.units_sold == 0:
            return None
        return (self.sold_cost / self.units_sold).quantize(SIX_PLACES, rounding=ROUND_HALF_UP)

    @property
    def provisional(self) -> bool:
        """Part of the cost is a weighted-average estimate or zero for lack of any cost."""
        return self.shortage_quantity > 0 or self.no_cost_basis_lines > 0


@dataclass(frozen=True)
class MarginReport:
    period: Period
    rows: list[ProductMargin]
    total: ProductMargin  # the finished goods together (product_id 0)
    sales_revenue: Decimal  # all active sales in the period, as the Sales list totals them
    sales_cost: Decimal
    sales_count: int
    sort: str
    descending: bool

    @property
    def agrees_with_sales(self) -> bool:
        """A sale's revenue and cost are its finished-good lines', so the two totals are one."""
        return (self.sales_revenue, self.sales_cost) == (self.total.revenue, self.total.cost)


def _in_period(query: Select, period: Period) -> Select:  # type: ignore[type-arg]
    if period.start is not None:
        query = query.where(Sale.txn_date >= period.start)
    if period.end is not None:
        query = query.where(Sale.txn_date <= period.end)
    return query


def _sum(column, kind: str | None = None):  # type: ignore[no-untyped-def]
    total = func.sum(column)
    if kind is not None:
        total = total.filter(SaleLine.kind == kind)
    return func.coalesce(total, 0)


def product_lines_query(period: Period, product_id: int | None = None) -> Select:  # type: ignore[type-arg]
    """Per product: the sums over its finished-good lines of active sales in the period.

    Reads sales through ix_sales_status_txn_date and their lines through ix_sale_lines_sale_id;
    with one product, lines come through ix_sale_lines_product_id_sale_id instead.
    """
    returned = func.abs(SaleLine.quantity, type_=Quantity())
    query = (
        select(
            SaleLine.product_id,
            _sum(SaleLine.quantity, "tracked"),
            _sum(returned, "return"),
            _sum(SaleLine.revenue),
            _sum(SaleLine.cost),
            _sum(SaleLine.cost, "tracked"),
            _sum(SaleLine.shortage_quantity),
            _sum(SaleLine.shortage_cost),
            func.count(SaleLine.id).filter(SaleLine.no_cost_basis.is_(True)),
        )
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(Sale.status == "active", SaleLine.product_id.is_not(None), SaleLine.kind.in_(PRODUCT_LINE_KINDS))
        .group_by(SaleLine.product_id)
    )
    if product_id is not None:
        query = query.where(SaleLine.product_id == product_id)
    return _in_period(query, period)


def _figures(session: AnySession, period: Period, product_id: int | None = None) -> list[ProductMargin]:
    sums = session.execute(product_lines_query(period, product_id)).all()
    if not sums:
        return []
    names = {
        pid: (name, sku)
        for pid, name, sku in session.execute(select(Product.id, Product.name, Product.sku).where(Product.id.in_([row[0] for row in sums])))
    }
    return [ProductMargin(pid, *names[pid], *values) for pid, *values in sums]


SUMMED = ("units_sold", "units_returned", "revenue", "cost", "sold_cost", "shortage_quantity", "shortage_cost")


def _total(rows: list[ProductMargin]) -> ProductMargin:
    sums = {name: sum((getattr(r, name) for r in rows), ZERO) for name in SUMMED}
    positive = bool(rows) and sums["revenue"] - sums["cost"] > 0
    return ProductMargin(
        0,
        "All finished goods",
        "",
        **sums,
        no_cost_basis_lines=sum(r.no_cost_basis_lines for r in rows),
        share_percent=Decimal(100) if positive else None,
    )


def _with_share(row: ProductMargin, total_margin: Decimal) -> ProductMargin:
    # A share of a loss (or of nothing) explains nothing, so it is left blank.
    if total_margin <= 0:
        return row
    return replace(row, share_percent=(row.margin / total_margin * 100).quantize(ONE_PLACE, rounding=ROUND_HALF_UP))


# None values (no units sold, a share of a loss) sort last whichever way the column is sorted.
TABLE = SortableTable(
    {
        "product": Column("Product", key=lambda r: (r.name.casefold(), r.sku.casefold()), text=True),
        "sold": Column("Units sold", key=lambda r: r.units_sold),
        "returned": Column("Units returned", key=lambda r: r.units_returned),
        "revenue": Column("Revenue", key=lambda r: r.revenue),
        "cost": Column("Cost", key=lambda r: r.cost),
        "margin": Column("Margin", key=lambda r: r.margin),
        "margin_pct": Column("Margin %", key=lambda r: r.margin_percent),
        "avg_cost": Column("Avg unit cost", key=lambda r: r.average_unit_cost),
        "share": Column("Share of margin", key=lambda r: r.share_percent),
        "shortage": Column("Shortage qty", key=lambda r: r.shortage_quantity),
    },
    default="margin",
    default_descending=True,
)
DEFAULT_SORT = TABLE.default


def margin_by_product(session: AnySession, period: Period, sort: str = DEFAULT_SORT, descending: bool = True) -> MarginReport:
    """Every finished good sold, returned or adjusted in the period, with a total that
    equals the Sales list's (skipped lines are in neither)."""
    order = TABLE.parse({"sort": sort, "dir": "desc" if descending else "asc"})
    rows = _figures(session, period)
    total = _total(rows)
    # Ties keep name order (then id) in both directions.
    rows = TABLE.sort_rows([_with_share(r, total.margin) for r in rows], order, tie=lambda r: (r.name.casefold(), r.product_id))
    counted, revenue, cost = active_sales(session, period)
    return MarginReport(period, rows, total, revenue, cost, counted, order.key, order.descending)


def active_sales(session: AnySession, period: Period) -> tuple[int, Decimal, Decimal]:
    """How many active sales are dated in the period, their revenue and their cost: the Sales list's
    totals for the same dates and status "active" (voided and deleted sales are not counted)."""
    query = select(func.count(Sale.id), func.coalesce(func.sum(Sale.revenue), 0), func.coalesce(func.sum(Sale.cost), 0))
    query = query.where(Sale.status == "active")
    if period.start:
        query = query.where(Sale.txn_date >= period.start)
    if period.end:
        query = query.where(Sale.txn_date <= period.end)
    counted, revenue, cost = session.execute(query).one()
    return counted, revenue, cost


def product_margin(session: AnySession, product_id: int, period: Period) -> ProductMargin | None:
    """One product's figures over the period; None when it had no finished-good lines in it."""
    rows = _figures(session, period, product_id)
    return rows[0] if rows else None


EXPORT_HEADER = (
    "sku",
    "product",
    "units_sold",
    "units_returned",
    "revenue",
    "cost",
    "margin",
    "margin_percent",
    "average_unit_cost",
    "share_of_margin_percent",
    "shortage_quantity",
    "no_cost_basis_lines",
)


def _text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:f}"


def export_rows(report: MarginReport) -> Iterator[tuple[object, ...]]:
    """The report's rows in its order, money in cents, as the page shows them."""
    for r in report.rows:
        yield (
            r.sku,
            r.name,
            _text(r.units_sold),
            _text(r.units_returned),
            _text(cents(r.revenue)),
            _text(cents(r.cost)),
            _text(cents(r.margin)),
            _text(r.margin_percent),
            _text(r.average_unit_cost),
            _text(r.share_percent),
            _text(r.shortage_quantity),
            r.no_cost_basis_lines,
        )
