"""`partsemble check`: every invariant of the stock ledger and the sales it costs.

Each violation comes back as one sentence a bookkeeper can read.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from partsemble.domain.money import money
from partsemble.models.catalog import Product
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import LotConsumption, Sale, SaleLine

# A stored money value is rounded to 6 places; sums of n of them may drift by n half-units.
HALF_UNIT = Decimal("0.0000005")


def find_violations(session: Session) -> list[str]:
    problems: list[str] = []
    problems += _product_stock(session)
    problems += _lots(session)
    problems += _sale_figures(session)
    problems += _draws_match_ledger(session)
    return problems


def _product_stock(session: Session) -> list[str]:
    ledger = (
        select(StockTransaction.product_id, func.sum(StockTransaction.quantity).label("qty"))
        .group_by(StockTransaction.product_id)
        .subquery()
    )
    rows = session.execute(
        select(Product.sku, Product.stock_on_hand, ledger.c.qty).outerjoin(ledger, ledger.c.product_id == Product.id)
    ).all()
    out = []
    for sku, on_hand, ledger_qty in rows:
        expected = ledger_qty if ledger_qty is not None else Decimal(0)
        if on_hand != expected:
            out.append(f"Product {sku}: stock on hand is {on_hand} but its ledger sums to {expected}.")
    return out


def _lots(session: Session) -> list[str]:
    ledger = (
        select(
            StockTransaction.lot_id,
            func.sum(StockTransaction.quantity).label("qty"),
            func.sum(StockTransaction.value).label("value"),
            func.count(StockTransaction.id).label("rows"),
            func.sum(case((StockTransaction.unit_cost != Lot.unit_cost, 1), else_=0)).label("off_cost"),
        )
        .join(Lot, Lot.id == StockTransaction.lot_id)
        .group_by(StockTransaction.lot_id)
        .subquery()
    )
    rows = session.execute(
        select(Lot, Product.sku, ledger.c.qty, ledger.c.value, ledger.c.rows, ledger.c.off_cost)
        .join(Product, Product.id == Lot.product_id)
        .outerjoin(ledger, ledger.c.lot_id == Lot.id)
    ).all()
    out = []
    for lot, sku, qty, value, count, off_cost in rows:
        name = f"Lot {lot.lot_number} of {sku}"
        qty = qty if qty is not None else Decimal(0)
        if lot.quantity_remaining != qty:
            out.append(f"{name}: remaining is {lot.quantity_remaining} but its ledger sums to {qty}.")
        if lot.quantity_remaining < 0:
            out.append(f"{name}: remaining is negative ({lot.quantity_remaining}).")
        if off_cost:
            out.append(f"{name}: {off_cost} ledger rows use a unit cost other than the lot's {lot.unit_cost}.")
        expected_value = lot.quantity_remaining * lot.unit_cost
        if value is not None and abs(value - expected_value) > HALF_UNIT * (count or 1):
            out.append(f"{name}: ledger value {value} does not match remaining x unit cost {expected_value}.")
        if lot.status == "voided" and lot.quantity_remaining != 0:
            out.append(f"{name}: voided but still holds {lot.quantity_remaining}.")
        if lot.status == "active" and lot.quantity_remaining == 0:
            out.append(f"{name}: marked active but empty.")
        if lot.status == "exhausted" and lot.quantity_remaining != 0:
            out.append(f"{name}: marked exhausted but holds {lot.quantity_remaining}.")
    return out


def _sale_figures(session: Session) -> list[str]:
    """Active sales: cost = draws + shortfall per line, sale = sum of lines, margin = revenue - cost."""
    draws = (
        select(
            LotConsumption.sale_line_id,
            func.sum(LotConsumption.quantity).label("qty"),
        )
        .group_by(LotConsumption.sale_line_id)
        .subquery()
    )
    lines = session.execute(
        select(SaleLine, Sale.doc_number, Sale.external_type, draws.c.qty)
        .join(Sale, Sale.id == SaleLine.sale_id)
        .outerjoin(draws, draws.c.sale_line_id == SaleLine.id)
        .where(Sale.status == "active", SaleLine.kind == "tracked")
    ).all()
    out = []
    tracked: dict[int, SaleLine] = {}
    for line, number, doc_type, drawn in lines:
        drawn = drawn if drawn is not None else Decimal(0)
        if line.quantity > 0 and drawn + line.shortage_quantity != line.quantity:
            out.append(
                f"{doc_type} {number} line {line.position}: sold {line.quantity} but drew {drawn} from lots "
                f"plus a shortfall of {line.shortage_quantity}."
            )
        tracked[line.id] = line
    draws_cost: dict[int, Decimal] = defaultdict(Decimal)
    consumptions = session.execute(
        select(LotConsumption.sale_line_id, LotConsumption.quantity, LotConsumption.unit_cost)
        .join(Sale, Sale.id == LotConsumption.sale_id)
        .where(Sale.status == "active")
        .execution_options(yield_per=5000)
    )
    for line_id, quantity, unit_cost in consumptions:
        draws_cost[line_id] += quantity * unit_cost
    for line_id, line in tracked.items():
        expected = money(draws_cost[line_id] + line.shortage_cost)
        if line.cost != expected:
            out.append(f"Sale line {line_id}: cost {line.cost} is not draws plus shortfall ({expected}).")
        if line.shortage_quantity > 0 and abs(line.shortage_cost - line.shortage_quantity * line.shortage_unit_cost) > line.shortage_quantity * HALF_UNIT + HALF_UNIT:
            out.append(f"Sale line {line_id}: shortfall cost {line.shortage_cost} is not its quantity x unit cost.")
    totals = session.execute(
        select(Sale.id, Sale.external_type, Sale.doc_number, Sale.revenue, Sale.cost, Sale.margin,
               func.coalesce(func.sum(SaleLine.revenue), 0), func.coalesce(func.sum(SaleLine.cost), 0))
        .outerjoin(SaleLine, SaleLine.sale_id == Sale.id)
        .where(Sale.status == "active")
        .group_by(Sale.id)
    ).all()
    for _sid, doc_type, number, revenue, cost, margin, line_revenue, line_cost in totals:
        if revenue != line_revenue or cost != line_cost:
            out.append(f"{doc_type} {number}: totals ({revenue}, {cost}) differ from its lines ({line_revenue}, {line_cost}).")
        if margin != revenue - cost:
            out.append(f"{doc_type} {number}: margin {margin} is not revenue {revenue} minus cost {cost}.")
    return out


def _draws_match_ledger(session: Session) -> list[str]:
    """Per sale and lot, the SALE minus SALE_REVERSAL rows equal the current draws."""
    ledger = dict(
        ((sale_id, lot_id), qty)
        for sale_id, lot_id, qty in session.execute(
            select(StockTransaction.sale_id, StockTransaction.lot_id, func.sum(StockTransaction.quantity))
            .where(StockTransaction.sale_id.is_not(None), StockTransaction.type.in_(("SALE", "SALE_REVERSAL")))
            .group_by(StockTransaction.sale_id, StockTransaction.lot_id)
        ).all()
    )
    current: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    for sale_id, lot_id, qty in session.execute(
        select(LotConsumption.sale_id, LotConsumption.lot_id, func.sum(LotConsumption.quantity)).group_by(
            LotConsumption.sale_id, LotConsumption.lot_id
        )
    ).all():
        current[(sale_id, lot_id)] += qty
    for sale_id, shortage in session.execute(
        select(SaleLine.sale_id, func.sum(SaleLine.shortage_quantity))
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(Sale.status == "active", SaleLine.kind == "tracked")
        .group_by(SaleLine.sale_id)
    ).all():
        if shortage:
            current[(sale_id, None)] += shortage
    out = []
    for key in set(ledger) | set(current):
        posted = -(ledger.get(key) or Decimal(0))
        drawn = current.get(key, Decimal(0))
        if posted != drawn:
            sale_id, lot_id = key
            where = f"lot id {lot_id}" if lot_id is not None else "the shortfall (no lot)"
            out.append(f"Sale id {sale_id}: the ledger took {posted} from {where} but its draws say {drawn}.")
    return out
