"""The lot book: lots and stock moves of one transaction, kept in memory and written in bulk.

Every change of stock goes through here: receipts, adjustments and voids of
lots, and the draws, returns and reversals of sales. Lots are read once per product
per transaction (locked FOR UPDATE on PostgreSQL; on SQLite the transaction
holds the write lock), changed in memory, and written with a few executemany
statements at flush. Nothing here commits.
"""

from __future__ import annotations

from bisect import insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, insert, select, update

from partsemble.costing.facts import AnySession
from partsemble.costing.order import DateOrder, lot_key, sale_key
from partsemble.domain.fifo import Allocation, LotBalance, allocate_in_order, shortfall_unit_cost, weighted_average_cost
from partsemble.domain.money import ZERO, money, qty
from partsemble.domain.replay import EventKey
from partsemble.models.catalog import Product
from partsemble.models.ids import IdAllocator
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import Sale, SaleLine


def _lots_query() -> Select[Any]:
    """Lots as the book holds them, with the credit memo line of a return lot (locked on PostgreSQL)."""
    return (
        select(
            Lot.id,
            Lot.product_id,
            Lot.lot_number,
            Lot.received_date,
            Lot.quantity_received,
            Lot.quantity_remaining,
            Lot.unit_cost,
            Lot.status,
            Sale.txn_date,
            Sale.source_created_at,
            Sale.external_type,
            Sale.external_id,
            Sale.id.label("sale_id"),
            SaleLine.position,
        )
        .outerjoin(SaleLine, SaleLine.return_lot_id == Lot.id)
        .outerjoin(Sale, Sale.id == SaleLine.sale_id)  # pragma: no mutate - the one foreign key: SQLAlchemy infers this ON clause
        .with_for_update(of=Lot)
    )


def _state(row: Any) -> LotState:
    rank = (
        None
        if row.sale_id is None
        else sale_key(row.txn_date, row.source_created_at, (row.external_type, row.external_id), row.sale_id, row.position)
    )
    return LotState(
        row.id,
        row.product_id,
        row.lot_number,
        row.received_date,
        row.quantity_received,
        row.quantity_remaining,
        row.unit_cost,
        row.status,
        rank=rank,
    )


class NegativeLot(ValueError):
    """A posting would take a lot below zero."""


@dataclass(frozen=True)
class Posting:
    """Who and what caused a ledger row."""

    business_date: date
    user_id: int | None = None
    sale_id: int | None = None
    sync_run_id: int | None = None
    reason: str | None = None
    note: str = ""


@dataclass(eq=False)  # a lot is itself: identity, not field equality
class LotState:
    id: int
    product_id: int
    lot_number: str
    received_date: date
    received: Decimal
    remaining: Decimal
    unit_cost: Decimal
    status: str
    new_row: dict[str, object] | None = None  # set while the lot is not written yet
    # A return lot's place among the lots of its day: after the receipts, in the order of the
    # credit memos that brought them (as partsemble.domain.replay orders them), not by id.
    rank: EventKey | None = None

    def sort_key(self) -> tuple[date, int, object]:
        return (self.received_date, 0, self.id) if self.rank is None else (self.received_date, 1, self.rank)

    def __lt__(self, other: LotState) -> bool:
        return self.sort_key() < other.sort_key()


@dataclass(frozen=True)
class Drawn:
    allocation: Allocation
    lot_numbers: dict[int, str]
    shortfall_unit_cost: Decimal
    no_cost_basis: bool

    @property
    def shortfall(self) -> Decimal:
        return self.allocation.shortfall

    @property
    def shortfall_cost(self) -> Decimal:
        return money(self.allocation.shortfall * self.shortfall_unit_cost)

    @property
    def cost(self) -> Decimal:
        return money(self.allocation.draws_cost + self.shortfall_cost)


