"""Reading products: the list with its filters, one product, the export."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from partsemble.domain.money import cents
from partsemble.extensions import db
from partsemble.inventory.queries import stock_figures
from partsemble.models.catalog import PRODUCT_TYPES, Product
from partsemble.pagination import Page, paginate


@dataclass(frozen=True)
class ProductFilters:
    q: str = ""
    type: str = ""
    status: str = "active"  # active, archived, all


def products_query(filters: ProductFilters) -> Select[tuple[Product]]:
    query = select(Product).options(joinedload(Product.accounting_item))
    if filters.q:
        like = f"%{filters.q.strip()}%"
        query = query.where(Product.name.ilike(like) | Product.sku.ilike(like))
    if filters.type in PRODUCT_TYPES:
        query = query.where(Product.type == filters.type)
    if filters.status == "active":
        query = query.where(Product.active.is_(True))
    elif filters.status == "archived":
        query = query.where(Product.active.is_(False))
    return query.order_by(Product.name, Product.id)


def list_products(filters: ProductFilters, page: int, per_page: int = 50) -> Page[Product]:
    return paginate(db.session, products_query(filters), page, per_page)


EXPORT_HEADER = ("sku", "name", "type", "unit", "active", "stock_on_hand", "average_cost", "stock_value")


def export_rows(filters: ProductFilters) -> Iterator[tuple[object, ...]]:
    """Rows for products/export.csv, in chunks so memory stays flat."""
    query = products_query(filters)
    offset = 0
    while True:
        chunk = list(db.session.scalars(query.limit(500).offset(offset)))
        if not chunk:
            return
        figures = stock_figures([p.id for p in chunk])
        for p in chunk:
            f = figures[p.id]
            yield (
                p.sku, p.name, p.type, p.unit, "yes" if p.active else "no",
                f"{f.on_hand:f}", "" if f.average_cost is None else f"{f.average_cost:f}", f"{cents(f.value):f}",
            )
        offset += len(chunk)


def all_products_for_choice(*, finished_goods_only: bool = False, include_archived: bool = False) -> list[Product]:
    query = select(Product).order_by(Product.name)
    if not include_archived:
        query = query.where(Product.active.is_(True))
    if finished_goods_only:
        query = query.where(Product.type == "finished_good")
    return list(db.session.scalars(query))
