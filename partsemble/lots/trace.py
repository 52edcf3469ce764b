"""Lot traceability: which sales drew from a lot, and which customers received it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from partsemble.models.inventory import Lot
from partsemble.models.sales import LotConsumption, Sale, SaleLine
from partsemble.models.transactions import AnySession


@dataclass(frozen=True)
class TraceRow:
    sale_id: int
    txn_date: date
    doc_type: str
    doc_number: str
    customer: str
    quantity: Decimal
    unit_cost: Decimal
    settled: bool  # the sale was short at its date; this lot covered it when it arrived


@dataclass(frozen=True)
class CustomerRow:
    customer: str
    quantity: Decimal
    sales: int
    first_date: date
    last_date: date


@dataclass(frozen=True)
class LotTrace:
    draws: list[TraceRow]
    customers: list[CustomerRow]
    return_from: Sale | None  # the credit memo that created a return lot


def _draws_query(lot_id: int):  # type: ignore[no-untyped-def]
    return (
        select(
            Sale.id,
            Sale.txn_date,
            Sale.external_type,
            Sale.doc_number,
            Sale.customer_name,
            LotConsumption.quantity,
            LotConsumption.unit_cost,
            LotConsumption.settled,
        )
        .join(SaleLine, SaleLine.id == LotConsumption.sale_line_id)
        .join(Sale, Sale.id == LotConsumption.sale_id)
        .where(LotConsumption.lot_id == lot_id)
        .order_by(Sale.txn_date, Sale.id)
    )


def lot_trace(session: AnySession, lot_id: int) -> LotTrace:
    draws = [TraceRow(*row) for row in session.execute(_draws_query(lot_id)).all()]
    return LotTrace(draws=draws, customers=customers_of(session, lot_id), return_from=_return_source(session, lot_id))


def customers_of(session: AnySession, lot_id: int) -> list[CustomerRow]:
    """Customers who received units of the lot (current, unreversed draws), most units first."""
    rows = session.execute(
        select(
            Sale.customer_name,
            func.sum(LotConsumption.quantity),
            func.count(func.distinct(Sale.id)),
            func.min(Sale.txn_date),
            func.max(Sale.txn_date),
        )
        .join(Sale, Sale.id == LotConsumption.sale_id)
        .where(LotConsumption.lot_id == lot_id)
        .group_by(Sale.customer_name)
    ).all()
    result = [CustomerRow(name, qty, count, first, last) for name, qty, count, first, last in rows]
    return sorted(result, key=lambda r: (-r.quantity, r.customer))


def customer_rows(session: AnySession, lot_id: int) -> Iterator[tuple[object, ...]]:
    for row in customers_of(session, lot_id):
        yield (row.customer, f"{row.quantity:f}", row.sales, row.first_date.isoformat(), row.last_date.isoformat())


def _return_source(session: AnySession, lot_id: int) -> Sale | None:
    lot = session.get(Lot, lot_id)
    if lot is None or lot.sale_id is None:
        return None
    return session.get(Sale, lot.sale_id)