@dataclass
class LotBook:
    session: AnySession
    ids: IdAllocator
    _fifo: dict[int, list[LotState]] = field(default_factory=dict)
    _lots: dict[int, LotState] = field(default_factory=dict)
    _dirty: set[int] = field(default_factory=set)
    _moves: list[dict[str, object]] = field(default_factory=list)
    _stock: defaultdict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    _new: list[LotState] = field(default_factory=list)
    # Stored lots (id, received, unit cost, voided aside) per product, as the database holds them
    # until this book next writes lots: a product out of stock costs every later sale's shortfall
    # at this average, and a first sync of a year would read them again for each of those lines.
    _stored: dict[int, list[tuple[int, Decimal, Decimal]]] = field(default_factory=dict)
    # Stored lot numbers per product, likewise: every return lot of a credit memo asks for a free one.
    _numbers: dict[int, set[str]] = field(default_factory=dict)
    order: DateOrder = field(init=False)

    def __post_init__(self) -> None:
        self.order = DateOrder(self.session)

    # Reading lots
    def load(self, product_ids: Iterable[int]) -> None:
        """Read the active lots of these products (once per transaction), oldest first."""
        wanted = sorted({p for p in product_ids if p not in self._fifo})
        if not wanted:
            return
        for product_id in wanted:
            self._fifo[product_id] = []
        self.order.load(wanted)
        rows = self.session.execute(
            _lots_query().where(Lot.product_id.in_(wanted), Lot.status == "active", Lot.quantity_remaining > 0)
        ).all()  # in any order: each product's list is sorted below
        listed: set[int] = set()
        for row in rows:
            state = self._lots.get(row.id) or _state(row)
            self._lots[state.id] = state
            if state.status == "active" and state.remaining > 0:
                self._fifo[state.product_id].append(state)
            listed.add(state.id)
        # Lots this transaction already changed (restored, or new returns) count as they are now.
        wanted_set = set(wanted)
        for state in self._lots.values():
            if state.id not in listed and state.product_id in wanted_set and state.status == "active" and state.remaining > 0:
                self._fifo[state.product_id].append(state)
        for product_id in wanted:
            self._fifo[product_id].sort()

    def lot(self, lot_id: int) -> LotState:
        """One lot, read (and locked) if this transaction has not seen it yet.

        Raises:
            LookupError: no such lot.
        """
        if lot_id not in self._lots:
            row = self.session.execute(_lots_query().where(Lot.id == lot_id)).first()
            if row is None:
                raise LookupError(f"lot {lot_id} does not exist")  # pragma: no mutate - internal: no caller shows it
            self._lots[lot_id] = _state(row)
        return self._lots[lot_id]

    # Moving stock
    def post(
        self,
        kind: str,
        product_id: int,
        quantity: Decimal,
        unit_cost: Decimal,
        cause: Posting,
        lot: LotState | None = None,
        move_lot: bool = True,
    ) -> None:
        """Record one ledger row and move the lot and the product's stock with it.

        `move_lot=False` leaves the lot's quantity to the re-cost that must follow in the same
        transaction (a back-dated removal of units that sales had drawn).

        Raises:
            NegativeLot: the lot would go below zero.
        """
        quantity = qty(quantity)
        if lot is not None and move_lot:
            remaining = lot.remaining + quantity
            if remaining < 0:
                raise NegativeLot(f"lot {lot.lot_number} holds {lot.remaining}; cannot take {-quantity}")  # pragma: no mutate - internal
            lot.remaining = remaining
            if lot.status != "voided":
                lot.status = "active" if remaining > 0 else "exhausted"
                fifo = self._fifo.get(lot.product_id)
                if fifo is not None and remaining > 0 and quantity > 0 and lot not in fifo:
                    insort(fifo, lot)  # a restored or returned lot takes its place by date again
            self._dirty.add(lot.id)
        self._moves.append(
            {
                "type": kind,
                "product_id": product_id,
                "lot_id": lot.id if lot else None,
                "quantity": quantity,
                "unit_cost": unit_cost,
                "value": money(quantity * unit_cost),
                "business_date": cause.business_date,
                "user_id": cause.user_id,
                "sale_id": cause.sale_id,
                "sync_run_id": cause.sync_run_id,
                "reason": cause.reason,
                "note": cause.note[:500],
            }
        )
        self._stock[product_id] += quantity

    def draw(self, product_id: int, quantity: Decimal, cause: Posting) -> Drawn:
        """Take `quantity` out of the product's lots, oldest first; the rest is a shortfall at average cost."""
        if product_id not in self._fifo:
            self.load([product_id])
        quantity = qty(quantity)
        # Only the oldest lots that cover the quantity take part; all of them when they cannot.
        lots: list[LotState] = []
        covered = ZERO
        for lot in self._fifo[product_id]:
            if lot.received_date > cause.business_date:
                break  # never a lot received after the sale (the list is oldest first); the replay settles later
            if lot.status != "active" or lot.remaining <= 0:
                continue
            lots.append(lot)
            covered += lot.remaining
            if covered >= quantity:
                break
        balances = [LotBalance(lot.id, lot.received_date, lot.remaining, lot.unit_cost) for lot in lots]
        allocation = allocate_in_order(balances, quantity)  # the book's order: return lots by their credit memo
        by_id = {lot.id: lot for lot in lots}
        for draw in allocation.draws:
            self.post("SALE", product_id, -draw.quantity, draw.unit_cost, cause, by_id[draw.lot_id])
        unit, no_basis = ZERO, False
        if allocation.shortfall > 0:
            active = weighted_average_cost((b.remaining, b.unit_cost) for b in balances)
            costing = shortfall_unit_cost(active, self.historic_average(product_id) if active is None else None)
            unit, no_basis = costing.unit_cost, costing.no_cost_basis
            self.post("SALE", product_id, -allocation.shortfall, unit, cause)
        if self._fifo[product_id] and self._fifo[product_id][0].remaining == 0:
            self._fifo[product_id] = [lot for lot in self._fifo[product_id] if lot.remaining > 0 and lot.status == "active"]
        return Drawn(allocation, {lot.id: lot.lot_number for lot in lots}, unit, no_basis)

    def active_average(self, product_id: int) -> Decimal | None:
        self.load([product_id])
        return weighted_average_cost((lot.remaining, lot.unit_cost) for lot in self._fifo[product_id] if lot.status == "active")

    def historic_average(self, product_id: int) -> Decimal | None:
        """Average unit cost of every lot the product ever received (voided aside), unwritten ones included."""
        rows = self._stored.get(product_id)  # pragma: no mutate - a cache: without it the same rows are read again
        if rows is None:
            rows = self._stored[product_id] = [
                (lot_id, received, unit_cost)
                for lot_id, received, unit_cost in self.session.execute(
                    select(Lot.id, Lot.quantity_received, Lot.unit_cost).where(Lot.product_id == product_id, Lot.status != "voided")
                )
            ]
        seen = {lot_id for lot_id, _, _ in rows}
        holdings = [(received, unit_cost) for _, received, unit_cost in rows]
        holdings += [
            (lot.received, lot.unit_cost)
            for lot in self._new
            if lot.product_id == product_id and lot.id not in seen and lot.status != "voided"
        ]
        return weighted_average_cost(holdings)

    def restore(self, lot_id: int, quantity: Decimal, unit_cost: Decimal, cause: Posting) -> None:
        """Give drawn units back to their lot.

        The lot is never voided here: a lot is voided only when nothing draws from it (`void_lot`
        refuses a lot a sale drew from; `remove_return_lot` first turns every draw from it into a
        shortfall and deletes the draw), so no stored draw names a voided lot.
        """
        lot = self.lot(lot_id)
        self.post("SALE_REVERSAL", lot.product_id, quantity, unit_cost, cause, lot)

    def add_lot(
        self,
        product_id: int,
        number: str,
        received: date,
        quantity: Decimal,
        unit_cost: Decimal,
        source: str,
        cause: Posting,
        kind: str,
        rank: EventKey | None = None,
    ) -> LotState:
        """A new lot (a receipt, or a return ranked by its credit memo line) and its ledger row; written at flush."""
        lot_id = self.ids.take(Lot.__table__)
        lot = LotState(
            lot_id,
            product_id,
            number,
            received,
            qty(quantity),
            ZERO,
            unit_cost,
            "active",
            rank=rank,
            new_row={
                "id": lot_id,  # pragma: no mutate - the allocator's id, also the next one the database would give
                "product_id": product_id,
                "lot_number": number,
                "received_date": received,
                "quantity_received": qty(quantity),
                "unit_cost": unit_cost,
                "source": source,
                "note": cause.note[:500],
                "sale_id": cause.sale_id if source == "return" else None,
                "created_by_id": cause.user_id,
            },
        )
        self._lots[lot_id] = lot
        self._new.append(lot)
        if product_id in self._fifo:
            insort(self._fifo[product_id], lot)
        self.post(kind, product_id, quantity, unit_cost, cause, lot)
        if kind == "RECEIVE":
            self.order.arrival(product_id, lot_key(received, lot_id), f"lot {number} received {received.isoformat()}")
        return lot

    def remove_lot(self, lot: LotState, kind: str, cause: Posting) -> None:
        """Take what remains of a lot out of stock and void it."""
        self.post(kind, lot.product_id, -lot.remaining, lot.unit_cost, cause, lot)
        lot.status = "voided"
        self._dirty.add(lot.id)
        self.order.mark(lot.product_id, lot.received_date, f"lot {lot.lot_number} voided")

    def forget(self) -> None:
        """Drop what was read: the rows were re-costed behind the book's back."""
        self._fifo.clear()
        self._lots.clear()
        self._stored.clear()
        self._numbers.clear()
        self.order = DateOrder(self.session)

    def lot_numbers_taken(self, product_id: int, base: str) -> set[str]:
        """The product's lot numbers `base` could clash with: itself and `base-…`, written or not."""
        stored = self._numbers.get(product_id)  # pragma: no mutate - a cache: without it the same numbers are read again
        if stored is None:
            stored = self._numbers[product_id] = set(self.session.scalars(select(Lot.lot_number).where(Lot.product_id == product_id)))
        prefix = base + "-"
        taken = {number for number in stored if number == base or number.startswith(prefix)}
        return taken | {lot.lot_number for lot in self._new if lot.product_id == product_id}

    def unique_number(self, product_id: int, base: str) -> str:
        taken = self.lot_numbers_taken(product_id, base)
        if base not in taken:
            return base
        n = 2
        while f"{base}-{n}" in taken:
            n += 1
        return f"{base}-{n}"

    def flush(self) -> None:
        """Write new lots, then the ledger rows and the moves of lots and stock."""
        self.flush_lots()
        self.flush_moves()

    # Writing
    def flush_lots(self) -> None:
        """Insert the new lots (before the rows that refer to them)."""
        rows = []
        for lot in self._new:
            if lot.new_row is not None:
                rows.append({**lot.new_row, "quantity_remaining": lot.remaining, "status": lot.status})
                lot.new_row = None
                self._dirty.discard(lot.id)
        if rows:
            self.session.execute(insert(Lot.__table__), rows)
            self._stored.clear()
            self._numbers.clear()
        self._new = []  # written: from here on the database answers for them

    def flush_moves(self) -> None:
        """Insert the ledger rows, then move lots and product stock to match."""
        if self._moves:
            self.session.execute(insert(StockTransaction.__table__), self._moves)
            self._moves = []
        changed = [self._lots[i] for i in sorted(self._dirty) if self._lots[i].new_row is None]
        if changed:
            self.session.execute(
                update(Lot.__table__)
                .where(Lot.__table__.c.id == bindparam("lot_id"))
                .values(
                    quantity_remaining=bindparam("remaining"),  # typed by the column it sets
                    status=bindparam("new_status"),
                ),
                [{"lot_id": lot.id, "remaining": lot.remaining, "new_status": lot.status} for lot in changed],
            )
            self._stored.clear()  # a lot voided in memory leaves the stored ones now
        self._dirty = {i for i in self._dirty if self._lots[i].new_row is not None}
        deltas = [{"product": p, "delta": d} for p, d in sorted(self._stock.items()) if d != 0]
        if deltas:
            table = Product.__table__
            self.session.execute(
                update(table).where(table.c.id == bindparam("product")).values(stock_on_hand=table.c.stock_on_hand + bindparam("delta")),
                deltas,
            )
        self._stock.clear()
