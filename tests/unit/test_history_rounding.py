"""The change-history text rounds money half-up to cents, like every other figure shown (SPEC:
"money totals rounded half-up to cents"); half-even would say 2.34 and 0.12 below."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from partsemble.costing.history import Snapshot, describe_changes

D = Decimal


def snap(revenue: str) -> Snapshot:
    return Snapshot(date(2026, 2, 1), "Acme", "active", (("Candle", D(1), D(revenue)),))


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("2.345", "0.125", "Revenue 2.35 → 0.13"),
        ("-2.345", "10.005", "Revenue -2.35 → 10.01"),
        ("2.344999", "2.355", "Revenue 2.34 → 2.36"),
    ],
)
def test_the_revenue_change_is_told_in_cents_rounded_half_up(old, new, says) -> None:
    assert describe_changes(snap(old), snap(new)) == says


FEB1, FEB2 = date(2026, 2, 1), date(2026, 2, 2)


def lines(*rows: tuple[str, str, str]) -> tuple[tuple[str, Decimal, Decimal], ...]:
    return tuple((item, D(q), D(r)) for item, q, r in rows)


@pytest.mark.parametrize(
    ("before", "after", "says"),
    [
        (None, Snapshot(FEB1, "Acme", "active", lines(("Candle", "2.5", "25"))), "Created with 1 line (2.5 units) for Acme"),
        (
            None,
            Snapshot(FEB1, "Acme", "active", lines(("Candle", "2", "20"), ("Soap", "3", "9"))),
            "Created with 2 lines (5 units) for Acme",
        ),
        (None, Snapshot(FEB1, "Acme", "active", ()), "Created with 0 lines (0 units) for Acme"),
        (
            Snapshot(FEB1, "Acme", "active", lines(("Candle", "2", "20"))),
            Snapshot(FEB2, "Acme Ltd", "voided", lines(("Candle", "2", "20"))),
            "Status active → voided; Date 2026-02-01 → 2026-02-02; Customer Acme → Acme Ltd",
        ),
        (
            Snapshot(FEB1, "Acme", "active", lines(("Candle", "2", "20"), ("Wick", "1", "0"))),
            Snapshot(FEB1, "Acme", "active", lines(("Candle", "1", "10"), ("Candle", "2", "20"), ("Soap", "4", "8"))),
            "Quantity of Candle: 2 → 3; Line added: Soap (4); Line removed: Wick (1); Revenue 20.00 → 38.00",
        ),
        (
            Snapshot(FEB1, "Acme", "active", lines(("Candle", "2", "20"))),
            Snapshot(FEB1, "Acme", "active", lines(("Candle", "2", "20"))),
            "New version with no change to lines, quantities or date",
        ),
    ],
    ids=["one-line", "two-lines", "no-lines", "header", "lines", "no-change"],
)
def test_the_change_history_says_what_changed(before, after, says) -> None:  # type: ignore[no-untyped-def]
    assert describe_changes(before, after) == says
