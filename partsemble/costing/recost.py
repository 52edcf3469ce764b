"""Re-costing: make a product's stored costs equal its date-order replay. Nothing here commits.

The replay (partsemble.domain.replay) says what every line should have drawn;
this module writes the difference: new consumption rows, ledger rows of their
own types (RECOST, SETTLE, REVALUE) so the ledger stays append-only and still
adds up per sale and lot, new figures on lines, sales and lots, and a history
entry on every sale whose cost changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, delete, func, select

from partsemble.costing.bulk import insert_rows, update_rows
from partsemble.costing.facts import AnySession, ProductFacts, StoredLine, read_facts
from partsemble.costing.order import DateOrder
from partsemble.costing.returns import return_lot_note
from partsemble.domain.money import ZERO, cents, money
from partsemble.domain.replay import LineCost, Take, replay
from partsemble.models.base import utcnow
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import LotConsumption, Sale, SaleLine, SaleRevision
from partsemble.models.settings import BookSettings


def costs_final_through(session: AnySession) -> date | None:
    """The end of the closed period, if an admin set one."""
    return session.scalar(select(BookSettings.costs_final_through).where(BookSettings.id == 1))


def recost_stale(
    session: AnySession, order: DateOrder, *, user_id: int | None = None, run_id: int | None = None, exclude: set[int] | None = None
) -> set[int]:
    """Re-cost every product the transaction marked stale; the sales whose cost changed (`exclude` aside)."""
    if not order.stale:
        return set()
    closed = costs_final_through(session)
    recosted: set[int] = set()
    for product_id, (_on, reason) in sorted(order.stale.items()):
        recosted |= recost_product(session, product_id, closed, RecostCause(reason, user_id, run_id), exclude or set())
    order.stale.clear()
    return recosted


@dataclass(frozen=True)
class RecostCause:
    """Why a product is re-costed, for the ledger and the sales' history."""

    reason: str
    user_id: int | None = None
    sync_run_id: int | None = None


def same_cost(a: LineCost, b: LineCost) -> bool:
    return (
        sorted((t.lot_id, t.settled, t.quantity, t.unit_cost) for t in a.draws)
        == sorted((t.lot_id, t.settled, t.quantity, t.unit_cost) for t in b.draws)
        and a.shortfall == b.shortfall
        and (a.shortfall_unit_cost == b.shortfall_unit_cost or a.shortfall == 0)
        and a.no_cost_basis == b.no_cost_basis
        and a.return_unit_cost == b.return_unit_cost
    )


@dataclass(frozen=True)
class Differences:
    """Where the stored costs of a product differ from its replay."""

    lines: dict[int, LineCost]  # line id -> what the replay gives
    lots: list[dict[str, Any]]  # lots whose remaining quantity, status or unit cost differ
    notes: dict[int, str] = field(default_factory=dict)  # return lots whose note names another basis: lot id -> note

    def __bool__(self) -> bool:
        return bool(self.lines or self.lots or self.notes)


def differences(facts: ProductFacts) -> Differences:
    replayed = replay(facts.lot_facts, facts.adjustments, facts.line_facts)
    changed = {line_id: new for line_id, new in replayed.lines.items() if not same_cost(facts.stored[line_id].result, new)}
    return Differences(changed, _lot_changes(facts, replayed.balances, changed), _note_changes(facts, replayed.lines))


def recost_product(
    session: AnySession, product_id: int, closed_through: date | None, cause: RecostCause, exclude: AbstractSet[int] = frozenset()
) -> set[int]:
    """Re-cost one product to its date-order replay; returns the sales whose cost changed (`exclude` aside)."""
    facts = read_facts(session, product_id, closed_through)
    found = differences(facts)
    if not found:
        return set()
    rows = _Rows(cause, product_id)
    revalued = _revalues(facts, found.lines, rows)
    for line_id, new in found.lines.items():
        _line(facts, facts.stored[line_id], new, revalued, rows)
    recosted = _sale_rows(session, facts, found.lines, rows, exclude)
    rows.flush(session)
    update_rows(
        session,
        Lot.__table__,
        ("quantity_remaining", "unit_cost", "status"),
        "id",
        [(r["remaining"], r["new_cost"], r["new_status"], r["lot_id"]) for r in found.lots],
    )
    update_rows(session, Lot.__table__, ("note",), "id", [(note, lot_id) for lot_id, note in found.notes.items()])
    return recosted


