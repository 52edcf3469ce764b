"""The unit cost at which returned goods come back into stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, scoped_session

from partsemble.costing.book import LotBook
from partsemble.domain.fifo import shortfall_unit_cost
from partsemble.domain.money import unit_cost as to_unit_cost
from partsemble.domain.replay import EARLIEST
from partsemble.models.sales import Sale, SaleLine

NOTE_LENGTH = 500  # Lot.note and StockTransaction.note


def return_lot_note(document: str, explanation: str) -> str:
    """A return lot's note: the document the goods came back on, and where their unit cost came from.

    Written when the return is applied and again when a replay finds another basis, so entering the
    same dated facts in another order gives the same words, not only the same numbers."""
    return f"Returned on {document} ({explanation})"[:NOTE_LENGTH]


@dataclass(frozen=True)
class ReturnCost:
    unit_cost: Decimal
    no_cost_basis: bool
    explanation: str


@dataclass(frozen=True)
class EarlierSale:
    """A sale of one product to one customer (its tracked lines of that product, summed), as a
    candidate for "the latest earlier sale to this customer"."""

    txn_date: date
    created_at: datetime | None
    sale_id: int
    number: str
    cost: Decimal
    quantity: Decimal
    document: tuple[str, str]  # (type, id)

    @property
    def unit_cost(self) -> Decimal:
        return to_unit_cost(self.cost / self.quantity)

    def key(self) -> tuple[date, datetime, tuple[str, str, int]]:
        """The date order of sales (partsemble.domain.replay)."""
        return (self.txn_date, self.created_at or EARLIEST, (*self.document, self.sale_id))


def latest_earlier_sale(
    session: Session | scoped_session[Session],
    product_id: int,
    customer_ref: str,
    customer_name: str,
    on: date,
    exclude_sale_id: int | None,
) -> EarlierSale | None:
    """The latest written sale of the product to the customer on or before `on` (credit memos aside).

    Two indexed look-ups: the latest date (by the customer's index), then that day's sales, ordered
    by creation time as the date-order replay orders them.
    """
    latest_day, that_day = _earlier_sale_queries(bool(customer_ref), exclude_sale_id is not None)
    params = {"product_id": product_id, "customer": customer_ref or customer_name, "on": on, "exclude_sale_id": exclude_sale_id}
    latest = session.scalar(latest_day, params)
    if latest is None:
        return None
    sales = [
        EarlierSale(txn_date, created_at, sale_id, number, cost, quantity, (doc_type, doc_id))
        for txn_date, created_at, sale_id, number, cost, quantity, doc_type, doc_id in session.execute(
            that_day, {**params, "latest": latest}
        )
    ]
    return max(sales, key=EarlierSale.key)


@cache
def _earlier_sale_queries(by_ref: bool, excluding: bool) -> tuple[Select[tuple[date]], Select[Any]]:
    """The two statements of latest_earlier_sale, built once: a return line asks for them on every
    credit memo, and building them cost more than running them."""
    customer = Sale.customer_ref == bindparam("customer") if by_ref else Sale.customer_name == bindparam("customer")
    conditions = [
        SaleLine.product_id == bindparam("product_id"),
        SaleLine.kind == "tracked",
        SaleLine.quantity > 0,
        Sale.status == "active",
        Sale.external_type != "CreditMemo",
        Sale.txn_date <= bindparam("on"),
        customer,
    ]
    if excluding:
        conditions.append(Sale.id != bindparam("exclude_sale_id"))
    latest_day = (
        select(Sale.txn_date)
        .join(SaleLine, SaleLine.sale_id == Sale.id)
        .where(*conditions)
        .order_by(Sale.txn_date.desc(), Sale.id.desc())
        .limit(1)
    )
    that_day = (
        select(
            Sale.txn_date,
            Sale.source_created_at,
            Sale.id,
            Sale.doc_number,
            func.sum(SaleLine.cost),
            func.sum(SaleLine.quantity),
            Sale.external_type,
            Sale.external_id,
        )
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(*conditions, Sale.txn_date == bindparam("latest"))
        .group_by(Sale.id, Sale.txn_date, Sale.source_created_at, Sale.doc_number, Sale.external_type, Sale.external_id)
    )
    return latest_day, that_day


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
