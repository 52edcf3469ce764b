"""The unit cost at which returned goods come back into stock."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from partsemble.domain.fifo import shortfall_unit_cost
from partsemble.domain.money import unit_cost as to_unit_cost
from partsemble.inventory.book import LotBook
from partsemble.models.sales import Sale, SaleLine


@dataclass(frozen=True)
class ReturnCost:
    unit_cost: Decimal
    no_cost_basis: bool
    explanation: str


@dataclass(frozen=True)
class EarlierSale:
    """A tracked sale line, as a candidate for "the latest earlier sale to this customer"."""

    txn_date: date
    sale_id: int
    number: str
    unit_cost: Decimal

    def key(self) -> tuple[date, int]:
        return (self.txn_date, self.sale_id)


def latest_earlier_sale(session: Session | scoped_session[Session], product_id: int, customer_ref: str, customer_name: str,
                        on: date, exclude_sale_id: int | None) -> EarlierSale | None:
    """The latest written sale of the product to the customer on or before `on` (credit memos aside)."""
    customer = Sale.customer_ref == customer_ref if customer_ref else Sale.customer_name == customer_name
    query = (
        select(Sale.txn_date, Sale.id, Sale.doc_number, SaleLine.cost, SaleLine.quantity)
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(SaleLine.product_id == product_id, SaleLine.kind == "tracked", SaleLine.quantity > 0, Sale.status == "active",
               Sale.external_type != "CreditMemo", Sale.txn_date <= on, customer)
        .order_by(Sale.txn_date.desc(), Sale.id.desc())
        .limit(1)
    )
    if exclude_sale_id is not None:
        query = query.where(Sale.id != exclude_sale_id)
    row = session.execute(query).first()
    if row is None:
        return None
    day, sale_id, number, cost, quantity = row
    return EarlierSale(day, sale_id, number, to_unit_cost(cost / quantity))


def return_unit_cost(book: LotBook, product_id: int, earlier: EarlierSale | None) -> ReturnCost:
    """The FIFO unit cost of the latest earlier sale of the product to the same customer,
    else the product's weighted average cost (active lots, then all lots), else zero."""
    if earlier is not None:
        return ReturnCost(earlier.unit_cost, False, f"cost of sale {earlier.number} on {earlier.txn_date.isoformat()}")
    active = book.active_average(product_id)
    costing = shortfall_unit_cost(active, book.historic_average(product_id) if active is None else None)
    if costing.no_cost_basis:
        return ReturnCost(costing.unit_cost, True, "no cost basis: no earlier sale and no lots")
    return ReturnCost(costing.unit_cost, False, "weighted average cost")
