"""A reference costing for the tests: SPEC.md "FIFO, shortages, returns: costs follow the dates",
written a second time, as plainly as possible, with no code shared with the engine.

Brute force over dated facts: every event is applied in date order to a list of lots, and every
question ("what may this sale draw?", "what is the average?") is answered by looking at all of
them again. Nothing is cached, nothing is clever. It must not import partsemble.domain or
partsemble.costing; the tests compare the engine with it.

Readings of SPEC.md where it leaves a choice (the engine's documented choices):
- On one date, received lots come first (by lot id), then lot adjustments (by id), then sales
  (by creation time, then the caller's tie-break, then line position). A credit memo's return
  lot arrives at the credit memo's place and sits among the lots after the receipts of its day,
  in that order.
- "All lots it ever received" means every lot arrived so far in the date order, returns
  included, weighted by the quantity received.
- A return's cost basis is read once per document, from the state just before the document:
  the latest earlier sale (invoice or receipt line of the product, quantity > 0) to the same
  customer (by reference, else by name), its cost as it stands at that point (settlements so
  far included) divided by its units; else the active lots' average; else all lots'; else zero.
- Units a later negative adjustment removes from a lot are never drawn by an earlier sale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
SIX = Decimal("0.000001")


def six(value: Decimal) -> Decimal:
    """Unit costs and money are kept to 6 places, half up (SPEC: "Money and quantities")."""
    return value.quantize(SIX, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Receipt:
    lot: str  # a name for the lot; the caller maps it to the engine's lot
    product: str
    received: date
    quantity: Decimal
    unit_cost: Decimal
    lot_id: int  # same-day lots are drawn lowest id first


@dataclass(frozen=True)
class Adjustment:
    lot: str
    on: date
    quantity: Decimal  # signed
    adjustment_id: int


@dataclass(frozen=True)
class Line:
    position: int
    product: str
    units: Decimal  # > 0: out of stock; < 0: back into stock (a return)


@dataclass(frozen=True)
class Document:
    key: str  # a name for the sale; the caller maps it to the engine's sale
    txn_date: date
    created: datetime
    tie: tuple[object, ...]  # orders documents of one date created at the same time (SPEC is silent: the caller says)
    customer_ref: str
    customer_name: str
    is_credit: bool
    lines: tuple[Line, ...]
    restock: bool = True


@dataclass
class LineResult:
    draws: dict[tuple[str, bool], Decimal] = field(default_factory=dict)  # (lot, settled) -> units
    costs: dict[str, Decimal] = field(default_factory=dict)  # lot -> unit cost
    shortfall: Decimal = ZERO
    shortfall_unit_cost: Decimal = ZERO
    no_cost_basis: bool = False
    return_lot: str | None = None
    return_unit_cost: Decimal | None = None
    returned: Decimal = ZERO

    def cost(self) -> Decimal:
        """SPEC: cost = sum of consumption qty x unit cost + shortage cost; a return's is negative."""
        if self.return_unit_cost is not None:
            return -six(self.returned * self.return_unit_cost)
        drawn = sum((units * self.costs[lot] for (lot, _), units in self.draws.items()), ZERO)
        return six(drawn + six(self.shortfall * self.shortfall_unit_cost))


@dataclass(frozen=True)
class Result:
    lines: dict[tuple[str, int], LineResult]  # (document key, position)
    products: dict[tuple[str, int], str]  # (document key, position) -> product
    balances: dict[str, Decimal]  # lot -> remaining
    lot_products: dict[str, str]  # lot -> product
    return_lots: dict[tuple[str, int], str]  # (document key, position) -> the return lot's name

    def sale_cost(self, key: str) -> Decimal:
        return sum((r.cost() for (k, _), r in self.lines.items() if k == key), ZERO)

    def stock(self, product: str) -> Decimal:
        """Stock on hand: what the lots hold, less the shortfalls still open."""
        held = sum((units for lot, units in self.balances.items() if self.lot_products[lot] == product), ZERO)
        return held - sum((r.shortfall for k, r in self.lines.items() if self.products[k] == product), ZERO)


@dataclass
class _Lot:
    name: str
    product: str
    received: date
    rank: tuple  # place among the product's lots: (date, 0, lot id) for receipts, (date, 1, memo order) for returns
    unit_cost: Decimal
    received_quantity: Decimal
    balance: Decimal
    later_adjustments: list[tuple[tuple, Decimal]]  # (event order, signed units) of adjustments not applied yet


def _drawable(lot: _Lot, now: tuple) -> Decimal:
    """What a sale at `now` may take: the balance, less what later adjustments will take out."""
    running = low = ZERO
    for when, units in sorted(lot.later_adjustments):
        if when > now:
            running += units
            low = min(low, running)
    return max(ZERO, lot.balance + low)


