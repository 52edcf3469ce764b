"""Costs follow the dates: a product's dated facts in, its lot draws out. Pure rules.

The stored consumptions of a product are a cache of this function: whatever
order facts were typed or synced in, the stored result must equal the replay
of the facts in date order:

- lots arrive at the start of their received date (then by lot id); lot
  adjustments follow on their date; sales follow, by transaction date, then
  creation time, then document (type, then id: QuickBooks gives a bulk import one
  creation time, and the order must not depend on which of them was synced first).
  A credit memo's return lot arrives at the credit memo's place.
- a sale line draws from the lots that have arrived, oldest first (received
  date, then lot id; a return lot after the receipts of its day). What they
  cannot cover is a shortfall at the weighted average cost of those lots just
  before the draw, else of every lot received so far, else zero (no cost basis).
- every arrival of stock (a lot, a return, a positive adjustment) settles the
  open shortfalls, oldest sale first, at that lot's unit cost.
- a negative adjustment takes its units out of its lot on its date; sales
  before that date never draw units that a later adjustment removes (they were
  lost, not sold), so the lot never goes below zero at any date.
- a return comes back at the unit cost of the latest earlier sale of the
  product to the same customer at that point of the replay, else at the
  average of the lots on hand, else of every lot received, else zero.
- lines of a closed period carry their stored result (`fixed`): it is taken
  as given, never re-costed, and its shortfall is not settled.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from partsemble.domain.fifo import shortfall_unit_cost, weighted_average_cost
from partsemble.domain.money import ZERO, money, unit_cost

EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
PHASE_LOT, PHASE_ADJUSTMENT, PHASE_SALE = 0, 1, 2

# (date, phase, creation time, id, position): the order in which facts happened. A sale's id is
# (document type, document id, sale id): the document first, so the order is the same in every sync.
SaleId = tuple[str, str, int]
EventKey = tuple[date, int, datetime, int | SaleId, int]


@dataclass(frozen=True, slots=True)
class LotFact:
    lot_id: int
    received_date: date
    quantity: Decimal
    unit_cost: Decimal

    def key(self) -> EventKey:
        return (self.received_date, PHASE_LOT, EARLIEST, self.lot_id, 0)


@dataclass(frozen=True, slots=True)
class AdjustmentFact:
    adjustment_id: int
    lot_id: int
    on: date
    quantity: Decimal  # signed

    def key(self) -> EventKey:
        return (self.on, PHASE_ADJUSTMENT, EARLIEST, self.adjustment_id, 0)


@dataclass(frozen=True, slots=True)
class Take:
    lot_id: int
    quantity: Decimal
    unit_cost: Decimal
    settled: bool = False  # covered an open shortfall when the lot arrived after the sale


@dataclass(frozen=True, slots=True)
class LineCost:
    """The cost of one sale line as the replay gives it."""

    draws: tuple[Take, ...] = ()
    shortfall: Decimal = ZERO
    shortfall_unit_cost: Decimal = ZERO
    no_cost_basis: bool = False
    return_unit_cost: Decimal | None = None  # set on return lines
    explanation: str = ""  # where a return's unit cost came from

    @property
    def shortfall_cost(self) -> Decimal:
        return money(self.shortfall * self.shortfall_unit_cost)

    def cost(self, returned: Decimal = ZERO) -> Decimal:
        if self.return_unit_cost is not None:
            return -money(returned * self.return_unit_cost)
        return money(sum((t.quantity * t.unit_cost for t in self.draws), ZERO) + self.shortfall_cost)


@dataclass(frozen=True, slots=True)
class LineFact:
    """One tracked line of an active sale: units out (quantity > 0) or back (quantity < 0)."""

    line_id: int
    sale_id: int
    txn_date: date
    created_at: datetime | None
    position: int
    quantity: Decimal
    customer_ref: str = ""
    customer_name: str = ""
    doc_number: str = ""
    is_sale: bool = True  # an invoice, receipt or manual sale (a basis for the cost of later returns)
    return_lot_id: int | None = None  # returns: the lot the goods come back in
    fixed: LineCost | None = None  # closed period: the stored result, taken as given
    document: tuple[str, str] = ("", "")  # (type, id) of the document

    def key(self) -> EventKey:
        return (self.txn_date, PHASE_SALE, self.created_at or EARLIEST, (*self.document, self.sale_id), self.position)


@dataclass(frozen=True, slots=True)
class Replayed:
    lines: dict[int, LineCost]
    balances: dict[int, Decimal]  # lot id -> remaining at the end


@dataclass(eq=False, slots=True)
class _Lot:
    lot_id: int
    order: tuple[date, int, EventKey]
    unit_cost: Decimal
    balance: Decimal = ZERO
    pending: list[Decimal] = field(default_factory=list)  # adjustments still to come, in order

    def drawable(self) -> Decimal:
        """What a sale may take now: the balance less what later adjustments will remove."""
        if not self.pending:
            return self.balance
        running = low = ZERO
        for delta in self.pending:
            running += delta
            low = min(low, running)
        return max(ZERO, self.balance + low)

    def __lt__(self, other: _Lot) -> bool:
        return self.order < other.order


@dataclass(slots=True)
class _Line:
    fact: LineFact
    takes: list[Take] = field(default_factory=list)
    shortfall: Decimal = ZERO
    shortfall_unit_cost: Decimal = ZERO
    no_cost_basis: bool = False
    return_unit_cost: Decimal | None = None
    explanation: str = ""

    def cost(self) -> Decimal:
        return self.result().cost(-self.fact.quantity)

    def result(self) -> LineCost:
        if len(self.takes) == 1 and self.return_unit_cost is None and self.shortfall == 0:
            return LineCost((self.takes[0],))  # the common case, without the merging below
        merged: dict[tuple[int, bool], Decimal] = {}
        costs: dict[int, Decimal] = {}
        for take in self.takes:
            merged[(take.lot_id, take.settled)] = merged.get((take.lot_id, take.settled), ZERO) + take.quantity
            costs[take.lot_id] = take.unit_cost
        draws = tuple(Take(lot_id, q, costs[lot_id], settled) for (lot_id, settled), q in merged.items() if q)
        if self.return_unit_cost is not None:
            return LineCost(draws, no_cost_basis=self.no_cost_basis, return_unit_cost=self.return_unit_cost, explanation=self.explanation)
        if self.shortfall == 0:
            return LineCost(draws)
        return LineCost(draws, self.shortfall, self.shortfall_unit_cost, self.no_cost_basis)


class _Replay:
    def __init__(self, adjustments: Iterable[AdjustmentFact]) -> None:
        self.arrived: dict[int, _Lot] = {}
        self.fifo: list[_Lot] = []
        self.open: list[_Line] = []  # shortfalls still to settle, oldest sale first
        self.lines: dict[int, _Line] = {}
        self.received_qty = ZERO
        self.received_value = ZERO
        self.waiting: dict[int, list[Decimal]] = {}  # adjustments of lots not arrived yet
        self.future: dict[int, list[Decimal]] = {}
        for adj in sorted(adjustments, key=AdjustmentFact.key):
            self.future.setdefault(adj.lot_id, []).append(adj.quantity)
        self.fixed_takes: dict[int, list[Decimal]] = {}  # closed-period draws from lots not arrived yet
        self.latest_sale: dict[tuple[str, str], int] = {}  # (ref|name, value) -> sale id
        self.bases: dict[int, tuple[Decimal, bool, str]] = {}  # return line -> its cost basis, for the sale being replayed
        self.sale_lines: dict[int, list[_Line]] = {}

    # Stock arriving
    def arrive(self, lot_id: int, order: tuple[date, int, EventKey], cost: Decimal, quantity: Decimal) -> None:
        lot = _Lot(lot_id, order, cost, quantity, self.future.get(lot_id, []))
        self.arrived[lot_id] = lot
        for delta in self.waiting.pop(lot_id, []):
            lot.pending.pop(0)
            lot.balance += delta
        for taken in self.fixed_takes.pop(lot_id, []):
            lot.balance -= taken
        if quantity > 0:
            self.received_qty += quantity
            self.received_value += quantity * cost
        insort(self.fifo, lot)
        self.settle(lot)

    def adjust(self, adj: AdjustmentFact) -> None:
        lot = self.arrived.get(adj.lot_id)
        if lot is None:
            self.waiting.setdefault(adj.lot_id, []).append(adj.quantity)
            return
        lot.pending.pop(0)
        lot.balance += adj.quantity
        if adj.quantity > 0:  # a lot with adjustments to come is never dropped from the fifo list
            self.settle(lot)

    def settle(self, lot: _Lot) -> None:
        while self.open:
            available = lot.drawable()
            if available <= 0:
                return
            line = self.open[0]
            take = min(available, line.shortfall)
            line.takes.append(Take(lot.lot_id, take, lot.unit_cost, settled=True))
            lot.balance -= take
            line.shortfall -= take
            if line.shortfall == 0:
                self.open.pop(0)

    # Stock leaving
    def draw(self, line: _Line) -> None:
        need = line.fact.quantity
        taken: list[Take] = []
        for lot in self.fifo:
            if need == 0:
                break
            available = lot.drawable()
            if available <= 0:
                continue
            take = min(available, need)
            taken.append(Take(lot.lot_id, take, lot.unit_cost))
            lot.balance -= take
            need -= take
        while self.fifo and self.fifo[0].balance == 0 and not self.fifo[0].pending:
            self.fifo.pop(0)
        line.takes = taken
        if need > 0:
            active = weighted_average_cost((t.quantity, t.unit_cost) for t in taken)
            costing = shortfall_unit_cost(active, self.historic_average() if active is None else None)
            line.shortfall, line.shortfall_unit_cost, line.no_cost_basis = need, costing.unit_cost, costing.no_cost_basis
            self.open.append(line)

    def take_fixed(self, line: _Line, fixed: LineCost) -> None:
        for take in fixed.draws:
            lot = self.arrived.get(take.lot_id)
            if lot is None:
                self.fixed_takes.setdefault(take.lot_id, []).append(take.quantity)
            else:
                lot.balance -= take.quantity
        line.takes = list(fixed.draws)
        line.shortfall, line.shortfall_unit_cost, line.no_cost_basis = fixed.shortfall, fixed.shortfall_unit_cost, fixed.no_cost_basis
        line.return_unit_cost, line.explanation = fixed.return_unit_cost, fixed.explanation

    def historic_average(self) -> Decimal | None:
        """Every lot received so far, weighted by the quantity received (as weighted_average_cost)."""
        if self.received_qty <= 0:
            return None
        return unit_cost(self.received_value / self.received_qty)

    # Returns
    def return_cost(self, fact: LineFact) -> tuple[Decimal, bool, str]:
        key = ("ref", fact.customer_ref) if fact.customer_ref else ("name", fact.customer_name)
        sale_id = self.latest_sale.get(key)
        if sale_id is not None:
            lines = self.sale_lines[sale_id]
            sold = sum((l.fact.quantity for l in lines), ZERO)
            first = lines[0].fact
            return (
                unit_cost(sum((l.cost() for l in lines), ZERO) / sold),
                False,
                f"cost of sale {first.doc_number} on {first.txn_date.isoformat()}",
            )
        active = weighted_average_cost((lot.drawable(), lot.unit_cost) for lot in self.fifo)
        costing = shortfall_unit_cost(active, self.historic_average() if active is None else None)
        if costing.no_cost_basis:
            return costing.unit_cost, True, "no cost basis: no earlier sale and no lots"
        return costing.unit_cost, False, "weighted average cost"

    def begin_sale(self, facts: list[LineFact]) -> None:
        """A document's returns are costed from the stock and sales before it, not from its own lines."""
        self.bases = {fact.line_id: self.return_cost(fact) for fact in facts if fact.quantity < 0 and fact.fixed is None}

    def remember_sale(self, line: _Line) -> None:
        fact = line.fact
        for key in (("ref", fact.customer_ref), ("name", fact.customer_name)):
            if key[1]:
                self.latest_sale[key] = fact.sale_id
        self.sale_lines.setdefault(fact.sale_id, []).append(line)

    def line(self, fact: LineFact) -> None:
        line = _Line(fact)
        self.lines[fact.line_id] = line
        if fact.quantity > 0:
            if fact.fixed is not None:
                self.take_fixed(line, fact.fixed)
            else:
                self.draw(line)
            if fact.is_sale:
                self.remember_sale(line)
            return
        returned = -fact.quantity
        if fact.fixed is not None:
            self.take_fixed(line, fact.fixed)
        else:
            line.return_unit_cost, line.no_cost_basis, line.explanation = self.bases.pop(fact.line_id)
        if fact.return_lot_id is not None and returned > 0:
            assert line.return_unit_cost is not None
            self.arrive(fact.return_lot_id, (fact.txn_date, 1, fact.key()), line.return_unit_cost, returned)


