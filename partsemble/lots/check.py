"""`partsemble check`: every invariant of the stock ledger and the sales it costs.

Each violation comes back as one sentence a bookkeeper can read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from partsemble.costing import costs_final_through
from partsemble.costing.facts import read_facts
from partsemble.costing.recost import differences
from partsemble.domain.money import money
from partsemble.models.catalog import Product
from partsemble.models.inventory import SALE_MOVES, Lot, StockTransaction
from partsemble.models.sales import LotConsumption, Sale, SaleLine

# A stored money value is rounded to 6 places; sums of n of them may drift by n half-units.
HALF_UNIT = Decimal("0.0000005")


def find_violations(session: Session) -> list[str]:
    problems: list[str] = []
    problems += _product_stock(session)
    problems += _lots(session)
    problems += _sale_figures(session)
    problems += _draws_match_ledger(session)
    problems += _costs_follow_the_dates(session)
    return problems


def _costs_follow_the_dates(session: Session) -> list[str]:
    """Per product, the stored draws equal a from-scratch replay of its dated facts."""
    closed = costs_final_through(session)
    out = []
    for product_id, sku in session.execute(select(Product.id, Product.sku).order_by(Product.id)):
        facts = read_facts(session, product_id, closed)
        found = differences(facts)
        for line_id, expected in list(found.lines.items())[:5]:
            stored = facts.stored[line_id]
            out.append(
                f"Product {sku}: {stored.doc_label} (sale id {stored.sale_id}) is costed {stored.cost} but the date-order "
                f"replay costs it {expected.cost(stored.returned)}."
            )
        if len(found.lines) > 5:
            out.append(f"Product {sku}: {len(found.lines) - 5} more lines differ from the date-order replay.")
        for row in found.lots[:5]:
            lot = facts.lots[row["lot_id"]]
            out.append(
                f"Product {sku}: lot {lot.number} holds {lot.remaining} ({lot.status}, unit cost {lot.unit_cost}) but the "
                f"date-order replay leaves {row['remaining']} ({row['new_status']}, unit cost {row['new_cost']})."
            )
        for lot_id, note in list(found.notes.items())[:5]:
            out.append(f"Product {sku}: return lot {facts.lots[lot_id].number} reads {facts.lots[lot_id].note!r}; the replay: {note!r}.")
    return out


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


@dataclass(frozen=True)
class _LotRow:
    lot_number: str
    quantity_remaining: Decimal
    unit_cost: Decimal
    status: str


def _lots(session: Session) -> list[str]:
    ledger = (
        select(
            StockTransaction.lot_id,
            func.sum(StockTransaction.quantity).label("qty"),
            func.sum(StockTransaction.value).label("value"),
            func.count(StockTransaction.id).label("rows"),
            func.sum(case((StockTransaction.unit_cost != Lot.unit_cost, 1), else_=0)).label("off_cost"),
            # A return lot whose cost followed its sale's was revalued: its earlier rows are at the old cost.
            func.sum(case((StockTransaction.type == "REVALUE", 1), else_=0)).label("revalued"),
        )
        .join(Lot, Lot.id == StockTransaction.lot_id)
        .group_by(StockTransaction.lot_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Lot.lot_number,
            Lot.quantity_remaining,
            Lot.unit_cost,
            Lot.status,
            Product.sku,
            ledger.c.qty,
            ledger.c.value,
            ledger.c.rows,
            ledger.c.off_cost,
            ledger.c.revalued,
        )
        .join(Product, Product.id == Lot.product_id)
        .outerjoin(ledger, ledger.c.lot_id == Lot.id)
    ).all()
    out = []
    for number, remaining, unit, status, sku, qty, value, count, off_cost, revalued in rows:
        lot = _LotRow(number, remaining, unit, status)
        name = f"Lot {lot.lot_number} of {sku}"
        qty = qty if qty is not None else Decimal(0)
        if lot.quantity_remaining != qty:
            out.append(f"{name}: remaining is {lot.quantity_remaining} but its ledger sums to {qty}.")
        if lot.quantity_remaining < 0:
            out.append(f"{name}: remaining is negative ({lot.quantity_remaining}).")
        if off_cost and not revalued:
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
    """Active sales: cost = draws + shortfall per line, sale = sum of lines, margin = revenue - cost,
    and skipped lines carry no revenue."""
    draws_qty: dict[int, Decimal] = defaultdict(Decimal)
    draws_cost: dict[int, Decimal] = defaultdict(Decimal)
    consumptions = session.execute(
        select(LotConsumption.sale_line_id, LotConsumption.quantity, LotConsumption.unit_cost)
        .join(Sale, Sale.id == LotConsumption.sale_id)
        .where(Sale.status == "active")
        .execution_options(yield_per=5000)
    )
    for line_id, quantity, unit_cost in consumptions:
        draws_qty[line_id] += quantity
        draws_cost[line_id] += quantity * unit_cost
    lines = session.execute(
        select(
            SaleLine.id,
            SaleLine.position,
            SaleLine.quantity,
            SaleLine.cost,
            SaleLine.shortage_quantity,
            SaleLine.shortage_unit_cost,
            SaleLine.shortage_cost,
            Sale.doc_number,
            Sale.external_type,
        )
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(Sale.status == "active", SaleLine.kind == "tracked")
        .execution_options(yield_per=5000)
    )
    out = []
    for line_id, position, quantity, cost, short_qty, short_unit, short_cost, number, doc_type in lines:
        drawn = draws_qty.get(line_id, Decimal(0))
        if quantity > 0 and drawn + short_qty != quantity:
            out.append(f"{doc_type} {number} line {position}: sold {quantity} but drew {drawn} from lots plus a shortfall of {short_qty}.")
        expected = money(draws_cost.get(line_id, Decimal(0)) + short_cost)
        if cost != expected:
            out.append(f"{doc_type} {number} line {position}: cost {cost} is not draws plus shortfall ({expected}).")
        if short_qty > 0 and abs(short_cost - short_qty * short_unit) > short_qty * HALF_UNIT + HALF_UNIT:
            out.append(f"{doc_type} {number} line {position}: shortfall cost {short_cost} is not its quantity x unit cost.")
    totals = session.execute(
        select(
            Sale.id,
            Sale.external_type,
            Sale.doc_number,
            Sale.revenue,
            Sale.cost,
            Sale.margin,
            func.coalesce(func.sum(SaleLine.revenue), 0),
            func.coalesce(func.sum(SaleLine.cost), 0),
            func.count(SaleLine.id).filter(SaleLine.kind == "skipped", SaleLine.revenue != 0),
        )
        .outerjoin(SaleLine, SaleLine.sale_id == Sale.id)
        .where(Sale.status == "active")
        .group_by(Sale.id)
    ).all()
    for _sid, doc_type, number, revenue, cost, margin, line_revenue, line_cost, skipped_with_revenue in totals:
        if skipped_with_revenue:
            out.append(f"{doc_type} {number}: {skipped_with_revenue} skipped line(s) carry revenue; only tracked lines do.")
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
            .where(StockTransaction.sale_id.is_not(None), StockTransaction.type.in_(SALE_MOVES))
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
