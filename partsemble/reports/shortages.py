"""Provisional costs: lines of active sales costed partly at weighted average (lots ran out)
or at zero (no cost basis at all), per product and per sale."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, func, literal_column, or_, select

from partsemble.domain.money import cents
from partsemble.models.catalog import Product
from partsemble.models.sales import SALE_TYPE_LABELS, Sale, SaleLine
from partsemble.models.transactions import AnySession
from partsemble.pagination import Page, paginate
from partsemble.reports.periods import Period
from partsemble.web.sorting import Column, Sort, SortableTable


@dataclass(frozen=True)
class ShortageLine:
    sale_id: int
    txn_date: date
    doc_type: str
    doc_number: str
    customer: str
    product_id: int
    product_name: str
    sku: str
    kind: str
    quantity: Decimal  # the line's quantity as on the document
    shortage_quantity: Decimal
    shortage_unit_cost: Decimal
    shortage_cost: Decimal
    line_cost: Decimal
    no_cost_basis: bool

    @property
    def type_label(self) -> str:
        return SALE_TYPE_LABELS.get(self.doc_type, self.doc_type)


@dataclass(frozen=True)
class ProductShortage:
    product_id: int
    name: str
    sku: str
    lines: int
    sales: int
    shortage_quantity: Decimal
    shortage_cost: Decimal
    no_cost_basis_lines: int


@dataclass(frozen=True)
class ShortageReport:
    period: Period
    products: list[ProductShortage]
    lines: Page[ShortageLine]
    sales: int  # sales with at least one provisional line (a sale may hold several products)


# Written out as a literal (not a bound 0) so it matches the predicate of the partial index
# ix_sale_lines_provisional, which SQLite and PostgreSQL only use on an exact match.
PROVISIONAL = or_(SaleLine.shortage_quantity > literal_column("0"), SaleLine.no_cost_basis.is_(True))


def _provisional(query: Select, period: Period) -> Select:  # type: ignore[type-arg]
    query = query.where(Sale.status == "active", SaleLine.product_id.is_not(None), PROVISIONAL)
    if period.start is not None:
        query = query.where(Sale.txn_date >= period.start)
    if period.end is not None:
        query = query.where(Sale.txn_date <= period.end)
    return query


LINE_TABLE = SortableTable(
    {
        "product": Column("Product", Product.name, text=True),
        "date": Column("Date", Sale.txn_date),
        "sale": Column("Sale", (Sale.external_type, Sale.doc_number), text=True),  # as shown: type, then number
        "customer": Column("Customer", Sale.customer_name, text=True),
        "quantity": Column("Line qty", SaleLine.quantity),
        "shortage_qty": Column("Shortage qty", SaleLine.shortage_quantity),
        "unit_cost": Column("Unit cost used", SaleLine.shortage_unit_cost),
        "shortage_cost": Column("Shortage cost", SaleLine.shortage_cost),
        "line_cost": Column("Line cost", SaleLine.cost),
    },
    default="product",
    default_descending=False,
)
PRODUCT_BY_PRODUCT = Sort("product", False)
# Ties: product by product, oldest sale first, lines in document order (the default order).
LINE_TIES = (Product.id, Sale.txn_date, Sale.id, SaleLine.position)

# The small per-product table sorts in Python, with its own parameters beside the lines' ones.
PRODUCT_TABLE = SortableTable(
    {
        "name": Column("Product", key=lambda p: (p.name.casefold(), p.sku.casefold()), text=True),
        "sales": Column("Sales", key=lambda p: p.sales),
        "lines": Column("Lines", key=lambda p: p.lines),
        "shortage_qty": Column("Shortage qty", key=lambda p: p.shortage_quantity),
        "shortage_cost": Column("Cost used for the shortage", key=lambda p: p.shortage_cost),
        "no_cost_basis": Column("No cost basis", key=lambda p: p.no_cost_basis_lines),
    },
    default="name",
    default_descending=False,
    sort_param="product_sort",
    dir_param="product_dir",
)
BY_NAME = Sort("name", False)


def _lines_query(period: Period, order: Sort = PRODUCT_BY_PRODUCT) -> Select:  # type: ignore[type-arg]
    return _provisional(
        select(
            Sale.id,
            Sale.txn_date,
            Sale.external_type,
            Sale.doc_number,
            Sale.customer_name,
            Product.id,
            Product.name,
            Product.sku,
            SaleLine.kind,
            SaleLine.quantity,
            SaleLine.shortage_quantity,
            SaleLine.shortage_unit_cost,
            SaleLine.shortage_cost,
            SaleLine.cost,
            SaleLine.no_cost_basis,
        )
        .join(Sale, Sale.id == SaleLine.sale_id)
        .join(Product, Product.id == SaleLine.product_id),
        period,
    ).order_by(*LINE_TABLE.order_by(order, *LINE_TIES))


def by_product(session: AnySession, period: Period, order: Sort = BY_NAME) -> list[ProductShortage]:
    """Per product: how many lines and sales, the shortfall quantity and the cost put on it, in the asked order."""
    rows = session.execute(
        _provisional(
            select(
                Product.id,
                Product.name,
                Product.sku,
                func.count(SaleLine.id),
                func.count(func.distinct(Sale.id)),
                func.coalesce(func.sum(SaleLine.shortage_quantity), 0),
                func.coalesce(func.sum(SaleLine.shortage_cost), 0),
                func.count(SaleLine.id).filter(SaleLine.no_cost_basis.is_(True)),
            )
            .join(Sale, Sale.id == SaleLine.sale_id)
            .join(Product, Product.id == SaleLine.product_id)
            .group_by(Product.id, Product.name, Product.sku),
            period,
        ).order_by(Product.name, Product.id)
    ).all()
    return PRODUCT_TABLE.sort_rows([ProductShortage(*row) for row in rows], order, tie=lambda p: (p.name.casefold(), p.product_id))


def provisional_sale_count(session: AnySession, period: Period) -> int:
    """Active sales in the period with a shortfall or a no-cost-basis line (the sales this report lists)."""
    query = select(func.count(func.distinct(SaleLine.sale_id))).join(Sale, Sale.id == SaleLine.sale_id)
    return session.scalar(_provisional(query, period)) or 0


def shortage_report(
    session: AnySession,
    period: Period,
    page: int = 1,
    per_page: int = 100,
    order: Sort = PRODUCT_BY_PRODUCT,
    product_order: Sort = BY_NAME,
) -> ShortageReport:
    """The products with provisional costs and one page of their lines (by default product by product, oldest first)."""
    lines = paginate(session, _lines_query(period, order), page, per_page, scalars=False)
    page_of_lines = Page([ShortageLine(*row) for row in lines.items], lines.number, lines.per_page, lines.total)
    return ShortageReport(period, by_product(session, period, product_order), page_of_lines, provisional_sale_count(session, period))


EXPORT_HEADER = (
    "date",
    "type",
    "number",
    "customer",
    "sku",
    "product",
    "line_quantity",
    "shortage_quantity",
    "shortage_unit_cost",
    "shortage_cost",
    "line_cost",
    "no_cost_basis",
)


def export_rows(session: AnySession, period: Period, order: Sort = PRODUCT_BY_PRODUCT) -> Iterator[tuple[object, ...]]:
    """Every provisional line of the period (not one page) in the page's order, streamed in chunks."""
    for row in session.execute(_lines_query(period, order).execution_options(yield_per=2000)):
        line = ShortageLine(*row)
        yield (
            line.txn_date.isoformat(),
            line.doc_type,
            line.doc_number,
            line.customer,
            line.sku,
            line.product_name,
            f"{line.quantity:f}",
            f"{line.shortage_quantity:f}",
            f"{line.shortage_unit_cost:f}",
            f"{cents(line.shortage_cost):f}",
            f"{cents(line.line_cost):f}",
            "yes" if line.no_cost_basis else "no",
        )