def replay(lots: Iterable[LotFact], adjustments: Iterable[AdjustmentFact], lines: Iterable[LineFact]) -> Replayed:
    """The draws of every line and the remaining quantity of every lot, in date order."""
    adjustments = list(adjustments)
    state = _Replay(adjustments)
    events: list[tuple[EventKey, object]] = [(lot.key(), lot) for lot in lots]
    events += [(adj.key(), adj) for adj in adjustments]
    events += [(line.key(), line) for line in lines]
    events.sort(key=lambda event: event[0])
    by_sale: dict[int, list[LineFact]] = {}
    for _, fact in events:
        if isinstance(fact, LineFact):
            by_sale.setdefault(fact.sale_id, []).append(fact)
    current = None
    for _, fact in events:
        if isinstance(fact, LotFact):
            state.arrive(fact.lot_id, (fact.received_date, 0, fact.key()), fact.unit_cost, fact.quantity)
        elif isinstance(fact, AdjustmentFact):
            state.adjust(fact)
        else:
            assert isinstance(fact, LineFact)
            if fact.sale_id != current:
                current = fact.sale_id
                state.begin_sale(by_sale[current])
            state.line(fact)
    return Replayed(
        {line_id: line.result() for line_id, line in state.lines.items()}, {lot_id: lot.balance for lot_id, lot in state.arrived.items()}
    )
