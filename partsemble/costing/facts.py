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
from partsemble.models.sales import LotConsumption, Sale, SaleLine, document_name

AnySession = Session | scoped_session[Session]


@dataclass(frozen=True, slots=True)
class StoredLot:
    lot_id: int
    number: str
    received_date: date
    remaining: Decimal
    unit_cost: Decimal
    status: str
    source: str
    note: str


@dataclass(frozen=True, slots=True)
class StoredLine:
    line_id: int
    sale_id: int
    txn_date: date
    doc_label: str  # "Invoice 1001"
    revenue: Decimal
    returned: Decimal  # units back in stock (returns), else zero
    cost: Decimal
    result: LineCost  # as stored


@dataclass(frozen=True, slots=True)
class StoredSale:
    cost: Decimal
    revenue: Decimal
    version: str


@dataclass(frozen=True, slots=True)
class ProductFacts:
    product_id: int
    lots: dict[int, StoredLot]
    lot_facts: list[LotFact]
    adjustments: list[AdjustmentFact]
    line_facts: list[LineFact]
    stored: dict[int, StoredLine]
    sales: dict[int, StoredSale]


def read_facts(session: AnySession, product_id: int, closed_through: date | None) -> ProductFacts:
    """Every lot, adjustment and tracked line of active sales of one product, and their stored costs."""
    lots: dict[int, StoredLot] = {}
    received: dict[int, Decimal] = {}
    for row in session.execute(
        select(
            Lot.id,
            Lot.lot_number,
            Lot.received_date,
            Lot.quantity_remaining,
            Lot.unit_cost,
            Lot.status,
            Lot.source,
            Lot.note,
            Lot.quantity_received,
        ).where(Lot.product_id == product_id)
    ):
        lots[row.id] = StoredLot(
            row.id, row.lot_number, row.received_date, row.quantity_remaining, row.unit_cost, row.status, row.source, row.note
        )
        received[row.id] = row.quantity_received
    lot_facts = [
        LotFact(lot.lot_id, lot.received_date, received[lot.lot_id], lot.unit_cost)
        for lot in lots.values()
        if lot.source != "return" and lot.status != "voided"
    ]
    adjustments = [
        AdjustmentFact(row.id, row.lot_id, row.business_date, row.quantity)
        for row in session.execute(
            select(StockTransaction.id, StockTransaction.lot_id, StockTransaction.business_date, StockTransaction.quantity).where(
                StockTransaction.product_id == product_id, StockTransaction.type == "LOT_ADJUSTMENT"
            )
        )
        if row.lot_id in lots and lots[row.lot_id].status != "voided"
    ]
    draws: defaultdict[int, list[Take]] = defaultdict(list)
    for drawn in session.execute(
        select(
            LotConsumption.sale_line_id, LotConsumption.lot_id, LotConsumption.quantity, LotConsumption.unit_cost, LotConsumption.settled
        )
        .join(SaleLine, SaleLine.id == LotConsumption.sale_line_id)  # pragma: no mutate - the one foreign key: inferred ON clause
        .where(SaleLine.product_id == product_id)
        .order_by(LotConsumption.id)
    ):
        draws[drawn.sale_line_id].append(Take(drawn.lot_id, drawn.quantity, drawn.unit_cost, drawn.settled))
    line_facts: list[LineFact] = []
    stored: dict[int, StoredLine] = {}
    sales: dict[int, StoredSale] = {}
    rows = session.execute(
        select(
            SaleLine.id,
            SaleLine.sale_id,
            SaleLine.position,
            SaleLine.kind,
            SaleLine.quantity,
            SaleLine.return_lot_id,
            SaleLine.revenue,
            SaleLine.cost,
            SaleLine.shortage_quantity,
            SaleLine.shortage_unit_cost,
            SaleLine.no_cost_basis,
            Sale.txn_date,
            Sale.source_created_at,
            Sale.customer_ref,
            Sale.customer_name,
            Sale.doc_number,
            Sale.external_type,
            Sale.cost,
            Sale.revenue,
            Sale.version,
            Sale.external_id,
        )
        .join(Sale, Sale.id == SaleLine.sale_id)  # pragma: no mutate - the one foreign key: inferred ON clause
        .where(SaleLine.product_id == product_id, Sale.status == "active", SaleLine.kind.in_(("tracked", "return")))
    )
    zero = Decimal(0)
    # Plain tuples: a busy product has tens of thousands of lines, and attribute access on rows costs.
    for (
        line_id,
        sale_id,
        position,
        kind,
        quantity,
        return_lot_id,
        revenue,
        cost,
        short_qty,
        short_unit,
        no_basis,
        txn_date,
        created_at,
        customer_ref,
        customer_name,
        doc_number,
        external_type,
        sale_cost,
        sale_revenue,
        version,
        external_id,
    ) in rows.tuples():
        if sale_id not in sales:
            sales[sale_id] = StoredSale(sale_cost, sale_revenue, version)
        is_credit = external_type == "CreditMemo"
        tracked = kind == "tracked"
        if tracked:
            units = -quantity if is_credit else quantity
            returned = zero
        elif return_lot_id is not None:
            units = -received[return_lot_id]
            returned = -units
        else:
            continue  # a return that does not come back into stock (setting): no stock, no cost
        if units == 0:
            continue
        if tracked:
            taken = draws.get(line_id, ())
            # As stored: one draw per lot and settled flag (the fast path draws a lot once per line,
            # and a re-cost writes the replay's draws merged that way).
            result = LineCost(
                tuple(taken),
                short_qty,
                short_unit if short_qty else zero,
                bool(no_basis) and short_qty > 0,
            )
        else:
            result = LineCost(no_cost_basis=bool(no_basis), return_unit_cost=lots[return_lot_id].unit_cost)
        stored[line_id] = StoredLine(
            line_id,
            sale_id,
            txn_date,
            document_name(external_type, doc_number),
            revenue,
            returned,
            cost,
            result,
        )
        fixed = result if closed_through is not None and txn_date <= closed_through else None
        line_facts.append(
            LineFact(
                line_id,
                sale_id,
                txn_date,
                created_at,
                position,
                units,
                customer_ref,
                customer_name,
                doc_number,
                tracked and not is_credit,
                return_lot_id,
                fixed,
                (external_type, external_id),
            )
        )
    return ProductFacts(product_id, lots, lot_facts, adjustments, line_facts, stored, sales)
