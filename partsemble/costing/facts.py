"""A product's dated facts, read from the database for the replay, with what is stored now."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from partsemble.domain.replay import AdjustmentFact, LineCost, LineFact, LotFact, Take
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import LotConsumption, Sale, SaleLine

AnySession = Session | scoped_session[Session]


@dataclass(frozen=True)
class StoredLot:
    lot_id: int
    number: str
    received_date: date
    remaining: Decimal
    unit_cost: Decimal
    status: str
    source: str


@dataclass(frozen=True)
class StoredLine:
    line_id: int
    sale_id: int
    txn_date: date
    doc_label: str  # "Invoice 1001"
    revenue: Decimal
    returned: Decimal  # units back in stock (returns), else zero
    cost: Decimal
    result: LineCost  # as stored


@dataclass(frozen=True)
class ProductFacts:
    product_id: int
    lots: dict[int, StoredLot]
    lot_facts: list[LotFact]
    adjustments: list[AdjustmentFact]
    line_facts: list[LineFact]
    stored: dict[int, StoredLine]


def read_facts(session: AnySession, product_id: int, closed_through: date | None) -> ProductFacts:
    """Every lot, adjustment and tracked line of active sales of one product, and their stored costs."""
    lots: dict[int, StoredLot] = {}
    received: dict[int, Decimal] = {}
    for row in session.execute(
        select(Lot.id, Lot.lot_number, Lot.received_date, Lot.quantity_remaining, Lot.unit_cost, Lot.status, Lot.source,
               Lot.quantity_received).where(Lot.product_id == product_id)
    ):
        lots[row.id] = StoredLot(row.id, row.lot_number, row.received_date, row.quantity_remaining, row.unit_cost, row.status, row.source)
        received[row.id] = row.quantity_received
    lot_facts = [
        LotFact(lot.lot_id, lot.received_date, received[lot.lot_id], lot.unit_cost)
        for lot in lots.values() if lot.source != "return" and lot.status != "voided"
    ]
    adjustments = [
        AdjustmentFact(row.id, row.lot_id, row.business_date, row.quantity)
        for row in session.execute(
            select(StockTransaction.id, StockTransaction.lot_id, StockTransaction.business_date, StockTransaction.quantity)
            .where(StockTransaction.product_id == product_id, StockTransaction.type == "LOT_ADJUSTMENT")
        )
        if row.lot_id in lots and lots[row.lot_id].status != "voided"
    ]
    draws: defaultdict[int, list[Take]] = defaultdict(list)
    for row in session.execute(
        select(LotConsumption.sale_line_id, LotConsumption.lot_id, LotConsumption.quantity, LotConsumption.unit_cost, LotConsumption.settled)
        .join(SaleLine, SaleLine.id == LotConsumption.sale_line_id)
        .where(SaleLine.product_id == product_id)
        .order_by(LotConsumption.id)
    ):
        draws[row.sale_line_id].append(Take(row.lot_id, row.quantity, row.unit_cost, row.settled))
    line_facts: list[LineFact] = []
    stored: dict[int, StoredLine] = {}
    rows = session.execute(
        select(SaleLine.id, SaleLine.sale_id, SaleLine.position, SaleLine.kind, SaleLine.quantity, SaleLine.return_lot_id,
               SaleLine.revenue, SaleLine.cost, SaleLine.shortage_quantity, SaleLine.shortage_unit_cost, SaleLine.no_cost_basis,
               Sale.txn_date, Sale.source_created_at, Sale.customer_ref, Sale.customer_name, Sale.doc_number, Sale.external_type)
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(SaleLine.product_id == product_id, Sale.status == "active", SaleLine.kind.in_(("tracked", "return")))
    )
    for row in rows:
        is_credit = row.external_type == "CreditMemo"
        if row.kind == "tracked":
            units = -row.quantity if is_credit else row.quantity
            returned = Decimal(0)
        elif row.return_lot_id is not None:
            units = -received[row.return_lot_id]
            returned = -units
        else:
            continue  # a return that does not come back into stock (setting): no stock, no cost
        if units == 0:
            continue
        if row.kind == "tracked":
            result = LineCost(tuple(_merge(draws.get(row.id, []))), row.shortage_quantity,
                              row.shortage_unit_cost if row.shortage_quantity else Decimal(0),
                              bool(row.no_cost_basis) and row.shortage_quantity > 0)
        else:
            result = LineCost(no_cost_basis=bool(row.no_cost_basis), return_unit_cost=lots[row.return_lot_id].unit_cost)
        label = f"{_type_label(row.external_type)} {row.doc_number}".strip()
        stored[row.id] = StoredLine(row.id, row.sale_id, row.txn_date, label, row.revenue, returned, row.cost, result)
        fixed = result if closed_through is not None and row.txn_date <= closed_through else None
        line_facts.append(LineFact(
            row.id, row.sale_id, row.txn_date, row.source_created_at, row.position, units, row.customer_ref, row.customer_name,
            row.doc_number, is_sale=row.kind == "tracked" and not is_credit, return_lot_id=row.return_lot_id, fixed=fixed,
        ))
    return ProductFacts(product_id, lots, lot_facts, adjustments, line_facts, stored)


def _merge(takes: list[Take]) -> list[Take]:
    merged: dict[tuple[int, bool], Take] = {}
    for take in takes:
        key = (take.lot_id, take.settled)
        if key in merged:
            merged[key] = Take(take.lot_id, merged[key].quantity + take.quantity, take.unit_cost, take.settled)
        else:
            merged[key] = take
    return [take for take in merged.values() if take.quantity]


def _type_label(external_type: str) -> str:
    return {"SalesReceipt": "Sales receipt", "CreditMemo": "Credit memo", "ManualSale": "Manual sale"}.get(external_type, external_type)
