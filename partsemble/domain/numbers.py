"""Numbers as people type them: one strict reading for forms and CSV files, and the same
decimal mark for showing them back.

With the decimal point, "1,500.25" and "1500.25" are read; "1,5" and "1,50" are refused as
ambiguous (15 or 1.5?). With the decimal comma it is the mirror image. A currency symbol
around a price is accepted; scientific notation, NaN, infinities, underscores and digits
other than 0-9 are refused.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import Enum


class DecimalMark(str, Enum):  # noqa: UP042  (not StrEnum: str() and format() of a member stay as they are)
    POINT = "."
    COMMA = ","

    @property
    def grouping(self) -> str:
        """The thousands separator that goes with this decimal mark."""
        return "," if self is DecimalMark.POINT else "."

    @property
    def example(self) -> str:
        return "1,500.25" if self is DecimalMark.POINT else "1.500,25"


CURRENCY_SYMBOLS = "$€£¥"
# Spaces people and spreadsheets put between thousands: space, no-break space, narrow no-break space.
SPACES = " \u00a0\u202f"


class NumberRefused(ValueError):
    """Text that is not a number under the strict rules; `reason` finishes the sentence "'1,5' ..."."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _pattern(mark: DecimalMark) -> re.Pattern[str]:
    point, group = re.escape(mark.value), re.escape(mark.grouping)
    spaces = f"[{SPACES}]"
    grouped = rf"[0-9]{{1,3}}(?:{group}[0-9]{{3}})+|[0-9]{{1,3}}(?:{spaces}[0-9]{{3}})+"
    whole = rf"(?:{grouped}|[0-9]+)"
    return re.compile(rf"(?P<whole>{whole})?(?:{point}(?P<fraction>[0-9]+))?")


PATTERNS = {mark: _pattern(mark) for mark in DecimalMark}


def read_number(text: str, mark: DecimalMark = DecimalMark.POINT, *, currency: bool = False) -> Decimal:
    """The exact Decimal written in `text` under the strict rules for `mark`.

    Raises:
        NumberRefused: empty, ambiguous, scientific, not finite, a symbol where none is
            allowed, or anything else that is not a plain number.
    """
    body = text.strip(SPACES + "\t")
    if not body:
        raise NumberRefused("is empty")
    sign = ""
    if currency:
        body = _strip_symbol(body)
    if body[:1] in "+-":
        sign, body = body[:1], body[1:].lstrip(SPACES)
        if currency:
            body = _strip_symbol(body)
    lowered = body.casefold()
    if any(word in lowered for word in ("nan", "inf")):
        raise NumberRefused("is not a finite number")
    if re.search(r"[0-9][eE][+-]?[0-9]", body):
        raise NumberRefused("is in scientific notation; write the number out (1000000, not 1e6)")
    if any(symbol in body for symbol in CURRENCY_SYMBOLS):
        raise NumberRefused(
            "has a currency symbol, which only a price or a cost may have"
            if not currency
            else "has a currency symbol out of place (one, before or after the number, is fine)"
        )
    match = PATTERNS[mark].fullmatch(body)
    if match is None or not (match.group("whole") or match.group("fraction")):
        raise NumberRefused(_why_not(body, mark))
    whole = re.sub(rf"[{re.escape(mark.grouping)}{SPACES}]", "", match.group("whole") or "0")
    fraction = match.group("fraction")
    digits = f"{sign}{whole}" + (f".{fraction}" if fraction else "")
    try:
        return Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain digits
        raise NumberRefused("is not a number") from None


def _strip_symbol(body: str) -> str:
    """The text without one currency symbol at its start or end."""
    if body[:1] in CURRENCY_SYMBOLS:
        return body[1:].lstrip(SPACES)
    if body[-1:] in CURRENCY_SYMBOLS:
        return body[:-1].rstrip(SPACES)
    return body


def _why_not(body: str, mark: DecimalMark) -> str:
    group = mark.grouping
    if re.fullmatch(rf"[0-9]+{re.escape(group)}[0-9]{{1,2}}", body) or re.fullmatch(rf"[0-9]+{re.escape(group)}[0-9]{{4,}}", body):
        which = "point" if mark is DecimalMark.POINT else "comma"
        return (
            f"is ambiguous: this install uses the decimal {which}, with '{group}' only between thousands; write numbers like {mark.example}"
        )
    return f"is not a number like {mark.example}"


def show_number(value: Decimal, mark: DecimalMark, places: int | None = None, *, grouping: bool = True) -> str:
    """`value` written with `mark` (and its thousands separator), to `places` decimals when given."""
    text = f"{value:,.{places}f}" if places is not None else f"{value:,f}"
    if not grouping:
        text = text.replace(",", "")
    if mark is DecimalMark.COMMA:
        text = text.translate(str.maketrans(",.", ".,"))
    return text