def _note_changes(facts: ProductFacts, lines: dict[int, LineCost]) -> dict[int, str]:
    """Return lots whose note no longer says where their unit cost comes from: a late sale may have become
    the customer's last one before the return (even at the same unit cost). Closed returns keep theirs."""
    notes: dict[int, str] = {}
    for fact in facts.line_facts:
        if fact.return_lot_id is None or fact.fixed is not None:
            continue
        note = return_lot_note(facts.stored[fact.line_id].doc_label, lines[fact.line_id].explanation)
        if note != facts.lots[fact.return_lot_id].note:
            notes[fact.return_lot_id] = note
    return notes


def _lot_changes(facts: ProductFacts, balances: dict[int, Decimal], changed: dict[int, LineCost]) -> list[dict[str, Any]]:
    new_costs: dict[int, Decimal] = {}
    for fact in facts.line_facts:
        new_cost = changed[fact.line_id].return_unit_cost if fact.line_id in changed else None
        if fact.return_lot_id is not None and new_cost is not None:
            new_costs[fact.return_lot_id] = new_cost
    rows = []
    for lot in facts.lots.values():
        if lot.status == "voided":
            continue
        remaining = balances.get(lot.lot_id, ZERO)
        status = "active" if remaining > 0 else "exhausted"
        cost = new_costs.get(lot.lot_id, lot.unit_cost)
        if (remaining, status, cost) != (lot.remaining, lot.status, lot.unit_cost):
            rows.append({"lot_id": lot.lot_id, "remaining": remaining, "new_status": status, "new_cost": cost})
    return rows


MOVE_COLUMNS = (
    "type",
    "product_id",
    "lot_id",
    "quantity",
    "unit_cost",
    "value",
    "business_date",
    "occurred_at",
    "user_id",
    "sale_id",
    "sync_run_id",
    "reason",
    "note",
)
LINE_COLUMNS = ("cost", "margin", "shortage_quantity", "shortage_unit_cost", "shortage_cost", "no_cost_basis")
SALE_COLUMNS = ("cost", "margin", "shortage", "no_cost_basis", "updated_at")


class _Rows:
    """The rows one re-costing writes, in bulk."""

    def __init__(self, cause: RecostCause, product_id: int) -> None:
        self.cause = cause
        self.product_id = product_id
        self.now = utcnow()
        self.moves: list[tuple[Any, ...]] = []
        self.consumptions: list[tuple[Any, ...]] = []
        self.lines: list[tuple[Any, ...]] = []
        self.sales: list[tuple[Any, ...]] = []
        self.revisions: list[tuple[Any, ...]] = []
        self.cleared: list[int] = []

    def move(self, kind: str, quantity: Decimal, unit_cost: Decimal, lot_id: int | None, sale_id: int, on: date, note: str) -> None:
        if quantity == 0:
            return
        self.moves.append(
            (
                kind,
                self.product_id,
                lot_id,
                quantity,
                unit_cost,
                money(quantity * unit_cost),
                on,
                self.now,
                self.cause.user_id,
                sale_id,
                self.cause.sync_run_id,
                None,
                note[:500],
            )
        )

    def flush(self, session: AnySession) -> None:
        for start in range(0, len(self.cleared), 500):
            session.execute(delete(LotConsumption).where(LotConsumption.sale_line_id.in_(self.cleared[start : start + 500])))
        insert_rows(
            session, LotConsumption.__table__, ("sale_line_id", "sale_id", "lot_id", "quantity", "unit_cost", "settled"), self.consumptions
        )
        insert_rows(session, StockTransaction.__table__, MOVE_COLUMNS, self.moves)
        update_rows(session, SaleLine.__table__, LINE_COLUMNS, "id", self.lines)
        update_rows(session, Sale.__table__, SALE_COLUMNS, "id", self.sales)
        insert_rows(
            session,
            SaleRevision.__table__,
            ("sale_id", "version", "action", "summary", "applied_at", "sync_run_id", "user_id"),
            self.revisions,
        )


