"""Decimal rules: precision of quantities, costs and money; refusing what is not a decimal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from partsemble.domain.money import NotADecimal, cents, margin_percent, money, qty, to_decimal, unit_cost

D = Decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D("1.23456"), D("1.2346")), (D("-1.23455"), D("-1.2346")), ("2", D("2.0000")), (3, D("3.0000"))],
)
def test_quantities_keep_four_places_rounded_half_up(value, expected) -> None:  # type: ignore[no-untyped-def]
    assert qty(value) == expected and qty(value).as_tuple().exponent == -4


@pytest.mark.parametrize(("value", "expected"), [(D("0.1234565"), D("0.123457")), ("146.8", D("146.800000"))])
def test_unit_costs_keep_six_places(value, expected) -> None:  # type: ignore[no-untyped-def]
    assert unit_cost(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D("2.005"), D("2.01")), (D("-2.005"), D("-2.01")), (D("2.004999"), D("2.00")), (D("7340"), D("7340.00"))],
)
def test_cents_round_half_up_for_display_and_totals(value, expected) -> None:  # type: ignore[no-untyped-def]
    assert cents(value) == expected
    assert money(value) == D(value)  # stored money keeps its six places


@pytest.mark.parametrize(("text", "expected"), [(" 1,250.50 ", D("1250.50")), ("-0.5", D("-0.5")), ("1250.50", D("1250.50"))])
def test_numeric_text_becomes_a_decimal(text, expected) -> None:  # type: ignore[no-untyped-def]
    assert to_decimal(text) == expected


@pytest.mark.parametrize("bad", [1.5, True, "abc", "", "NaN", "Infinity", D("NaN"), None, [1], "1e3", "1,5", "1_000"])
def test_floats_booleans_and_non_numbers_are_refused(bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotADecimal):
        to_decimal(bad)


@pytest.mark.parametrize(
    ("margin", "revenue", "expected"),
    [(D("2660"), D("10000"), D("26.6")), (D("-12.12"), D("-14.00"), D("86.6")), (D("5"), D("0"), None)],
)
def test_margin_percent_is_margin_over_revenue_and_none_without_revenue(margin, revenue, expected) -> None:  # type: ignore[no-untyped-def]
    assert margin_percent(margin, revenue) == expected
