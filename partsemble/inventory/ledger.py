"""Ledger postings inside a caller's transaction. Nothing here commits.

Every change of stock is one StockTransaction; a lot's remaining quantity and a
product's stock on hand move with it in the same flush, so they always equal
what the ledger says.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from partsemble.domain.fifo import (
    Allocation,
    LotBalance,
    allocate_fifo,
    shortfall_unit_cost,
    weighted_average_cost,
)
from partsemble.domain.money import money, qty
from partsemble.models.catalog import Product
from partsemble.models.inventory import Lot, StockTransaction


class NegativeLot(ValueError):
    """A posting would take a lot below zero."""


@dataclass(frozen=True)
class Posting:
    """Who and what caused a ledger row."""

    business_date: date
    user_id: int | None = None
    sale_id: int | None = None
    sync_run_id: int | None = None
    reason: str | None = None
    note: str = ""


def post(
    session: Session,
    kind: str,
    product_id: int,
    quantity: Decimal,
    unit_cost: Decimal,
    cause: Posting,
    lot: Lot | None = None,
) -> StockTransaction:
    """Append one ledger row and move the lot and the product's stock with it.

    Raises:
        NegativeLot: when the lot would go below zero.
    """
    quantity = qty(quantity)
    if lot is not None:
        remaining = lot.quantity_remaining + quantity
        if remaining < 0:
            raise NegativeLot(
                f"lot {lot.lot_number} holds {lot.quantity_remaining}; cannot take {-quantity}"
            )
        lot.quantity_remaining = remaining
        if lot.status != "voided":
            lot.status = "active" if remaining > 0 else "exhausted"
    row = StockTransaction(
        type=kind,
        product_id=product_id,
        lot=lot,
        quantity=quantity,
        unit_cost=unit_cost,
        value=money(quantity * unit_cost),
        business_date=cause.business_date,
        user_id=cause.user_id,
        sale_id=cause.sale_id,
        sync_run_id=cause.sync_run_id,
        reason=cause.reason,
        note=cause.note[:500],
    )
    session.add(row)
    session.execute(
        update(Product)
        .where(Product.id == product_id)
        .values(stock_on_hand=Product.stock_on_hand + quantity)
        .execution_options(synchronize_session=False)
    )
    loaded = session.identity_map.get(session.identity_key(Product, product_id))
    if loaded is not None:
        session.expire(loaded, ["stock_on_hand"])
    return row


def active_lots(session: Session, product_id: int, *, lock: bool = False) -> list[Lot]:
    """The product's lots that FIFO may draw from, oldest first (locked on PostgreSQL)."""
    query = (
        select(Lot)
        .where(Lot.product_id == product_id, Lot.status == "active", Lot.quantity_remaining > 0)
        .order_by(Lot.received_date, Lot.id)
    )
    if lock:
        query = query.with_for_update()
    return list(session.scalars(query))


def historic_average_cost(session: Session, product_id: int) -> Decimal | None:
    """Weighted average unit cost of every lot the product ever received (voided ones aside)."""
    rows = session.execute(
        select(Lot.quantity_received, Lot.unit_cost).where(
            Lot.product_id == product_id, Lot.status != "voided"
        )
    ).all()
    return weighted_average_cost((row[0], row[1]) for row in rows)


@dataclass(frozen=True)
class Drawn:
    """What a FIFO draw took: the lots, and the shortfall with the cost it was given."""

    allocation: Allocation
    lots: dict[int, Lot]
    shortfall_unit_cost: Decimal
    no_cost_basis: bool

    @property
    def shortfall(self) -> Decimal:
        return self.allocation.shortfall

    @property
    def cost(self) -> Decimal:
        return money(self.allocation.draws_cost + self.shortfall * self.shortfall_unit_cost)


