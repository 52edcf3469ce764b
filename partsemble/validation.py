"""Parsing user and file input into typed values, with messages that name the field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from partsemble.domain.money import NotADecimal, to_decimal
from partsemble.domain.numbers import DecimalMark, NumberRefused, read_number, show_number


class InputError(ValueError):
    """Bad input; `field` names the form field (or CSV column) at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


def parse_decimal(
    raw: object,
    field: str,
    label: str,
    *,
    places: int,
    mark: DecimalMark = DecimalMark.POINT,
    currency: bool = False,
    minimum: Decimal | None = None,
    strictly_positive: bool = False,
    allow_zero: bool = True,
    maximum: Decimal = Decimal("999999999"),
) -> Decimal:
    """A finite decimal with at most `places` decimal places, within bounds, read strictly with
    the install's decimal `mark` (partsemble.domain.numbers); `currency` allows a symbol around it.

    Raises:
        InputError: naming the field and quoting what was typed, for empty, ambiguous,
            non-numeric, too precise or out-of-range values.
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        raise InputError(f"{label} is required.", field)
    typed = _quoted(raw)
    if isinstance(raw, str):
        try:
            value = read_number(raw, mark, currency=currency)
        except NumberRefused as exc:
            raise InputError(f"{label}: {typed} {exc.reason}.", field) from None
    else:
        try:
            value = to_decimal(raw)
        except NotADecimal:
            raise InputError(f"{label} must be a number, not {typed}.", field) from None
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise InputError(f"{label} can have at most {places} decimal places; {typed} has more.", field)
    if strictly_positive and value <= 0:
        raise InputError(f"{label} must be greater than zero, not {typed}.", field)
    if minimum is not None and value < minimum:
        floor = "cannot be negative" if minimum == 0 else f"must be at least {show_number(minimum, mark)}"
        raise InputError(f"{label} {floor}; you typed {typed}.", field)
    if not allow_zero and value == 0:
        raise InputError(f"{label} must not be zero (you typed {typed}).", field)
    if abs(value) > maximum:
        raise InputError(f"{label} is too large: {typed} is over {show_number(maximum, mark, 0)}.", field)
    return value


def _quoted(raw: object) -> str:
    """What was typed, quoted and cut short, for a message."""
    text = str(raw).strip()
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


def parse_date(raw: object, field: str, label: str, *, not_after: date | None = None) -> date:
    """An ISO date (YYYY-MM-DD), optionally not later than `not_after`.

    Raises:
        InputError: naming the field.
    """
    if isinstance(raw, date):
        value = raw
    else:
        text = str(raw or "").strip()
        if not text:
            raise InputError(f"{label} is required.", field)
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise InputError(f"{label} must be a date like 2026-03-31, not {text[:40]!r}.", field) from None
    if value.year < 1900:
        raise InputError(f"{label} is too far in the past.", field)
    if not_after is not None and value > not_after:
        raise InputError(f"{label} cannot be in the future.", field)
    return value


def parse_text(raw: object, field: str, label: str, *, max_length: int, required: bool = True) -> str:
    """Trimmed text without control characters, within a length.

    Raises:
        InputError: naming the field.
    """
    text = str(raw or "").strip()
    if required and not text:
        raise InputError(f"{label} is required.", field)
    if len(text) > max_length:
        raise InputError(f"{label} can be at most {max_length} characters.", field)
    if any(ord(ch) < 32 and ch not in "\t" for ch in text):
        raise InputError(f"{label} contains control characters.", field)
    return text
