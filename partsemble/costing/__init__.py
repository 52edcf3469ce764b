"""Costing: every fact that moves stock is costed in date order.

Entry point for services: collect the facts of one transaction through a lot
book (partsemble.inventory.book), then call `recost_stale` before committing;
the products whose facts did not land in date order are replayed and their
stored costs brought to the replay.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from partsemble.costing.facts import AnySession
from partsemble.costing.order import DateOrder
from partsemble.costing.recost import RecostCause, recost_product
from partsemble.models.settings import BookSettings


def costs_final_through(session: AnySession) -> date | None:
    """The end of the closed period, if an admin set one."""
    return session.scalar(select(BookSettings.costs_final_through).where(BookSettings.id == 1))


def recost_stale(session: AnySession, order: DateOrder, *, user_id: int | None = None, run_id: int | None = None,
                 exclude: set[int] | None = None) -> set[int]:
    """Re-cost every product the transaction marked stale; the sales whose cost changed (`exclude` aside)."""
    if not order.stale:
        return set()
    closed = costs_final_through(session)
    recosted: set[int] = set()
    for product_id, (_on, reason) in sorted(order.stale.items()):
        recosted |= recost_product(session, product_id, closed, RecostCause(reason, user_id, run_id), exclude or set())
    order.stale.clear()
    return recosted
