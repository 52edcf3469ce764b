"""Rows of sales written in bulk: one writer per transaction, flushed in foreign-key order."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session, scoped_session

from partsemble.costing.book import LotBook
from partsemble.costing.recost import recost_stale
from partsemble.costing.returns import EarlierSale, latest_earlier_sale
from partsemble.models.ids import IdAllocator
from partsemble.models.sales import LotConsumption, Sale, SaleLine, SaleRevision

# The columns a new version of a sale rewrites.
HEADER = (
    "version",
    "doc_number",
    "customer_ref",
    "customer_name",
    "txn_date",
    "currency",
    "exchange_rate",
    "source_created_at",
    "source_updated_at",
    "notes",
    "last_sync_run_id",
    "status",
    "revenue",
    "cost",
    "margin",
    "shortage",
    "no_cost_basis",
    "document_total",
    "updated_at",
)


class SalesWriter:
    """Collects the rows of one transaction's sales and writes them with executemany."""

    def __init__(self, session: Session | scoped_session[Session]) -> None:
        self.session = session
        self.ids = IdAllocator(session)
        self.book = LotBook(session, self.ids)
        self._sales: list[dict[str, Any]] = []
        self._sale_updates: list[dict[str, Any]] = []
        self._lines: list[dict[str, Any]] = []
        self._consumptions: list[dict[str, Any]] = []
        self._revisions: list[dict[str, Any]] = []
        # Sales this transaction creates, changes or voids: their own history says what happened.
        self.applied: set[int] = set()
        # Tracked sales written by this writer, for the cost of a later return to the same customer.
        self._recent: dict[tuple[int, str, str], EarlierSale] = {}

    def remember_sale(self, product_id: int, customer_ref: str, customer_name: str, sale: EarlierSale) -> None:
        """A tracked line just written; lines of one sale and product add up."""
        for key in ((product_id, "ref", customer_ref), (product_id, "name", customer_name)):
            if not key[2]:
                continue
            known = self._recent.get(key)
            if known is not None and known.sale_id == sale.sale_id:
                self._recent[key] = replace(known, cost=known.cost + sale.cost, quantity=known.quantity + sale.quantity)
            elif known is None or known.key() < sale.key():
                self._recent[key] = sale

    def forget_sale(self, sale_id: int) -> None:
        """The sale is being reversed: it is no longer an earlier sale of anything."""
        self._recent = {k: v for k, v in self._recent.items() if v.sale_id != sale_id}

    def latest_earlier_sale(
        self, product_id: int, customer_ref: str, customer_name: str, on: date, exclude_sale_id: int | None
    ) -> EarlierSale | None:
        """The latest earlier sale to the customer, among those written and those still to write."""
        found = latest_earlier_sale(self.session, product_id, customer_ref, customer_name, on, exclude_sale_id)
        mine = self._recent.get((product_id, "ref", customer_ref) if customer_ref else (product_id, "name", customer_name))
        if mine is not None and mine.txn_date <= on and mine.sale_id != exclude_sale_id and (found is None or found.key() < mine.key()):
            return mine
        return found

    def sale_id(self) -> int:
        return self.ids.take(Sale.__table__)

    def line_id(self) -> int:
        return self.ids.take(SaleLine.__table__)

    def add_sale(self, row: dict[str, Any]) -> None:
        self._sales.append(row)

    def update_sale(self, sale_id: int, header: dict[str, Any]) -> None:
        self._sale_updates.append({"sale_id": sale_id, **{f"new_{k}": header[k] for k in HEADER}})

    def add_line(self, row: dict[str, Any]) -> None:
        self._lines.append(row)

    def add_consumption(self, row: dict[str, Any]) -> None:
        self._consumptions.append(row)

    def add_revision(self, row: dict[str, Any]) -> None:
        self._revisions.append(row)

    def finish(self, user_id: int | None, run_id: int | None) -> set[int]:
        """Write everything, then re-cost the products whose facts did not land in date order.

        Returns the sales (other than those applied here) whose cost changed.
        """
        self.flush()
        if not self.book.order.stale:
            return set()
        recosted = recost_stale(self.session, self.book.order, user_id=user_id, run_id=run_id, exclude=self.applied)
        self.book.forget()  # lots and sales changed behind the book's back
        self._recent.clear()
        return recosted

    def flush(self) -> None:
        """Write everything collected so far, parents before children."""
        session = self.session
        if self._sales:
            session.execute(insert(Sale.__table__), self._sales)
            self._sales = []
        if self._sale_updates:
            table = Sale.__table__
            session.execute(
                update(table)
                .where(table.c.id == bindparam("sale_id"))
                .values({name: bindparam(f"new_{name}") for name in HEADER}),  # typed by the columns they set
                self._sale_updates,
            )
            self._sale_updates = []
        self.book.flush_lots()
        if self._lines:
            session.execute(insert(SaleLine.__table__), self._lines)
            self._lines = []
        if self._consumptions:
            session.execute(insert(LotConsumption.__table__), self._consumptions)
            self._consumptions = []
        self.book.flush_moves()
        if self._revisions:
            session.execute(insert(SaleRevision.__table__), self._revisions)
            self._revisions = []
        # ORM objects read earlier in this transaction may describe rows written above.
        session.expire_all()
