"""The pure date-order replay, rule by rule, and its conservation in quantity and value."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from partsemble.domain.replay import AdjustmentFact, LineFact, LotFact, Take, replay

D = Decimal
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def day(n: int) -> date:
    return date(2026, 1, n)


def sale(line_id: int, on: int, qty: str, customer: str = "C1", minute: int = 0, returns_to: int | None = None) -> LineFact:
    return LineFact(
        line_id,
        line_id,
        day(on),
        T0 + timedelta(minutes=minute or line_id),
        1,
        D(qty),
        customer_ref=customer,
        doc_number=f"S{line_id}",
        is_sale=returns_to is None,
        return_lot_id=returns_to,
    )


@pytest.mark.parametrize(
    "lots, lines, expected",
    [
        # Oldest first by received date, then by lot id (lot 2 and 3 share a date).
        (
            [LotFact(3, day(2), D(5), D(3)), LotFact(2, day(2), D(5), D(2)), LotFact(1, day(1), D(2), D(1))],
            [sale(10, 5, "8")],
            [Take(1, D(2), D(1)), Take(2, D(5), D(2)), Take(3, D(1), D(3))],
        ),
        # A lot received after the sale is not drawn at the sale; it settles the shortfall when it arrives.
        (
            [LotFact(1, day(1), D(2), D(1)), LotFact(2, day(9), D(5), D(4))],
            [sale(10, 5, "3")],
            [Take(1, D(2), D(1)), Take(2, D(1), D(4), settled=True)],
        ),
        # Same-day lots arrive before same-day sales.
        ([LotFact(1, day(5), D(5), D(2))], [sale(10, 5, "1")], [Take(1, D(1), D(2))]),
    ],
)
def test_draws_follow_received_dates_then_lot_ids(lots, lines, expected) -> None:  # type: ignore[no-untyped-def]
    assert replay(lots, [], lines).lines[10].draws == tuple(expected)


@pytest.mark.parametrize(
    "lots, expected_unit, no_basis",
    [
        # Active lots' average just before the draw (weighted by what they hold), not by what they received.
        ([LotFact(1, day(1), D(10), D(1)), LotFact(2, day(2), D(2), D(4))], D("2.500000"), False),
        ([], D(0), True),
    ],
)
def test_a_shortfall_is_costed_at_the_average_of_the_lots_drawn_else_zero(lots, expected_unit, no_basis) -> None:  # type: ignore[no-untyped-def]
    lines = [sale(9, 3, "8"), sale(10, 4, "5")]  # the first sale leaves lot 1 with 2 and lot 2 with 2
    result = replay(lots, [], lines).lines[10]
    if lots:
        assert [(t.lot_id, t.quantity) for t in result.draws] == [(1, D(2)), (2, D(2))]
    assert (result.shortfall, result.shortfall_unit_cost, result.no_cost_basis) == (D(1) if lots else D(5), expected_unit, no_basis)


def test_with_every_lot_gone_the_shortfall_takes_the_average_of_all_lots_received() -> None:
    lots = [LotFact(1, day(1), D(1), D(1)), LotFact(2, day(2), D(3), D(5))]
    result = replay(lots, [], [sale(9, 3, "4"), sale(10, 4, "2")]).lines[10]
    assert (result.shortfall, result.shortfall_unit_cost) == (D(2), D(4))  # (1 x 1 + 3 x 5) / 4


def test_shortfalls_are_settled_oldest_sale_first_by_the_next_arrival() -> None:
    lines = [sale(10, 2, "3"), sale(11, 3, "3")]
    result = replay([LotFact(1, day(5), D(4), D(7))], [], lines)
    assert result.lines[10].draws == (Take(1, D(3), D(7), settled=True),) and result.lines[10].shortfall == 0
    assert result.lines[11].draws == (Take(1, D(1), D(7), settled=True),) and result.lines[11].shortfall == D(2)
    assert result.balances == {1: D(0)}


def test_a_negative_adjustment_reserves_its_units_from_earlier_sales() -> None:
    lots = [LotFact(1, day(1), D(10), D(2)), LotFact(2, day(2), D(10), D(3))]
    result = replay(lots, [AdjustmentFact(100, 1, day(10), D(-5))], [sale(10, 5, "8")])
    assert result.lines[10].draws == (Take(1, D(5), D(2)), Take(2, D(3), D(3)))
    assert result.balances == {1: D(0), 2: D(7)}


def test_a_positive_adjustment_settles_like_a_new_lot() -> None:
    result = replay([LotFact(1, day(1), D(1), D(2))], [AdjustmentFact(100, 1, day(9), D(4))], [sale(10, 5, "3")])
    assert result.lines[10].draws == (Take(1, D(1), D(2)), Take(1, D(2), D(2), settled=True))


def test_a_return_comes_back_at_the_latest_earlier_sale_to_that_customer_else_average() -> None:
    lots = [LotFact(1, day(1), D(5), D(2)), LotFact(2, day(2), D(5), D(6))]
    lines = [
        sale(10, 3, "4", customer="C1"),
        sale(11, 4, "-1", customer="C1", returns_to=50),
        sale(12, 5, "-1", customer="C2", returns_to=51),
    ]
    result = replay(lots, [], lines)
    assert result.lines[11].return_unit_cost == D(2)  # sale 10 drew its 4 from lot 1 at 2
    assert result.lines[11].explanation == "cost of sale S10 on 2026-01-03"
    # C2 never bought: the average of the lots on hand (1 of lot 1 at 2, 5 of lot 2 at 6, 1 returned at 2).
    assert result.lines[12].return_unit_cost == D("4.857143")


def test_closed_lines_keep_their_stored_draws_and_are_not_settled() -> None:
    from partsemble.domain.replay import LineCost

    fixed = LineCost((), D(2), D(0), True)
    closed = LineFact(10, 10, day(3), None, 1, D(2), fixed=fixed)
    result = replay([LotFact(1, day(5), D(4), D(7))], [], [closed, sale(11, 6, "1")])
    assert result.lines[10] == fixed
    assert result.lines[11].draws == (Take(1, D(1), D(7)),)


facts = st.lists(st.tuples(st.integers(1, 28), st.integers(1, 9), st.sampled_from(["1.5", "2", "3.25", "7"])), max_size=6)


@settings(max_examples=300, deadline=None)
@given(lots=facts, sales=st.lists(st.tuples(st.integers(1, 28), st.integers(1, 9)), max_size=8), seed=st.integers(0, 999))
def test_conservation_and_the_order_of_the_input_does_not_matter(lots, sales, seed) -> None:  # type: ignore[no-untyped-def]
    lot_facts = [LotFact(i + 1, day(d), D(q), D(c)) for i, (d, q, c) in enumerate(lots)]
    line_facts = [sale(100 + i, d, str(q)) for i, (d, q) in enumerate(sales)]
    result = replay(lot_facts, [], line_facts)
    shuffled_lots, shuffled_lines = lot_facts[:], line_facts[:]
    random.Random(seed).shuffle(shuffled_lots)
    random.Random(seed + 1).shuffle(shuffled_lines)
    assert replay(shuffled_lots, [], shuffled_lines) == result
    received = sum((lot.quantity for lot in lot_facts), D(0))
    drawn = sum((t.quantity for r in result.lines.values() for t in r.draws), D(0))
    assert received == sum(result.balances.values(), D(0)) + drawn  # quantity
    value_in = sum((lot.quantity * lot.unit_cost for lot in lot_facts), D(0))
    value_left = sum((result.balances[lot.lot_id] * lot.unit_cost for lot in lot_facts), D(0))
    assert value_in == value_left + sum((t.quantity * t.unit_cost for r in result.lines.values() for t in r.draws), D(0))  # value
    sold = sum((line.quantity for line in line_facts), D(0))
    assert sold == drawn + sum((r.shortfall for r in result.lines.values()), D(0))
    if any(r.shortfall for r in result.lines.values()):
        assert sum(result.balances.values(), D(0)) == 0  # an open shortfall means every lot is empty