def _revalues(facts: ProductFacts, changed: dict[int, LineCost], rows: _Rows) -> dict[int, tuple[Decimal, Decimal]]:
    """Return lots whose unit cost changes: (old, new) cost. The lot's units are moved to the new cost."""
    revalued: dict[int, tuple[Decimal, Decimal]] = {}
    by_lot_line = {fact.return_lot_id: fact for fact in facts.line_facts if fact.return_lot_id is not None}
    drawn_from: defaultdict[int, Decimal] = defaultdict(Decimal)  # stored draws per lot, read once
    if by_lot_line:
        for line in facts.stored.values():
            for take in line.result.draws:
                drawn_from[take.lot_id] += take.quantity
    for lot_id, fact in by_lot_line.items():
        new = changed.get(fact.line_id)
        old_cost = facts.lots[lot_id].unit_cost
        if new is None or new.return_unit_cost is None or new.return_unit_cost == old_cost:
            continue
        revalued[lot_id] = (old_cost, new.return_unit_cost)
        # Every sale that drew the lot is among the changed lines (its unit cost changed): their old
        # draws come back first, so the lot is revalued whole, then they draw again at the new cost.
        held = facts.lots[lot_id].remaining + drawn_from[lot_id]
        note = (
            f"Return lot {facts.lots[lot_id].number}: unit cost {old_cost.normalize():f} → {new.return_unit_cost.normalize():f} "
            f"({new.explanation})"
        )
        rows.move("REVALUE", -held, old_cost, lot_id, fact.sale_id, fact.txn_date, note)
        rows.move("REVALUE", held, new.return_unit_cost, lot_id, fact.sale_id, fact.txn_date, note)
    return revalued


def _by_lot(draws: tuple[Take, ...]) -> dict[int, tuple[Decimal, Decimal]]:
    out: dict[int, tuple[Decimal, Decimal]] = {}
    for take in draws:
        quantity, _ = out.get(take.lot_id, (ZERO, take.unit_cost))
        out[take.lot_id] = (quantity + take.quantity, take.unit_cost)
    return out


def _is_settlement(old: LineCost, new: LineCost) -> bool:
    def plain(cost: LineCost) -> list[tuple[int, Decimal, Decimal]]:
        return sorted((t.lot_id, t.quantity, t.unit_cost) for t in cost.draws if not t.settled)

    return plain(old) == plain(new) and new.shortfall < old.shortfall and old.return_unit_cost is None


def _line(facts: ProductFacts, stored: StoredLine, new: LineCost, revalued: dict[int, tuple[Decimal, Decimal]], rows: _Rows) -> None:
    old = stored.result
    kind = "SETTLE" if _is_settlement(old, new) else "RECOST"
    note = _settled_note(facts, old, new) if kind == "SETTLE" else f"Re-costed in date order: {rows.cause.reason}"
    before, after = _by_lot(old.draws), _by_lot(new.draws)
    for lot_id in sorted(set(before) | set(after)):
        old_qty, old_cost = before.get(lot_id, (ZERO, ZERO))
        new_qty, new_cost = after.get(lot_id, (ZERO, ZERO))
        if lot_id in revalued or (old_qty and new_qty and old_cost != new_cost):
            rows.move(kind, old_qty, old_cost, lot_id, stored.sale_id, stored.txn_date, note)
            rows.move(kind, -new_qty, new_cost, lot_id, stored.sale_id, stored.txn_date, note)
        else:
            rows.move(kind, old_qty - new_qty, new_cost if new_qty else old_cost, lot_id, stored.sale_id, stored.txn_date, note)
    if (old.shortfall, old.shortfall_unit_cost) != (new.shortfall, new.shortfall_unit_cost):
        rows.move(kind, old.shortfall, old.shortfall_unit_cost, None, stored.sale_id, stored.txn_date, note)
        rows.move(kind, -new.shortfall, new.shortfall_unit_cost, None, stored.sale_id, stored.txn_date, note)
    rows.cleared.append(stored.line_id)
    rows.consumptions += [(stored.line_id, stored.sale_id, t.lot_id, t.quantity, t.unit_cost, t.settled) for t in new.draws]
    cost = new.cost(stored.returned)
    rows.lines.append(
        (cost, stored.revenue - cost, new.shortfall, new.shortfall_unit_cost, new.shortfall_cost, new.no_cost_basis, stored.line_id)
    )


