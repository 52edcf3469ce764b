"""A sale's change history in words: what changed between two applied versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from partsemble.domain.money import cents


@dataclass(frozen=True)
class Snapshot:
    txn_date: date
    customer: str
    status: str
    lines: tuple[tuple[str, Decimal, Decimal], ...]  # (item, quantity, revenue)


def _fmt(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text


def describe_changes(before: Snapshot | None, after: Snapshot) -> str:
    """One line per change, e.g. "Quantity of Lavender Candle 8oz: 5 → 3"."""
    if before is None:
        units = sum((q for _, q, _ in after.lines), Decimal(0))
        return f"Created with {len(after.lines)} line{'s' if len(after.lines) != 1 else ''} ({_fmt(units)} units) for {after.customer}"
    changes: list[str] = []
    if before.status != after.status:
        changes.append(f"Status {before.status} → {after.status}")
    if before.txn_date != after.txn_date:
        changes.append(f"Date {before.txn_date.isoformat()} → {after.txn_date.isoformat()}")
    if before.customer != after.customer:
        changes.append(f"Customer {before.customer} → {after.customer}")
    old_qty, new_qty = _quantities(before), _quantities(after)
    for item in sorted(set(old_qty) | set(new_qty)):
        if item not in new_qty:
            changes.append(f"Line removed: {item} ({_fmt(old_qty[item])})")
        elif item not in old_qty:
            changes.append(f"Line added: {item} ({_fmt(new_qty[item])})")
        elif old_qty[item] != new_qty[item]:
            changes.append(f"Quantity of {item}: {_fmt(old_qty[item])} → {_fmt(new_qty[item])}")
    old_rev = sum((r for _, _, r in before.lines), Decimal(0))
    new_rev = sum((r for _, _, r in after.lines), Decimal(0))
    if old_rev != new_rev:
        changes.append(f"Revenue {cents(old_rev)} → {cents(new_rev)}")  # half-up, as every figure shown
    return "; ".join(changes) or "New version with no change to lines, quantities or date"


def _quantities(snap: Snapshot) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for item, quantity, _ in snap.lines:
        totals[item] = totals.get(item, Decimal(0)) + quantity
    return totals
