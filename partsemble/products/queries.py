"""Reading products: the list with its filters, the export, the product page's margin and chart."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import BigInteger, Numeric, Select, cast, func, select, type_coerce
from sqlalchemy.orm import selectinload

from partsemble.domain.money import cents
from partsemble.lots.queries import stock_figures
from partsemble.models.catalog import PRODUCT_TYPES, AccountingItem, Product
from partsemble.models.inventory import Lot
from partsemble.models.transactions import AnySession
from partsemble.pagination import Page, paginate
from partsemble.reports import periods
from partsemble.reports.margins import ProductMargin, product_margin
from partsemble.reports.monthly import product_months
from partsemble.reports.svg import ChartPanel, chart_panel
from partsemble.web.sorting import Column, Sort, SortableTable


@dataclass(frozen=True)
class ProductFilters:
    q: str = ""
    type: str = ""
    status: str = "active"  # active, archived, all


def _exact(column):  # type: ignore[no-untyped-def]
    """The stored scaled integer as an exact SQL number: products of two never overflow on PostgreSQL."""
    return cast(type_coerce(column, BigInteger), Numeric)


# The stock figures of the page (partsemble.lots.queries.stock_figures) as SQL, to order by:
# the product's active lots with units left. Both are scaled alike in every row, so they order
# exactly as the figures shown; the average is NULL (sorted last) without such lots.
_HELD = (Lot.product_id == Product.id, Lot.status == "active", Lot.quantity_remaining > 0)
_HELD_VALUE = func.sum(_exact(Lot.quantity_remaining) * _exact(Lot.unit_cost))
STOCK_VALUE = select(func.coalesce(_HELD_VALUE, 0)).where(*_HELD).scalar_subquery()
AVERAGE_COST = select(_HELD_VALUE.op("/")(func.sum(_exact(Lot.quantity_remaining)))).where(*_HELD).scalar_subquery()
# A product may be linked to an item of each channel: it sorts by the first of their names.
ITEM_NAME = select(func.min(AccountingItem.name)).where(AccountingItem.product_id == Product.id).scalar_subquery()

TABLE = SortableTable(
    {
        "name": Column("Product", Product.name, text=True),
        "sku": Column("SKU", Product.sku, text=True),
        "type": Column("Type", Product.type, text=True),
        "on_hand": Column("On hand", Product.stock_on_hand),
        "avg_cost": Column("Avg cost", AVERAGE_COST, nullable=True),
        "value": Column("Stock value", STOCK_VALUE),
        "item": Column("Accounting item", ITEM_NAME, text=True, nullable=True),
    },
    default="name",
    default_descending=False,
)
BY_NAME = Sort("name", False)


def products_query(filters: ProductFilters, order: Sort = BY_NAME) -> Select[tuple[Product]]:
    """The filtered products in the asked order, ties by id (by name by default)."""
    query = select(Product).options(selectinload(Product.accounting_items))
    if filters.q:
        like = f"%{filters.q.strip()}%"
        query = query.where(Product.name.ilike(like) | Product.sku.ilike(like))
    if filters.type in PRODUCT_TYPES:
        query = query.where(Product.type == filters.type)
    if filters.status == "active":
        query = query.where(Product.active.is_(True))
    elif filters.status == "archived":
        query = query.where(Product.active.is_(False))
    return query.order_by(*TABLE.order_by(order, Product.id))


def list_products(session: AnySession, filters: ProductFilters, page: int, per_page: int = 50, order: Sort = BY_NAME) -> Page[Product]:
    return paginate(session, products_query(filters, order), page, per_page)


EXPORT_HEADER = ("sku", "name", "type", "unit", "active", "stock_on_hand", "average_cost", "stock_value")


def export_rows(session: AnySession, filters: ProductFilters, order: Sort = BY_NAME) -> Iterator[tuple[object, ...]]:
    """Rows for products/export.csv in the list's order, in chunks so memory stays flat."""
    query = products_query(filters, order)
    offset = 0
    while True:
        chunk = list(session.scalars(query.limit(500).offset(offset)))
        if not chunk:
            return
        figures = stock_figures(session, [p.id for p in chunk])
        for p in chunk:
            f = figures[p.id]
            yield (
                p.sku,
                p.name,
                p.type,
                p.unit,
                "yes" if p.active else "no",
                f"{f.on_hand:f}",
                "" if f.average_cost is None else f"{f.average_cost:f}",
                f"{cents(f.value):f}",
            )
        offset += len(chunk)


@dataclass(frozen=True)
class MarginPanel:
    margin: ProductMargin | None  # the last 12 calendar months; None if nothing was sold in them
    chart: ChartPanel | None  # month by month (products/_chart.html); None when the product has no margin at all


def margin_panel(session: AnySession, product: Product) -> MarginPanel:
    """The product page's margin over the last 12 calendar months and its month-by-month chart.
    Products that are not finished goods and never had a costed line get neither: they have no margin."""
    window = periods.preset_period("last_12_months", periods.today())
    assert window.start is not None and window.end is not None
    margin = product_margin(session, product.id, window)
    if margin is None and not product.is_finished_good:
        return MarginPanel(None, None)
    months = product_months(session, product.id, window.start, window.end)
    return MarginPanel(margin, chart_panel(months, f"product-{product.id}-chart", product.name))
