"""Reading one field of an untrusted JSON object: the typed value, or a FieldProblem naming the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# Beyond this no sale is real, and Decimal quantize() at house precision would fail.
_LARGEST = Decimal(10) ** 12  # beyond any small business's document, and far inside the money columns
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class FieldProblem(Exception):
    """A field that is missing or not what the API documents; the message starts with the field's name."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field


def shown(value: object) -> str:
    """A short repr of a bad value for a message; never raises."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # ints past the str digit limit; absurd nesting
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


def _present(obj: Mapping[str, Any], key: str) -> bool:
    return obj.get(key) is not None


def get_object(obj: Mapping[str, Any], key: str, field: str) -> Mapping[str, Any] | None:
    """obj[key] as an object; None when absent.

    Raises:
        FieldProblem: present but not an object.
    """
    if not _present(obj, key):
        return None
    value = obj[key]
    if not isinstance(value, Mapping):
        raise FieldProblem(field, f"is not an object ({shown(value)})")
    return value


def require_object(obj: Mapping[str, Any], key: str, field: str) -> Mapping[str, Any]:
    """obj[key] as an object.

    Raises:
        FieldProblem: missing, or not an object.
    """
    value = get_object(obj, key, field)
    if value is None:
        raise FieldProblem(field, "is missing")
    return value


def get_list(obj: Mapping[str, Any], key: str, field: str) -> list[Any]:
    """obj[key] as a list; empty when absent.

    Raises:
        FieldProblem: present but not a list.
    """
    if not _present(obj, key):
        return []
    value = obj[key]
    if not isinstance(value, list):
        raise FieldProblem(field, f"is not a list ({shown(value)})")
    return value


def get_text(obj: Mapping[str, Any], key: str, field: str, *, required: bool = False) -> str:
    """obj[key] as text; "" when absent and not required.

    Raises:
        FieldProblem: missing or empty though required, or not text.
    """
    if not _present(obj, key):
        if required:
            raise FieldProblem(field, "is missing")
        return ""
    value = obj[key]
    if not isinstance(value, str):
        raise FieldProblem(field, f"is not text ({shown(value)})")
    value = value.replace("\x00", "")  # no database keeps NUL in text; no accounting system means one
    if required and not value.strip():
        raise FieldProblem(field, "is empty")
    return value


def get_number(obj: Mapping[str, Any], key: str, field: str) -> Decimal | None:
    """obj[key] as a finite Decimal of sane size; None when absent.

    Raises:
        FieldProblem: text or another non-number, NaN/Infinity, out of range.
    """
    if not _present(obj, key):
        return None
    return to_number(obj[key], field)


def require_number(obj: Mapping[str, Any], key: str, field: str) -> Decimal:
    """obj[key] as a finite Decimal of sane size.

    Raises:
        FieldProblem: missing, text or another non-number, NaN/Infinity, out of range.
    """
    value = get_number(obj, key, field)
    if value is None:
        raise FieldProblem(field, "is missing")
    return value


def to_number(value: object, field: str) -> Decimal:
    """A JSON number (int or Decimal, never bool or text) as a finite Decimal.

    Raises:
        FieldProblem: not a number, not finite, or beyond 10^12 in size.
    """
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise FieldProblem(field, f"is not a number ({shown(value)})")
    if isinstance(value, int):
        if abs(value) >= _LARGEST:
            raise FieldProblem(field, f"is out of range ({shown(value)})")
        return Decimal(value)
    if not value.is_finite():
        raise FieldProblem(field, f"is not a finite number ({shown(value)})")
    if abs(value) >= _LARGEST:
        raise FieldProblem(field, f"is out of range ({shown(value)})")
    return value


def get_day(obj: Mapping[str, Any], key: str, field: str) -> date:
    """obj[key] as a YYYY-MM-DD date; required.

    Raises:
        FieldProblem: missing, not text, or not a real calendar date.
    """
    text = get_text(obj, key, field, required=True)
    if _DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise FieldProblem(field, f"is not a date ({shown(text)})")


def get_moment(obj: Mapping[str, Any], key: str, field: str) -> datetime | None:
    """obj[key] as a timezone-aware datetime; None when absent.

    Raises:
        FieldProblem: not text, not an ISO date-time, or without a UTC offset.
    """
    text = get_text(obj, key, field)
    return to_moment(text, field) if text else None


def to_moment(text: str, field: str) -> datetime:
    """An ISO 8601 date-time with offset (QBO's `2026-05-01T10:00:00.000-07:00`) as an aware datetime.

    Raises:
        FieldProblem: not an ISO date-time, or without an offset.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FieldProblem(field, f"is not a date-time ({shown(text)})") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise FieldProblem(field, f"has no UTC offset ({shown(text)})")
    return moment
