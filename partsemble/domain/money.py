"""Decimal helpers: the precision of quantities, unit costs and money."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from partsemble.domain.numbers import NumberRefused, read_number

QTY = Decimal("0.0001")
UNIT_COST = Decimal("0.000001")
MONEY = Decimal("0.000001")
CENT = Decimal("0.01")
ZERO = Decimal(0)


class NotADecimal(ValueError):
    """A value that should be a finite decimal number is not one."""


def qty(value: Decimal | int | str) -> Decimal:
    """A quantity to 4 decimal places."""
    return to_decimal(value).quantize(QTY, rounding=ROUND_HALF_UP)


def unit_cost(value: Decimal | int | str) -> Decimal:
    """A unit cost or price to 6 decimal places."""
    return to_decimal(value).quantize(UNIT_COST, rounding=ROUND_HALF_UP)


def money(value: Decimal | int | str) -> Decimal:
    """A stored money amount (6 places); cents are for display and totals."""
    return to_decimal(value).quantize(MONEY, rounding=ROUND_HALF_UP)


def cents(value: Decimal | int | str) -> Decimal:
    """Round half-up to cents, for display and totals."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_decimal(value: object) -> Decimal:
    """Turn a Decimal, int or numeric string into a finite Decimal.

    Text is read by the strict rules with the decimal point (partsemble.domain.numbers):
    "1,250.50" is 1250.50, and "1,5" or "1e3" are refused rather than guessed at.

    Raises:
        NotADecimal: for floats, booleans, NaN, infinities and text that is not a plain number.
    """
    if isinstance(value, (bool, float)):
        raise NotADecimal(f"{value!r} is not an exact decimal number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = read_number(value)
        except NumberRefused as exc:
            raise NotADecimal(f"{value!r} {exc.reason}") from exc
    else:
        raise NotADecimal(f"{value!r} is not a number")
    if not result.is_finite():
        raise NotADecimal(f"{value!r} is not a finite number")
    return result


def margin_percent(margin: Decimal, revenue: Decimal) -> Decimal | None:
    """Margin as a percentage of revenue, to one decimal; None when revenue is zero."""
    if revenue == 0:
        return None
    return (margin / revenue * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
