"""FIFO allocation and shortfall costing: worked examples and properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from partsemble.domain.fifo import (
    LotBalance,
    allocate_fifo,
    shortfall_unit_cost,
    weighted_average_cost,
)

D = Decimal
DAY = date(2026, 1, 1)


def lots(*specs: tuple[int, int, str, str]) -> list[LotBalance]:
    """(id, day offset, remaining, unit cost)"""
    return [LotBalance(i, DAY + timedelta(days=d), D(q), D(c)) for i, d, q, c in specs]


def test_worked_example_selling_50_costs_7340_and_leaves_the_third_lot_untouched() -> None:
    stock = lots((1, 0, "20", "145.00"), (2, 1, "30", "148.00"), (3, 2, "25", "152.00"))
    allocation = allocate_fifo(stock, D(50))
    assert [(d.lot_id, d.quantity) for d in allocation.draws] == [(1, D(20)), (2, D(30))]
    assert allocation.draws_cost == D("7340.00")
    assert allocation.draws_cost / D(50) == D("146.80")
    assert allocation.shortfall == 0
    assert 3 not in {d.lot_id for d in allocation.draws}


@pytest.mark.parametrize(
    ("stock", "quantity", "expected_draws", "expected_shortfall"),
    [
        pytest.param([], "5", [], "5", id="no-lots-everything-is-shortfall"),
        pytest.param([(1, 0, "10", "2")], "0", [], "0", id="zero-quantity-draws-nothing"),
        pytest.param([(1, 0, "10", "2")], "10", [(1, "10")], "0", id="exactly-empties-a-lot"),
        pytest.param([(1, 0, "10", "2")], "12.5", [(1, "10")], "2.5", id="partial-shortfall"),
        pytest.param([(2, 0, "5", "3"), (1, 0, "5", "2")], "6", [(1, "5"), (2, "1")], "0", id="same-date-lower-id-first"),
        pytest.param([(1, 5, "5", "3"), (2, 0, "5", "2")], "6", [(2, "5"), (1, "1")], "0", id="older-date-first-whatever-the-id"),
        pytest.param([(1, 0, "0", "3"), (2, 1, "4", "2")], "3", [(2, "3")], "0", id="empty-lots-are-passed-over"),
        pytest.param([(1, 0, "0.3333", "3")], "0.5", [(1, "0.3333")], "0.1667", id="four-decimal-quantities"),
    ],
)
def test_allocation_table(stock, quantity, expected_draws, expected_shortfall) -> None:  # type: ignore[no-untyped-def]
    allocation = allocate_fifo(lots(*stock), D(quantity))
    assert [(d.lot_id, d.quantity) for d in allocation.draws] == [(i, D(q)) for i, q in expected_draws]
    assert allocation.shortfall == D(expected_shortfall)


def test_negative_quantity_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        allocate_fifo(lots((1, 0, "1", "1")), D(-1))


def test_a_lot_with_negative_remaining_is_refused() -> None:
    with pytest.raises(ValueError, match="negative remaining"):
        allocate_fifo(lots((1, 0, "-1", "1")), D(1))


@pytest.mark.parametrize(
    ("holdings", "expected"),
    [
        ([("10", "2"), ("30", "4")], "3.500000"),
        ([("1", "1"), ("2", "2")], "1.666667"),
        ([], None),
        ([("0", "5")], None),
    ],
)
def test_weighted_average_cost(holdings, expected) -> None:  # type: ignore[no-untyped-def]
    result = weighted_average_cost((D(q), D(c)) for q, c in holdings)
    assert result == (None if expected is None else D(expected))


@pytest.mark.parametrize(
    ("active", "historic", "unit", "no_basis"),
    [
        ("3.5", "9", "3.5", False),
        (None, "9", "9", False),
        (None, None, "0", True),
    ],
)
def test_shortfall_costs_active_average_then_historic_then_zero(active, historic, unit, no_basis) -> None:  # type: ignore[no-untyped-def]
    result = shortfall_unit_cost(None if active is None else D(active), None if historic is None else D(historic))
    assert result.unit_cost == D(unit)
    assert result.no_cost_basis is no_basis


quantities = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False)
costs = st.decimals(min_value=0, max_value=10000, places=6, allow_nan=False, allow_infinity=False)
lot_lists = st.lists(st.tuples(st.integers(0, 60), quantities, costs), max_size=12).map(
    lambda specs: [LotBalance(i + 1, DAY + timedelta(days=d), q, c) for i, (d, q, c) in enumerate(specs)]
)


@settings(max_examples=300)
@given(stock=lot_lists, quantity=quantities)
def test_quantity_and_value_are_conserved(stock: list[LotBalance], quantity: Decimal) -> None:
    allocation = allocate_fifo(stock, quantity)
    assert allocation.drawn + allocation.shortfall == quantity
    taken = {d.lot_id: d.quantity for d in allocation.draws}
    before_value = sum((lot.remaining * lot.unit_cost for lot in stock), D(0))
    after_value = sum(((lot.remaining - taken.get(lot.lot_id, 0)) * lot.unit_cost for lot in stock), D(0))
    assert before_value - after_value == allocation.draws_cost


@settings(max_examples=300)
@given(stock=lot_lists, quantity=quantities)
def test_no_lot_goes_negative_and_shortfall_only_when_lots_are_empty(stock: list[LotBalance], quantity: Decimal) -> None:
    allocation = allocate_fifo(stock, quantity)
    by_id = {lot.lot_id: lot for lot in stock}
    for draw in allocation.draws:
        assert 0 < draw.quantity <= by_id[draw.lot_id].remaining
        assert draw.unit_cost == by_id[draw.lot_id].unit_cost
    if allocation.shortfall > 0:
        assert allocation.drawn == sum((lot.remaining for lot in stock), D(0))


@settings(max_examples=300)
@given(stock=lot_lists, quantity=quantities)
def test_older_lots_are_emptied_before_newer_ones_are_touched(stock: list[LotBalance], quantity: Decimal) -> None:
    allocation = allocate_fifo(stock, quantity)
    order = sorted(stock, key=lambda lot: (lot.received_date, lot.lot_id))
    taken = {d.lot_id: d.quantity for d in allocation.draws}
    touched = [i for i, lot in enumerate(order) if taken.get(lot.lot_id, 0) > 0]
    if touched:
        last = touched[-1]
        for lot in order[:last]:
            assert taken.get(lot.lot_id, D(0)) == lot.remaining, "an older lot was left with stock"
