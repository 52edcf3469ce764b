"""The unit cost at which returned goods come back into stock."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from partsemble.domain.fifo import shortfall_unit_cost, weighted_average_cost
from partsemble.domain.money import unit_cost as to_unit_cost
from partsemble.inventory.ledger import active_lots, historic_average_cost
from partsemble.models.sales import Sale, SaleLine


@dataclass(frozen=True)
class ReturnCost:
    unit_cost: Decimal
    no_cost_basis: bool
    explanation: str


def return_unit_cost(session: Session, product_id: int, credit: Sale) -> ReturnCost:
    """The FIFO unit cost of the latest earlier sale of the product to the same customer,
    else the product's weighted average cost (active lots, then all lots), else zero."""
    customer = Sale.customer_ref == credit.customer_ref if credit.customer_ref else Sale.customer_name == credit.customer_name
    last = session.execute(
        select(SaleLine.cost, SaleLine.quantity, Sale.doc_number, Sale.txn_date)
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(
            SaleLine.product_id == product_id,
            SaleLine.kind == "tracked",
            SaleLine.quantity > 0,
            Sale.status == "active",
            Sale.id != credit.id,
            Sale.external_type != "CreditMemo",
            Sale.txn_date <= credit.txn_date,
            customer,
        )
        .order_by(Sale.txn_date.desc(), Sale.id.desc())
        .limit(1)
    ).first()
    if last is not None:
        cost, quantity, number, day = last
        return ReturnCost(to_unit_cost(cost / quantity), False, f"cost of sale {number} on {day.isoformat()}")
    active = weighted_average_cost((lot.quantity_remaining, lot.unit_cost) for lot in active_lots(session, product_id))
    historic = historic_average_cost(session, product_id) if active is None else None
    costing = shortfall_unit_cost(active, historic)
    if costing.no_cost_basis:
        return ReturnCost(costing.unit_cost, True, "no cost basis: no earlier sale and no lots")
    return ReturnCost(costing.unit_cost, False, "weighted average cost")