def _settled_note(facts: ProductFacts, old: LineCost, new: LineCost) -> str:
    was = _by_lot(tuple(t for t in old.draws if t.settled))
    parts = []
    for lot_id, (quantity, _) in _by_lot(tuple(t for t in new.draws if t.settled)).items():
        more = quantity - was.get(lot_id, (ZERO, ZERO))[0]
        if more > 0:
            lot = facts.lots[lot_id]
            parts.append(
                f"{more.normalize():f} unit{'s' if more != 1 else ''} settled from lot {lot.number} received {lot.received_date.isoformat()}"
            )
    # Never empty: a settlement keeps the plain draws and lowers the shortfall of a line whose
    # units do not change, so the settled units of at least one lot grow.
    return "; ".join(parts)


def _sale_rows(session: AnySession, facts: ProductFacts, changed: dict[int, LineCost], rows: _Rows, exclude: AbstractSet[int]) -> set[int]:
    """New totals and flags of the sales whose lines changed, and a history entry where the cost changed."""
    delta: defaultdict[int, Decimal] = defaultdict(Decimal)
    notes: defaultdict[int, list[str]] = defaultdict(list)
    for line_id, new in changed.items():
        stored = facts.stored[line_id]
        delta[stored.sale_id] += new.cost(stored.returned) - stored.cost
        if _is_settlement(stored.result, new):
            notes[stored.sale_id].append(_settled_note(facts, stored.result, new))
    shortage: defaultdict[int, bool] = defaultdict(bool)
    no_basis: defaultdict[int, bool] = defaultdict(bool)
    for line in facts.stored.values():
        if line.sale_id in delta:
            result = changed.get(line.line_id, line.result)
            shortage[line.sale_id] |= result.shortfall > 0
            no_basis[line.sale_id] |= result.no_cost_basis
    for sale_id, short, basis in _flags_of_other_products(session, facts.product_id):
        if sale_id in delta:
            shortage[sale_id] |= short
            no_basis[sale_id] |= basis
    recosted: set[int] = set()
    for sale_id, change in delta.items():
        sale = facts.sales[sale_id]
        cost = sale.cost + change
        rows.sales.append((cost, sale.revenue - cost, shortage[sale_id], no_basis[sale_id], rows.now, sale_id))
        if change != 0 and sale_id not in exclude:
            recosted.add(sale_id)
            why = "; ".join(notes[sale_id]) if notes[sale_id] else f"re-costed in date order ({rows.cause.reason})"
            rows.revisions.append(
                (
                    sale_id,
                    sale.version,
                    "recosted",
                    f"Cost {cents(sale.cost)} → {cents(cost)}: {why}"[:4000],
                    rows.now,
                    rows.cause.sync_run_id,
                    rows.cause.user_id,
                )
            )
    return recosted


def _flags_of_other_products(session: AnySession, product_id: int) -> list[tuple[int, bool, bool]]:
    """Sales of this product whose lines of other products are short or have no cost basis (few: provisional lines)."""
    mine = select(SaleLine.sale_id).where(SaleLine.product_id == product_id)
    return [
        (sale_id, bool(short), bool(basis))
        for sale_id, short, basis in session.execute(
            select(
                SaleLine.sale_id,
                func.max(case((SaleLine.shortage_quantity > 0, 1))),  # NULL when none: read as False
                func.max(case((SaleLine.no_cost_basis.is_(True), 1))),
            )
            .where(
                SaleLine.product_id != product_id,
                SaleLine.sale_id.in_(mine),
                (SaleLine.shortage_quantity > 0) | SaleLine.no_cost_basis.is_(True),
            )
            .group_by(SaleLine.sale_id)
        )
    ]
