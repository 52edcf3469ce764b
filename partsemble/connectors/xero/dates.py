"""Xero's two ways of writing a time: Microsoft JSON dates (`/Date(1539993600000+0000)/`) and ISO 8601."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

from partsemble.connectors.fields import FieldProblem, shown

# Milliseconds since the epoch (UTC), then the writer's offset from UTC, which says on which day it fell.
_MICROSOFT = re.compile(r"/Date\((-?[0-9]{1,15})(?:([+-])([0-9]{2})([0-9]{2}))?\)/")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_moment(value: object, field: str) -> datetime:
    """A Microsoft JSON date or an ISO 8601 date-time as an aware datetime; ISO text without an offset is UTC.

    Raises:
        FieldProblem: not text, neither format, or outside the calendar.
    """
    if not isinstance(value, str):
        raise FieldProblem(field, f"is not text ({shown(value)})")
    text = value.strip()
    match = _MICROSOFT.fullmatch(text)
    if match is not None:
        return _microsoft(match, field, text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FieldProblem(field, f"is not a date ({shown(value)})") from None
    # Xero's *UTC fields and DateString carry no offset; DateString is a calendar day, read as written.
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def to_day(value: object, field: str) -> date:
    """The calendar day a Microsoft JSON date (on the writer's offset) or an ISO date or date-time names.

    Raises:
        FieldProblem: not text, neither format, or outside the calendar.
    """
    return to_moment(value, field).date()


def _microsoft(match: re.Match[str], field: str, text: str) -> datetime:
    milliseconds = int(match[1])
    offset = timedelta(0)
    if match[2] is not None:
        hours, minutes = int(match[3]), int(match[4])
        if hours > 23 or minutes > 59:
            raise FieldProblem(field, f"has an impossible UTC offset ({shown(text)})")
        offset = timedelta(hours=hours, minutes=minutes) * (-1 if match[2] == "-" else 1)
    try:
        return (_EPOCH + timedelta(milliseconds=milliseconds)).astimezone(timezone(offset))
    except (OverflowError, ValueError):
        raise FieldProblem(field, f"is outside the calendar ({shown(text)})") from None


def epoch_milliseconds(moment: datetime) -> int:
    """Whole milliseconds since the epoch of an aware datetime (a version that does not depend on the format)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
