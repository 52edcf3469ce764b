"""Which facts of a transaction land in date order, and which products must be re-costed.

A fact dated after everything a product already has (its horizon), when no
shortfall waits for stock, is costed by simply drawing from the lots as they
are: that is exactly what the date-order replay would do. Any other fact marks
the product stale, and the whole product is replayed before the transaction
commits (partsemble.costing.recost).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from partsemble.costing.facts import AnySession
from partsemble.domain.replay import EARLIEST, PHASE_ADJUSTMENT, PHASE_LOT, PHASE_SALE, EventKey
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import Sale, SaleLine

NEVER: EventKey = (date.min, PHASE_LOT, EARLIEST, 0, 0)
# Adjustment ids are handed out in entry order: a new one is after every stored one of its day.
AFTER_STORED_ADJUSTMENTS = 2**62
# Above every line position: the horizon is after every line of the latest sale.
AFTER_EVERY_LINE = 2**31


def sale_key(txn_date: date, created_at: datetime | None, document: tuple[str, str], sale_id: int, position: int) -> EventKey:
    """A sale line's place in the date order (partsemble.domain.replay): `document` is (type, id)."""
    return (txn_date, PHASE_SALE, created_at or EARLIEST, (*document, sale_id), position)


def lot_key(received: date, lot_id: int) -> EventKey:
    return (received, PHASE_LOT, EARLIEST, lot_id, 0)


def adjustment_key(on: date) -> EventKey:
    return (on, PHASE_ADJUSTMENT, EARLIEST, AFTER_STORED_ADJUSTMENTS, 0)


@dataclass
class DateOrder:
    session: AnySession
    horizon: dict[int, EventKey] = field(default_factory=dict)
    short: dict[int, bool] = field(default_factory=dict)  # a shortfall waits for stock
    stale: dict[int, tuple[date, str]] = field(default_factory=dict)  # product -> earliest date, reason

    def load(self, product_ids: Iterable[int]) -> None:
        """Read the latest dated fact and whether a shortfall is open, for products not read yet."""
        wanted = sorted({p for p in product_ids if p not in self.horizon})
        if not wanted:
            return
        for product_id in wanted:
            self.horizon[product_id] = NEVER
            self.short[product_id] = False
        # A new lot's id is above every stored one: it comes after a stored lot of the same day.
        for product_id, latest, last_id in self.session.execute(
            select(Lot.product_id, func.max(Lot.received_date), func.max(Lot.id))
            .where(Lot.product_id.in_(wanted), Lot.status != "voided")
            .group_by(Lot.product_id)
        ):
            self._advance(product_id, lot_key(latest, last_id))
        for product_id, latest in self.session.execute(
            select(StockTransaction.product_id, func.max(StockTransaction.business_date))
            .where(StockTransaction.product_id.in_(wanted), StockTransaction.type == "LOT_ADJUSTMENT")
            .group_by(StockTransaction.product_id)
        ):
            self._advance(product_id, adjustment_key(latest))
        for product_id in wanted:
            mine = (SaleLine.product_id == product_id, Sale.status == "active", SaleLine.kind.in_(("tracked", "return")))
            row = self.session.execute(
                select(Sale.txn_date, Sale.source_created_at)
                .join(SaleLine, SaleLine.sale_id == Sale.id)  # pragma: no mutate - the one foreign key: inferred ON clause
                .where(*mine)
                .order_by(Sale.txn_date.desc(), Sale.source_created_at.desc().nulls_last())
                .limit(1)
            ).one_or_none()
            if row is None:
                continue
            # Sales of that moment (a bulk import shares one creation time) are ordered by document
            # here, not by the database's text collation.
            created = Sale.source_created_at.is_(None) if row.source_created_at is None else Sale.source_created_at == row.source_created_at
            for txn_date, created_at, doc_type, doc_id, sale_id in self.session.execute(
                select(Sale.txn_date, Sale.source_created_at, Sale.external_type, Sale.external_id, Sale.id)
                .distinct()
                .join(SaleLine, SaleLine.sale_id == Sale.id)  # pragma: no mutate - the one foreign key: inferred ON clause
                .where(*mine, Sale.txn_date == row.txn_date, created)
            ):
                self._advance(product_id, sale_key(txn_date, created_at, (doc_type, doc_id), sale_id, AFTER_EVERY_LINE))
        for (product_id,) in self.session.execute(
            select(SaleLine.product_id)
            .join(Sale, Sale.id == SaleLine.sale_id)  # pragma: no mutate - the one foreign key: inferred ON clause
            .where(SaleLine.product_id.in_(wanted), SaleLine.shortage_quantity > 0, Sale.status == "active")
            .group_by(SaleLine.product_id)
        ):
            self.short[product_id] = True

    def _advance(self, product_id: int, key: EventKey) -> None:
        if key > self.horizon[product_id]:
            self.horizon[product_id] = key

    def mark(self, product_id: int, on: date, reason: str) -> None:
        """Re-cost the product before the transaction commits."""
        earliest = self.stale.get(product_id)
        if earliest is None or on < earliest[0]:
            self.stale[product_id] = (on, reason)

    def sale(self, product_id: int, key: EventKey, reason: str, shortfall: bool) -> None:
        """A sale line drew stock (or is about to)."""
        self.load([product_id])
        if product_id not in self.stale and key <= self.horizon[product_id]:
            self.mark(product_id, key[0], reason)
        self._advance(product_id, key)
        self.short[product_id] = self.short[product_id] or shortfall

    def arrival(self, product_id: int, key: EventKey, reason: str) -> None:
        """Stock arrived (a lot, a positive adjustment): it may settle shortfalls or precede sales."""
        self.load([product_id])
        if product_id not in self.stale and (key <= self.horizon[product_id] or self.short[product_id]):
            self.mark(product_id, key[0], reason)
        self._advance(product_id, key)

    def departure(self, product_id: int, key: EventKey, reason: str) -> None:
        """Stock left a lot outside a sale (a negative adjustment)."""
        self.load([product_id])
        if product_id not in self.stale and key <= self.horizon[product_id]:
            self.mark(product_id, key[0], reason)
        self._advance(product_id, key)


@dataclass
class CarriedOrder:
    """A sync's horizons, carried from one batch to the next while nobody else moved stock.

    Reading the horizons scans each product's sales; a first sync of a year would read them
    again in every batch. Every stock fact writes a ledger row, so an unchanged highest ledger id
    proves that no other transaction moved stock in between. Only on SQLite, where writers are
    serialized: on PostgreSQL a concurrent transaction may commit a lower id after the check.
    """

    order: DateOrder | None = None
    mark: int | None = None

    def take(self, session: AnySession) -> DateOrder | None:
        if self.order is None or session.get_bind().dialect.name != "sqlite":
            return None
        if _ledger_mark(session) != self.mark:
            self.order = None
            return None
        return self.order

    def keep(self, session: AnySession, order: DateOrder) -> None:
        if session.get_bind().dialect.name == "sqlite" and not order.stale:
            self.order, self.mark = order, _ledger_mark(session)

    def drop(self) -> None:
        self.order = None


def _ledger_mark(session: AnySession) -> int:
    return session.scalar(select(func.max(StockTransaction.id))) or 0