def draw_fifo(session: Session, product_id: int, quantity: Decimal, cause: Posting) -> Drawn:
    """Take `quantity` out of the product's lots, oldest first; the rest is a costed shortfall.

    The shortfall is costed at the weighted average of the active lots just
    before this draw, else of every lot ever received, else zero (no cost basis).
    Stock on hand goes negative by the shortfall; a shortage never blocks.
    """
    lots = active_lots(session, product_id, lock=True)
    balances = [LotBalance(lot.id, lot.received_date, lot.quantity_remaining, lot.unit_cost) for lot in lots]
    allocation = allocate_fifo(balances, qty(quantity))
    by_id = {lot.id: lot for lot in lots}
    for draw in allocation.draws:
        post(session, "SALE", product_id, -draw.quantity, draw.unit_cost, cause, by_id[draw.lot_id])
    unit = Decimal(0)
    no_basis = False
    if allocation.shortfall > 0:
        active_average = weighted_average_cost((b.remaining, b.unit_cost) for b in balances)
        historic = historic_average_cost(session, product_id) if active_average is None else None
        costing = shortfall_unit_cost(active_average, historic)
        unit, no_basis = costing.unit_cost, costing.no_cost_basis
        post(session, "SALE", product_id, -allocation.shortfall, unit, cause)
    return Drawn(allocation, by_id, unit, no_basis)


def restore_to_lot(session: Session, lot_id: int, quantity: Decimal, unit_cost: Decimal, cause: Posting) -> bool:
    """Give a consumed quantity back to its lot; to plain stock if the lot was removed since.

    Returns whether the quantity went back into the lot.
    """
    lot = session.get(Lot, lot_id, with_for_update=True)
    if lot is None:
        raise ValueError(f"lot {lot_id} does not exist")
    if lot.status == "voided":
        post(session, "SALE_REVERSAL", lot.product_id, quantity, unit_cost, cause)
        return False
    post(session, "SALE_REVERSAL", lot.product_id, quantity, unit_cost, cause, lot)
    return True


def unique_lot_number(session: Session, product_id: int, base: str) -> str:
    """`base`, or `base-2`, `base-3`... whichever is free for this product."""
    taken = set(
        session.scalars(
            select(Lot.lot_number).where(
                Lot.product_id == product_id,
                (Lot.lot_number == base) | Lot.lot_number.like(base.replace("%", r"\%").replace("_", r"\_") + "-%", escape="\\"),
            )
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def add_lot(
    session: Session,
    product_id: int,
    lot_number: str,
    received_date: date,
    quantity: Decimal,
    unit_cost: Decimal,
    source: str,
    cause: Posting,
    kind: str = "RECEIVE",
) -> Lot:
    """Create a lot and its RECEIVE (or RETURN) row in the caller's transaction."""
    lot = Lot(
        product_id=product_id,
        lot_number=lot_number,
        received_date=received_date,
        quantity_received=qty(quantity),
        quantity_remaining=Decimal(0),
        unit_cost=unit_cost,
        source=source,
        status="active",
        note=cause.note[:500],
        sale_id=cause.sale_id if source == "return" else None,
        created_by_id=cause.user_id,
    )
    session.add(lot)
    session.flush()
    post(session, kind, product_id, quantity, unit_cost, cause, lot)
    return lot


def remove_lot(session: Session, lot: Lot, kind: str, cause: Posting) -> Decimal:
    """Take what remains of a lot out of stock and mark it voided; returns that quantity."""
    remaining = lot.quantity_remaining
    if remaining > 0:
        post(session, kind, lot.product_id, -remaining, lot.unit_cost, cause, lot)
    else:
        # No quantity moves, but the ledger still records that the lot ended.
        post(session, kind, lot.product_id, Decimal(0), lot.unit_cost, cause, lot)
    lot.status = "voided"
    return remaining


def lot_has_consumption(session: Session, lot_id: int) -> bool:
    """Whether any sale ever drew from the lot (reversed draws count too)."""
    return (
        session.scalar(
            select(func.count(StockTransaction.id)).where(
                StockTransaction.lot_id == lot_id, StockTransaction.type == "SALE"
            )
        )
        or 0
    ) > 0
