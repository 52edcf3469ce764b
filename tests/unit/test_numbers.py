"""Numbers typed by people are read strictly (SPEC "Money and quantities"): the table of what is
accepted and what is refused, with the decimal point and with the decimal comma."""

from __future__ import annotations

from decimal import Decimal

import pytest

from partsemble.domain.numbers import DecimalMark, NumberRefused, read_number, show_number
from partsemble.validation import InputError, parse_decimal

D = Decimal
POINT, COMMA = DecimalMark.POINT, DecimalMark.COMMA

ACCEPTED = [
    # mark, typed, read as
    (POINT, "1500.25", D("1500.25")),
    (POINT, "1,500.25", D("1500.25")),
    (POINT, "1,500", D("1500")),
    (POINT, "1,234,567.5", D("1234567.5")),
    (POINT, "1 500.25", D("1500.25")),
    (POINT, "1\u202f500.25", D("1500.25")),
    (POINT, "0.5", D("0.5")),
    (POINT, ".5", D("0.5")),
    (POINT, "-2", D("-2")),
    (POINT, "+3", D("3")),
    (POINT, "  7  ", D("7")),
    (POINT, "$5.10", D("5.10")),
    (POINT, "5.10 $", D("5.10")),
    (POINT, "-$5.10", D("-5.10")),
    (POINT, "€1,500.25", D("1500.25")),
    (POINT, "£ 2", D("2")),
    (COMMA, "1500,25", D("1500.25")),
    (COMMA, "1.500,25", D("1500.25")),
    (COMMA, "1.500", D("1500")),
    (COMMA, "1 500,25", D("1500.25")),
    (COMMA, "1,5", D("1.5")),
    (COMMA, "2,25", D("2.25")),
    (COMMA, ",5", D("0.5")),
    (COMMA, "-2", D("-2")),
    (COMMA, "5,10 €", D("5.10")),
]

REFUSED = [
    # mark, typed, why (part of the reason given)
    (POINT, "1,5", "ambiguous"),
    (POINT, "1,50", "ambiguous"),
    (POINT, "2,25", "ambiguous"),
    (POINT, "1,5000", "ambiguous"),
    (POINT, "12,34,567", "not a number"),
    (POINT, "1e6", "scientific"),
    (POINT, "1E-3", "scientific"),
    (POINT, "NaN", "not a finite number"),
    (POINT, "nan", "not a finite number"),
    (POINT, "Infinity", "not a finite number"),
    (POINT, "-inf", "not a finite number"),
    (POINT, "", "empty"),
    (POINT, "   ", "empty"),
    (POINT, "5.", "not a number"),
    (POINT, "1.2.3", "not a number"),
    (POINT, "1_000", "not a number"),
    (POINT, "0x10", "not a number"),
    (POINT, "١٢", "not a number"),
    (POINT, "½", "not a number"),
    (POINT, "--5", "not a number"),
    (POINT, "5-", "not a number"),
    (POINT, "$$5", "currency symbol out of place"),
    (POINT, "US$5", "currency symbol out of place"),
    (POINT, "5$5", "currency symbol out of place"),
    (POINT, "five", "not a number"),
    (COMMA, "1.5", "ambiguous"),
    (COMMA, "1.50", "ambiguous"),
    (COMMA, "1500.25", "ambiguous"),
    (COMMA, "1,500.25", "not a number"),
    (COMMA, "1e6", "scientific"),
    (COMMA, "NaN", "not a finite number"),
]


@pytest.mark.parametrize(("mark", "typed", "expected"), ACCEPTED)
def test_accepted_inputs_are_read_exactly(mark, typed, expected) -> None:  # type: ignore[no-untyped-def]
    value = read_number(typed, mark, currency=True)
    assert value == expected and isinstance(value, Decimal)


@pytest.mark.parametrize(("mark", "typed", "why"), REFUSED)
def test_refused_inputs_say_why(mark, typed, why) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NumberRefused) as refused:
        read_number(typed, mark, currency=True)
    assert why in refused.value.reason


@pytest.mark.parametrize("typed", ["$5", "5 €", "-£1"])
def test_a_currency_symbol_is_refused_where_no_price_is_typed(typed) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NumberRefused, match="currency symbol"):
        read_number(typed, POINT)


@pytest.mark.parametrize(("mark", "typed"), [(POINT, "1,5"), (POINT, "1e6"), (COMMA, "1.5"), (POINT, "$5.10x")])
def test_every_refusal_names_the_field_and_quotes_what_was_typed(mark, typed) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as refused:
        parse_decimal(typed, "unit_cost", "Unit cost", places=6, mark=mark, currency=True)
    assert refused.value.field == "unit_cost"
    assert refused.value.message.startswith("Unit cost") and repr(typed) in refused.value.message


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1.1234567", "at most 6 decimal places; '1.1234567' has more"),
        ("-1", "cannot be negative; you typed '-1'"),
        ("2,000,000,000", "too large: '2,000,000,000'"),
    ],
)
def test_bounds_and_precision_refusals_quote_what_was_typed(typed, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=message):
        parse_decimal(typed, "unit_cost", "Unit cost", places=6, minimum=D(0))


@pytest.mark.parametrize(
    ("value", "mark", "places", "shown"),
    [
        (D("1500.25"), POINT, 2, "1,500.25"),
        (D("1500.25"), COMMA, 2, "1.500,25"),
        (D("-0.5"), COMMA, None, "-0,5"),
        (D("1234567"), COMMA, 0, "1.234.567"),
    ],
)
def test_numbers_are_shown_with_the_same_mark_they_are_typed_with(value, mark, places, shown) -> None:  # type: ignore[no-untyped-def]
    assert show_number(value, mark, places) == shown
    assert read_number(shown, mark) == value
