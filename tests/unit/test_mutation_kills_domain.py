"""Rules of domain/ pinned where mutation testing found them unguarded (tests/MUTATION.md).

Each test's data are chosen so that the mistake gives a different number: half-way values for
rounding, a lot that arrives after its own adjustment, a return by customer name only, a received
quantity below one unit."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from partsemble.domain.fifo import weighted_average_cost
from partsemble.domain.money import NotADecimal, margin_percent, money, qty, to_decimal, unit_cost
from partsemble.domain.numbers import DecimalMark, NumberRefused, read_number, show_number
from partsemble.domain.replay import AdjustmentFact, LineCost, LineFact, LotFact, Take, replay
from partsemble.domain.sale_plan import DocumentRejected

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def day(n: int) -> date:
    return date(2026, 1, n)


def line(
    line_id: int,
    on: int,
    quantity: str,
    *,
    ref: str = "C1",
    name: str = "",
    minute: int | None = None,
    returns_to: int | None = None,
    fixed: LineCost | None = None,
) -> LineFact:
    created = T0 + timedelta(minutes=line_id if minute is None else minute)
    return LineFact(
        line_id,
        line_id,
        day(on),
        created,
        1,
        D(quantity),
        customer_ref=ref,
        customer_name=name,
        doc_number=f"S{line_id}",
        is_sale=returns_to is None,
        return_lot_id=returns_to,
        fixed=fixed,
    )


# Money: half-way values round up, as the books do (the context's default would round half to even).
# The calls are made inside the test, where mutation testing can see them.
@pytest.mark.parametrize(
    ("rule", "argument", "expected"),
    [
        (qty, "0.00005", D("0.0001")),
        (unit_cost, "0.0000005", D("0.000001")),
        (money, "0.0000025", D("0.000003")),
        (lambda m: margin_percent(D(m), D(100)), "12.25", D("12.3")),
        (lambda c: weighted_average_cost([(D(1), D(c)), (D(1), D(0))]), "0.000001", D("0.000001")),
    ],
    ids=["qty", "unit_cost", "money", "margin_percent", "weighted_average_cost"],
)
def test_half_way_values_round_up(rule, argument, expected):
    assert rule(argument) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "1.5 is not an exact decimal number"),
        (True, "True is not an exact decimal number"),
        ([1], "[1] is not a number"),
        (D("NaN"), "Decimal('NaN') is not a finite number"),
        (D("-Infinity"), "Decimal('-Infinity') is not a finite number"),
    ],
)
def test_a_value_that_is_not_a_finite_decimal_is_refused_with_what_it_was(value, message):
    with pytest.raises(NotADecimal) as raised:
        to_decimal(value)

    assert str(raised.value) == message


def test_the_average_cost_passes_over_holdings_without_quantity_wherever_they_are():
    assert weighted_average_cost([(D(0), D(9)), (D(-1), D(9)), (D(2), D(3)), (D(2), D(5))]) == D(4)


# Replay
def test_a_line_cost_is_its_draws_and_shortfall_or_minus_what_comes_back():
    assert LineCost((Take(1, D(2), D(3)),), D(1), D(4)).cost() == D(10)
    assert LineCost(return_unit_cost=D("2.5")).cost(D(2)) == D(-5)


def test_same_day_sales_draw_in_the_order_they_were_created_not_by_id():
    lines = [line(20, 5, "1", minute=1), line(10, 5, "1", minute=2)]

    result = replay([LotFact(1, day(1), D(1), D(4))], [], lines)

    assert result.lines[20].draws == (Take(1, D(1), D(4)),)
    assert (result.lines[10].draws, result.lines[10].shortfall) == ((), D(1))


def test_a_sale_beyond_one_lot_keeps_its_draw_and_its_shortfall():
    result = replay([LotFact(1, day(1), D(2), D(3))], [], [line(10, 2, "3")]).lines[10]

    assert (result.draws, result.shortfall, result.shortfall_unit_cost) == ((Take(1, D(2), D(3)),), D(1), D(3))


def test_later_negative_adjustments_reserve_their_lowest_running_total():
    # Lot 1 will lose 3 and then 2 more: of its 10 units only 5 may be sold before those dates,
    # whatever order the adjustments are handed over in.
    lots = [LotFact(1, day(1), D(10), D(2)), LotFact(2, day(2), D(10), D(3))]
    adjustments = [AdjustmentFact(101, 1, day(12), D(-2)), AdjustmentFact(100, 1, day(10), D(-3))]

    result = replay(lots, adjustments, [line(10, 5, "8")])

    assert result.lines[10].draws == (Take(1, D(5), D(2)), Take(2, D(3), D(3)))
    assert result.balances == {1: D(0), 2: D(7)}


def test_settling_twice_from_one_lot_is_one_draw_and_a_one_unit_adjustment_settles():
    adjustments = [AdjustmentFact(100, 1, day(3), D(1))]

    result = replay([LotFact(1, day(2), D(2), D(6))], adjustments, [line(10, 1, "6")]).lines[10]

    assert result.draws == (Take(1, D(3), D(6), settled=True),)
    assert result.shortfall == D(3)


def test_an_adjustment_dated_before_its_lot_arrives_is_applied_when_it_arrives():
    lots = [LotFact(1, day(5), D(10), D(2))]

    result = replay(lots, [AdjustmentFact(100, 1, day(3), D(-4))], [line(10, 6, "7")])

    assert result.lines[10].draws == (Take(1, D(6), D(2)),)
    assert result.lines[10].shortfall == D(1)
    assert result.balances == {1: D(0)}


def test_closed_draws_come_out_of_their_lots_whether_the_lot_has_arrived_or_not():
    # Line 10 is closed on day 3 with draws from lot 1 (arrived) and lot 2 (received on day 4).
    fixed = LineCost((Take(1, D(2), D(1)), Take(2, D(3), D(5))))
    lots = [LotFact(1, day(1), D(5), D(1)), LotFact(2, day(4), D(5), D(5))]

    result = replay(lots, [], [line(10, 3, "5", fixed=fixed), line(11, 6, "6")])

    assert result.lines[10] == fixed
    assert result.lines[11].draws == (Take(1, D(3), D(1)), Take(2, D(2), D(5)))
    assert result.balances == {1: D(0), 2: D(0)}


def test_a_received_quantity_below_one_unit_is_still_a_cost_basis():
    lots = [LotFact(1, day(1), D("0.5"), D(4))]

    result = replay(lots, [], [line(10, 2, "0.5"), line(11, 3, "1")]).lines[11]

    assert (result.shortfall, result.shortfall_unit_cost, result.no_cost_basis) == (D(1), D(4), False)


def test_a_return_by_customer_name_only_comes_back_at_that_customers_sale():
    lots = [LotFact(1, day(1), D(5), D(2)), LotFact(2, day(2), D(5), D(6))]
    lines = [line(10, 3, "4", ref="", name="Acme"), line(11, 4, "-1", ref="", name="Acme", returns_to=50)]

    result = replay(lots, [], lines).lines[11]

    assert (result.return_unit_cost, result.no_cost_basis, result.draws) == (D(2), False, ())
    assert result.explanation == "cost of sale S10 on 2026-01-03"


def test_a_return_with_no_lots_on_hand_comes_back_at_the_average_of_every_lot_received():
    lots = [LotFact(1, day(1), D(1), D(1)), LotFact(2, day(1), D(3), D(5))]
    lines = [line(10, 2, "4", ref="C1"), line(11, 3, "-1", ref="C2", returns_to=50)]

    result = replay(lots, [], lines).lines[11]

    assert (result.return_unit_cost, result.no_cost_basis, result.explanation) == (D(4), False, "weighted average cost")


def test_a_return_with_no_earlier_sale_comes_back_at_the_lots_on_hand():
    result = replay([LotFact(1, day(1), D(2), D(3))], [], [line(11, 3, "-1", returns_to=50)]).lines[11]

    assert (result.return_unit_cost, result.no_cost_basis, result.explanation) == (D(3), False, "weighted average cost")


def test_a_return_with_no_sale_and_no_lot_has_no_cost_basis():
    result = replay([], [], [line(11, 3, "-2", returns_to=50)])

    cost = result.lines[11]
    assert (cost.return_unit_cost, cost.no_cost_basis, cost.draws) == (D(0), True, ())
    assert cost.explanation == "no cost basis: no earlier sale and no lots"
    assert result.balances == {50: D(2)}


def test_a_quantity_to_allocate_is_rounded_half_up_to_four_places():
    from partsemble.domain.fifo import LotBalance, allocate_fifo

    allocation = allocate_fifo([LotBalance(1, day(1), D(1), D(2))], D("0.00005"))

    assert [(d.lot_id, d.quantity) for d in allocation.draws] == [(1, D("0.0001"))]


def test_a_shortfall_is_settled_across_two_arrivals():
    lots = [LotFact(1, day(2), D(1), D(3)), LotFact(2, day(3), D(5), D(4))]

    result = replay(lots, [], [line(10, 1, "2")]).lines[10]

    assert result.draws == (Take(1, D(1), D(3), settled=True), Take(2, D(1), D(4), settled=True))
    assert result.shortfall == 0


def test_an_arrival_whose_units_are_all_reserved_settles_nothing():
    # Lot 1 arrives on day 2 but loses all 3 units on day 5: the open shortfall waits for lot 2.
    lots = [LotFact(1, day(2), D(3), D(3)), LotFact(2, day(6), D(5), D(4))]

    result = replay(lots, [AdjustmentFact(100, 1, day(5), D(-3))], [line(10, 1, "2")]).lines[10]

    assert result.draws == (Take(2, D(2), D(4), settled=True),)


def test_a_sale_passes_over_a_reserved_lot_to_the_next_one():
    lots = [LotFact(1, day(1), D(4), D(3)), LotFact(2, day(2), D(5), D(4))]

    result = replay(lots, [AdjustmentFact(100, 1, day(9), D(-4))], [line(10, 3, "3")]).lines[10]

    assert (result.draws, result.shortfall) == ((Take(2, D(3), D(4)),), D(0))


def test_an_emptied_lot_with_an_adjustment_to_come_is_drawn_again_after_it():
    lots = [LotFact(1, day(1), D(5), D(3))]
    lines = [line(10, 2, "5"), line(11, 11, "2")]

    result = replay(lots, [AdjustmentFact(100, 1, day(10), D(3))], lines)

    assert result.lines[11].draws == (Take(1, D(2), D(3)),)
    assert result.balances == {1: D(1)}


def test_a_closed_return_keeps_its_stored_cost_and_brings_its_lot_back_at_it():
    fixed = LineCost(return_unit_cost=D("3.5"), explanation="cost of sale S1 on 2025-12-30")
    lines = [line(10, 2, "-2", returns_to=50, fixed=fixed), line(11, 3, "1")]

    result = replay([], [], lines)

    assert result.lines[10] == fixed
    assert result.lines[11].draws == (Take(50, D(1), D("3.5")),)
    assert result.balances == {50: D(1)}


def test_a_return_that_is_not_restocked_brings_no_lot_back():
    lots = [LotFact(1, day(1), D(2), D(3))]

    result = replay(lots, [], [line(10, 2, "1"), line(11, 3, "-1")])

    assert result.lines[11].return_unit_cost == D(3)
    assert result.balances == {1: D(1)}


@pytest.mark.parametrize(
    ("value", "mark", "places", "grouping", "shown"),
    [
        (D("1500.256"), DecimalMark.POINT, 2, True, "1,500.26"),
        (D("1234567.5"), DecimalMark.POINT, 1, False, "1234567.5"),
        (D("1234567.5"), DecimalMark.COMMA, None, False, "1234567,5"),
    ],
)
def test_a_number_is_shown_to_the_places_asked_and_without_grouping_when_asked(value, mark, places, grouping, shown):
    assert show_number(value, mark, places, grouping=grouping) == shown


def test_a_rejection_that_concerns_no_item_names_none():
    rejected = DocumentRejected("closed_period", "The period is closed")

    assert (rejected.code, rejected.message, rejected.item_id, rejected.item_name) == ("closed_period", "The period is closed", "", "")


@pytest.mark.parametrize(
    ("typed", "mark", "reason"),
    [
        (
            "1,5",
            DecimalMark.POINT,
            "is ambiguous: this install uses the decimal point, with ',' only between thousands; write numbers like 1,500.25",
        ),
        (
            "1.5",
            DecimalMark.COMMA,
            "is ambiguous: this install uses the decimal comma, with '.' only between thousands; write numbers like 1.500,25",
        ),
        ("$\t5", DecimalMark.POINT, "is not a number like 1,500.25"),
        ("5\t€", DecimalMark.COMMA, "is not a number like 1.500,25"),
    ],
)
def test_an_amount_with_a_separator_of_the_other_convention_or_a_tab_by_its_symbol_is_refused(typed, mark, reason):
    with pytest.raises(NumberRefused) as raised:
        read_number(typed, mark, currency=True)

    assert raised.value.reason == reason


def test_a_currency_symbol_right_after_the_number_is_dropped():
    assert read_number("12€", DecimalMark.COMMA, currency=True) == D(12)


@pytest.mark.parametrize(
    ("typed", "currency", "reason"),
    [
        ("", False, "is empty"),
        ("NaN", False, "is not a finite number"),
        ("1e6", False, "is in scientific notation; write the number out (1000000, not 1e6)"),
        ("$5", False, "has a currency symbol, which only a price or a cost may have"),
        ("$5$", True, "has a currency symbol out of place (one, before or after the number, is fine)"),
        ("X5", False, "is not a number like 1,500.25"),
        ("-\t5", False, "is not a number like 1,500.25"),
        ("5\n", False, "is not a number like 1,500.25"),
    ],
)
def test_typed_numbers_are_refused_with_the_reason(typed, currency, reason):
    with pytest.raises(NumberRefused) as raised:
        read_number(typed, DecimalMark.POINT, currency=currency)

    assert raised.value.reason == reason


def test_a_sign_may_be_followed_by_a_space():
    assert (read_number("- 5"), read_number("+5")) == (D(-5), D(5))


def test_text_that_is_not_a_number_is_refused_with_the_reason():
    with pytest.raises(NotADecimal) as raised:
        to_decimal("12 apples")

    assert str(raised.value) == "'12 apples' is not a number like 1,500.25"
