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