def _average(pairs: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    units = sum((q for q, _ in pairs if q > 0), ZERO)
    if units == 0:
        return None
    return six(sum((q * c for q, c in pairs if q > 0), ZERO) / units)


def cost(receipts: list[Receipt], adjustments: list[Adjustment], documents: list[Document]) -> Result:
    """Every line's draws and shortfall, and every lot's balance, by replaying the facts in date order."""
    events: list[tuple[tuple, str, object]] = []
    for r in receipts:
        events.append(((r.received, 0, r.lot_id, 0), "receipt", r))
    for a in adjustments:
        events.append(((a.on, 1, a.adjustment_id, 0), "adjustment", a))
    for d in documents:
        events.append(((d.txn_date, 2, d.created, d.tie), "document", d))
    events.sort(key=lambda e: e[0])

    lots: list[_Lot] = []  # every lot arrived so far
    adjustments_of: dict[str, list[tuple[tuple, Decimal]]] = {}
    for a in adjustments:
        adjustments_of.setdefault(a.lot, []).append(((a.on, 1, a.adjustment_id, 0), a.quantity))
    results: dict[tuple[str, int], LineResult] = {}
    product_of: dict[tuple[str, int], str] = {}
    open_shortfalls: list[tuple[tuple[str, int], str]] = []  # (line, product), oldest sale first
    sold: list[tuple[tuple, str, str, str, str]] = []  # (order, product, ref, name, document key) of earlier sales
    return_lots: dict[tuple[str, int], str] = {}
    units_out: dict[tuple[str, int], Decimal] = {}  # lines that took units out

    def fifo(product: str) -> list[_Lot]:
        return sorted((lot for lot in lots if lot.product == product), key=lambda lot: lot.rank)

    def settle(lot: _Lot, now: tuple) -> None:
        for line_key, product in list(open_shortfalls):
            if product != lot.product:
                continue
            result = results[line_key]
            take = min(_drawable(lot, now), result.shortfall)
            if take <= 0:
                return
            result.draws[(lot.name, True)] = result.draws.get((lot.name, True), ZERO) + take
            result.costs[lot.name] = lot.unit_cost
            result.shortfall -= take
            lot.balance -= take
            if result.shortfall == 0:
                result.no_cost_basis = False  # the warning is about the shortfall, and it is gone
                open_shortfalls.remove((line_key, product))

    def arrive(lot: _Lot, now: tuple) -> None:
        lots.append(lot)
        settle(lot, now)

    def basis(product: str, document: Document, now: tuple) -> tuple[Decimal, bool]:
        """The unit cost a return of `product` on `document` comes back at, and whether it has no basis."""
        customer = (lambda s: s[2] == document.customer_ref) if document.customer_ref else (lambda s: s[3] == document.customer_name)
        earlier = [s for s in sold if s[1] == product and customer(s)]
        if earlier:
            key = max(earlier, key=lambda s: s[0])[4]
            its = [k for k in units_out if k[0] == key and product_of[k] == product]
            return six(sum((results[k].cost() for k in its), ZERO) / sum((units_out[k] for k in its), ZERO)), False
        active = _average([(_drawable(lot, now), lot.unit_cost) for lot in fifo(product)])
        if active is not None:
            return active, False
        ever = _average([(lot.received_quantity, lot.unit_cost) for lot in fifo(product)])
        if ever is not None:
            return ever, False
        return ZERO, True

    for order, kind, fact in events:
        if kind == "receipt":
            r = fact  # type: ignore[assignment]
            arrive(
                _Lot(
                    r.lot,
                    r.product,
                    r.received,
                    (r.received, 0, r.lot_id),
                    r.unit_cost,
                    r.quantity,
                    r.quantity,  # type: ignore[attr-defined]
                    adjustments_of.get(r.lot, []),
                ),
                order,
            )  # type: ignore[attr-defined]
        elif kind == "adjustment":
            a = fact  # type: ignore[assignment]
            lot = next(lot for lot in lots if lot.name == a.lot)  # type: ignore[attr-defined]
            lot.balance += a.quantity  # type: ignore[attr-defined]
            if a.quantity > 0:  # type: ignore[attr-defined]
                settle(lot, order)
        else:
            d: Document = fact  # type: ignore[assignment]
            bases = {line.position: basis(line.product, d, order) for line in d.lines if line.units < 0}
            for line in sorted(d.lines, key=lambda l: l.position):
                key = (d.key, line.position)
                now = order + (line.position,)
                result = results[key] = LineResult()
                product_of[key] = line.product
                if line.units > 0:
                    units_out[key] = line.units
                    need = line.units
                    drawable = [(lot, _drawable(lot, now)) for lot in fifo(line.product)]
                    for lot, available in drawable:
                        take = min(available, need)
                        if take <= 0:
                            continue
                        result.draws[(lot.name, False)] = take
                        result.costs[lot.name] = lot.unit_cost
                        lot.balance -= take
                        need -= take
                    if need > 0:
                        active = _average([(available, lot.unit_cost) for lot, available in drawable])
                        ever = _average([(lot.received_quantity, lot.unit_cost) for lot in fifo(line.product)])
                        result.shortfall = need
                        result.shortfall_unit_cost = active if active is not None else ever if ever is not None else ZERO
                        result.no_cost_basis = active is None and ever is None
                        open_shortfalls.append((key, line.product))
                    if not d.is_credit:
                        sold.append((now, line.product, d.customer_ref, d.customer_name, d.key))
                elif line.units < 0 and d.restock:
                    unit, no_basis = bases[line.position]
                    result.return_unit_cost, result.no_cost_basis, result.returned = unit, no_basis, -line.units
                    name = f"return of {d.key} line {line.position}"
                    result.return_lot = return_lots[key] = name
                    arrive(
                        _Lot(
                            name,
                            line.product,
                            d.txn_date,
                            (d.txn_date, 1, now),
                            unit,
                            -line.units,
                            -line.units,
                            adjustments_of.get(name, []),
                        ),
                        now,
                    )
    return Result(results, product_of, {lot.name: lot.balance for lot in lots}, {lot.name: lot.product for lot in lots}, return_lots)
