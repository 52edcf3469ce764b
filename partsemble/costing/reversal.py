"""Undoing what a sale did to stock, exactly. Nothing here commits."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from partsemble.costing.book import LotState, Posting
from partsemble.costing.writer import SalesWriter
from partsemble.domain.money import money, unit_cost
from partsemble.models.inventory import SALE_MOVES, StockTransaction
from partsemble.models.sales import LotConsumption, Sale, SaleLine, document_name


def reverse_sale(writer: SalesWriter, sale_id: int, cause: Posting) -> None:
    """Restore every draw to its lot, the shortfall to plain stock, and remove return lots.

    Draws come back from the consumption rows (the source of truth); the
    shortfall comes back at exactly the unit costs the ledger took it at.
    """
    writer.flush()  # the database now holds every row this transaction wrote
    writer.forget_sale(sale_id)
    session = writer.session
    # Taking a sale out of the date order moves every later draw of its products: replay them.
    header = session.execute(select(Sale.txn_date, Sale.external_type, Sale.doc_number).where(Sale.id == sale_id)).one()
    for product_id in session.scalars(
        select(SaleLine.product_id)
        .where(SaleLine.sale_id == sale_id, SaleLine.product_id.is_not(None), SaleLine.kind.in_(("tracked", "return")))
        .distinct()
    ):
        assert product_id is not None  # selected where not null
        name = document_name(header.external_type, header.doc_number)
        writer.book.order.mark(product_id, header.txn_date, f"{name} dated {header.txn_date.isoformat()} reversed")
    draws = session.execute(
        select(LotConsumption.lot_id, LotConsumption.quantity, LotConsumption.unit_cost)
        .where(LotConsumption.sale_id == sale_id)
        .order_by(LotConsumption.id)
    ).all()
    for lot_id, quantity, cost in draws:
        writer.book.restore(lot_id, quantity, cost, cause)
    # The draws are undone: gone before any return lot of this sale is removed, so a sale
    # that drew from its own return lot is not also converted into a shortfall.
    session.execute(delete(LotConsumption).where(LotConsumption.sale_id == sale_id))
    for return_lot_id in session.scalars(
        select(SaleLine.return_lot_id).where(SaleLine.sale_id == sale_id, SaleLine.return_lot_id.is_not(None))
    ):
        assert return_lot_id is not None  # selected where not null
        lot = writer.book.lot(return_lot_id)
        if lot.status != "voided":
            remove_return_lot(writer, lot, cause)
    writer.flush()  # the shortfall is read back from the ledger, whole
    shortfalls = session.execute(
        select(StockTransaction.product_id, StockTransaction.unit_cost, func.sum(StockTransaction.quantity))
        .where(StockTransaction.sale_id == sale_id, StockTransaction.lot_id.is_(None), StockTransaction.type.in_(SALE_MOVES))
        .group_by(StockTransaction.product_id, StockTransaction.unit_cost)
    ).all()
    for product_id, cost, net in shortfalls:
        if net:
            writer.book.post("SALE_REVERSAL", product_id, -net, cost, cause)


def remove_return_lot(writer: SalesWriter, lot: LotState, cause: Posting) -> None:
    """Take a return lot back out of stock when its credit memo is undone.

    What later sales already drew from it becomes their shortfall (at the same
    unit cost, so their figures do not move), and the lot is voided.
    """
    session = writer.session
    consumers = session.execute(
        select(
            LotConsumption.id, LotConsumption.sale_line_id, LotConsumption.sale_id, LotConsumption.quantity, LotConsumption.unit_cost
        ).where(LotConsumption.lot_id == lot.id)
    ).all()
    for draw_id, line_id, consumer_id, quantity, cost in consumers:
        consumer = Posting(
            business_date=cause.business_date,
            sale_id=consumer_id,
            sync_run_id=cause.sync_run_id,
            user_id=cause.user_id,
            note=f"Return lot {lot.lot_number} removed: drawn units become a shortfall",
        )
        writer.book.post("SALE_REVERSAL", lot.product_id, quantity, cost, consumer, lot)
        writer.book.post("SALE", lot.product_id, -quantity, cost, consumer)
        short_qty, short_cost = session.execute(
            select(SaleLine.shortage_quantity, SaleLine.shortage_cost).where(SaleLine.id == line_id)
        ).one()
        new_qty, new_cost = short_qty + quantity, money(short_cost + quantity * cost)
        session.execute(
            update(SaleLine)
            .where(SaleLine.id == line_id)
            .values(shortage_quantity=new_qty, shortage_cost=new_cost, shortage_unit_cost=unit_cost(new_cost / new_qty))
        )
        session.execute(update(Sale).where(Sale.id == consumer_id).values(shortage=True))
        session.execute(delete(LotConsumption).where(LotConsumption.id == draw_id))
    writer.book.remove_lot(lot, "RETURN_REVERSAL", cause)
