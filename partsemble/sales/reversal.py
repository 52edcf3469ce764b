"""Undoing what a sale did to stock, exactly. Nothing here commits."""
from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from partsemble.domain.money import money, unit_cost
from partsemble.inventory.ledger import Posting, post, remove_lot, restore_to_lot
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import LotConsumption, Sale, SaleLine


def reverse_sale(session: Session, sale: Sale, cause: Posting) -> None:
    """Restore every draw to its lot, the shortfall to plain stock, and remove return lots.

    Draws come back from the consumption rows (the source of truth); the
    shortfall comes back at exactly the unit costs the ledger took it at.
    """
    for line in sale.lines:
        for draw in line.consumptions:
            restore_to_lot(session, draw.lot_id, draw.quantity, draw.unit_cost, cause)
        if line.return_lot_id is not None:
            lot = session.get(Lot, line.return_lot_id, with_for_update=True)
            if lot is not None and lot.status != "voided":
                remove_return_lot(session, lot, cause)
    _restore_shortfalls(session, sale.id, cause)
    session.execute(delete(LotConsumption).where(LotConsumption.sale_id == sale.id))
    session.expire(sale, ["lines"])


def _restore_shortfalls(session: Session, sale_id: int, cause: Posting) -> None:
    """Post the opposite of the sale's net lot-less rows, per product and unit cost."""
    rows = session.execute(
        select(StockTransaction.product_id, StockTransaction.unit_cost, func.sum(StockTransaction.quantity))
        .where(
            StockTransaction.sale_id == sale_id,
            StockTransaction.lot_id.is_(None),
            StockTransaction.type.in_(("SALE", "SALE_REVERSAL")),
        )
        .group_by(StockTransaction.product_id, StockTransaction.unit_cost)
    ).all()
    for product_id, cost, net in rows:
        if net:
            post(session, "SALE_REVERSAL", product_id, -net, cost, cause)


def remove_return_lot(session: Session, lot: Lot, cause: Posting) -> None:
    """Take a return lot back out of stock when its credit memo is undone.

    What later sales already drew from it becomes their shortfall (at the same
    unit cost, so their figures do not move), and the lot is voided.
    """
    consumers = list(session.scalars(select(LotConsumption).where(LotConsumption.lot_id == lot.id)))
    for draw in consumers:
        line = session.get(SaleLine, draw.sale_line_id)
        assert line is not None
        consumer = Posting(business_date=cause.business_date, sale_id=draw.sale_id, sync_run_id=cause.sync_run_id,
                           user_id=cause.user_id, note=f"Return lot {lot.lot_number} removed: drawn units become a shortfall")
        post(session, "SALE_REVERSAL", lot.product_id, draw.quantity, draw.unit_cost, consumer, lot)
        post(session, "SALE", lot.product_id, -draw.quantity, draw.unit_cost, consumer)
        new_quantity = line.shortage_quantity + draw.quantity
        line.shortage_cost = money(line.shortage_cost + draw.quantity * draw.unit_cost)
        line.shortage_quantity = new_quantity
        line.shortage_unit_cost = unit_cost(line.shortage_cost / new_quantity)
        sale = session.get(Sale, draw.sale_id)
        assert sale is not None
        sale.shortage = True
        session.delete(draw)
    session.flush()
    remove_lot(session, lot, "RETURN_REVERSAL", cause)
