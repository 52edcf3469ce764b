"""Reading stock: lot lists, movements, a product's stock figures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, Numeric, Select, cast, func, select, type_coerce
from sqlalchemy.orm import joinedload

from partsemble.domain.fifo import weighted_average_cost
from partsemble.models.catalog import Product
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.transactions import AnySession
from partsemble.pagination import Page, paginate
from partsemble.web.sorting import Column, Sort, SortableTable


@dataclass(frozen=True)
class StockFigures:
    on_hand: Decimal
    average_cost: Decimal | None  # weighted over active lots
    value: Decimal  # remaining x unit cost over active lots
    active_lots: int


def stock_figures(session: AnySession, product_ids: list[int]) -> dict[int, StockFigures]:
    """On hand, weighted average cost and stock value of each product, in one query."""
    if not product_ids:
        return {}
    rows = session.execute(
        select(Lot.product_id, Lot.quantity_remaining, Lot.unit_cost).where(
            Lot.product_id.in_(product_ids), Lot.status == "active", Lot.quantity_remaining > 0
        )
    ).all()
    holdings: dict[int, list[tuple[Decimal, Decimal]]] = {pid: [] for pid in product_ids}
    for product_id, remaining, cost in rows:
        holdings[product_id].append((remaining, cost))
    on_hand = dict(session.execute(select(Product.id, Product.stock_on_hand).where(Product.id.in_(product_ids))).tuples().all())
    return {
        pid: StockFigures(
            on_hand=on_hand.get(pid, Decimal(0)),
            average_cost=weighted_average_cost(h),
            value=sum((q * c for q, c in h), Decimal(0)),
            active_lots=len(h),
        )
        for pid, h in holdings.items()
    }


@dataclass(frozen=True)
class LotFilters:
    q: str = ""
    product_id: int | None = None
    status: str = ""
    source: str = ""
    received_from: date | None = None
    received_to: date | None = None


def _exact(column):  # type: ignore[no-untyped-def]
    """The stored scaled integer as an exact SQL number: a product of two never overflows on PostgreSQL."""
    return cast(type_coerce(column, BigInteger), Numeric)


LOT_TABLE = SortableTable(
    {
        "lot": Column("Lot", Lot.lot_number, text=True),
        "product": Column("Product", Product.name, text=True),
        "received": Column("Received", Lot.received_date),
        "source": Column("Source", Lot.source, text=True),
        "quantity": Column("Received qty", Lot.quantity_received),
        "remaining": Column("Remaining", Lot.quantity_remaining),
        "unit_cost": Column("Unit cost", Lot.unit_cost),
        # remaining x unit cost, as Lot.value_remaining: scaled alike in every row, so the order is exact
        "value": Column("Value", _exact(Lot.quantity_remaining) * _exact(Lot.unit_cost)),
        "status": Column("Status", Lot.status, text=True),
    },
    default="received",
    default_descending=True,
)
NEWEST_FIRST = Sort("received", True)


def lots_query(filters: LotFilters, order: Sort = NEWEST_FIRST) -> Select[tuple[Lot]]:
    """The filtered lots in the asked order, ties by id (newest received first by default)."""
    query = select(Lot).join(Product).options(joinedload(Lot.product))
    if filters.q:
        like = f"%{filters.q.strip()}%"
        query = query.where(Lot.lot_number.ilike(like) | Product.sku.ilike(like) | Product.name.ilike(like))
    if filters.product_id:
        query = query.where(Lot.product_id == filters.product_id)
    if filters.status:
        query = query.where(Lot.status == filters.status)
    if filters.source:
        query = query.where(Lot.source == filters.source)
    if filters.received_from:
        query = query.where(Lot.received_date >= filters.received_from)
    if filters.received_to:
        query = query.where(Lot.received_date <= filters.received_to)
    return query.order_by(*LOT_TABLE.order_by(order, Lot.id))


def list_lots(session: AnySession, filters: LotFilters, page: int, per_page: int = 50, order: Sort = NEWEST_FIRST) -> Page[Lot]:
    return paginate(session, lots_query(filters, order), page, per_page)


EXPORT_HEADER = ("sku", "lot_number", "received_date", "quantity_received", "quantity_remaining", "unit_cost", "status")


def export_rows(session: AnySession, filters: LotFilters, order: Sort = NEWEST_FIRST) -> Iterator[tuple[object, ...]]:
    """The lots of the list as CSV rows (EXPORT_HEADER), read a thousand at a time."""
    for lot in session.scalars(lots_query(filters, order).execution_options(yield_per=1000)):
        yield (
            lot.product.sku,
            lot.lot_number,
            lot.received_date.isoformat(),
            f"{lot.quantity_received:f}",
            f"{lot.quantity_remaining:f}",
            f"{lot.unit_cost:f}",
            lot.status,
        )


def get_lot(session: AnySession, lot_id: int) -> Lot | None:
    return session.get(Lot, lot_id)


def movements(
    session: AnySession, *, product_id: int | None = None, lot_id: int | None = None, page: int = 1, per_page: int = 50
) -> Page[StockTransaction]:
    """Ledger rows, newest first, for a product or a lot."""
    query = select(StockTransaction).options(joinedload(StockTransaction.lot), joinedload(StockTransaction.sale))
    if product_id is not None:
        query = query.where(StockTransaction.product_id == product_id)
    if lot_id is not None:
        query = query.where(StockTransaction.lot_id == lot_id)
    return paginate(session, query.order_by(StockTransaction.id.desc()), page, per_page)


def product_lots(session: AnySession, product_id: int, *, include_closed: bool, page: int = 1, per_page: int = 50) -> Page[Lot]:
    """A product's lots in FIFO order (received date, then id), a page at a time."""
    query = select(Lot).where(Lot.product_id == product_id)
    if not include_closed:
        query = query.where(Lot.status == "active")
    return paginate(session, query.order_by(Lot.received_date, Lot.id), page, per_page)


def count_lots(session: AnySession, product_id: int) -> int:
    return session.scalar(select(func.count(Lot.id)).where(Lot.product_id == product_id)) or 0
