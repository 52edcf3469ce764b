"""The sandbox company's clock: US Pacific offsets, QBO timestamp text, microsecond stamps.

Stamps are whole microseconds since the Unix epoch (UTC) so the indexed columns
compare as integers. QBO writes times in the company's local offset
(``-08:00`` in winter, ``-07:00`` in summer); the company sits in US Pacific time
like Intuit's samples, and the US daylight-saving rule is computed here rather
than read from a tz database the server may lack.
"""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta, timezone

MICROS = 1_000_000
SECOND = MICROS
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_STANDARD = timedelta(hours=-8)
_DAYLIGHT = timedelta(hours=-7)
_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


class BadTimestamp(ValueError):
    """The text is not a date or an ISO 8601 date-time."""


def now_us() -> int:
    """The current instant in microseconds since the epoch."""
    return time.time_ns() // 1000


def _nth_sunday(year: int, month: int, nth: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))


def pacific_offset(instant: datetime) -> timedelta:
    """The US Pacific UTC offset in force at `instant` (an aware datetime)."""
    utc = instant.astimezone(timezone.utc)
    # DST runs from 02:00 PST on the second Sunday of March (10:00 UTC)
    # to 02:00 PDT on the first Sunday of November (09:00 UTC).
    begins = datetime.combine(_nth_sunday(utc.year, 3, 2), datetime.min.time(), timezone.utc) + timedelta(hours=10)
    ends = datetime.combine(_nth_sunday(utc.year, 11, 1), datetime.min.time(), timezone.utc) + timedelta(hours=9)
    return _DAYLIGHT if begins <= utc < ends else _STANDARD


def to_datetime(stamp_us: int) -> datetime:
    """The stamp as an aware datetime in the company's local offset."""
    utc = _EPOCH + timedelta(microseconds=stamp_us)
    return utc.astimezone(timezone(pacific_offset(utc)))


def from_datetime(value: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * MICROS + delta.microseconds


def qbo_time(stamp_us: int) -> str:
    """MetaData time text as QBO writes it: whole seconds and the local offset."""
    return to_datetime(stamp_us).replace(microsecond=0).isoformat()


def response_time(stamp_us: int | None = None) -> str:
    """The `time` of a response: milliseconds and the local offset, like QBO."""
    local = to_datetime(now_us() if stamp_us is None else stamp_us)
    return local.isoformat(timespec="milliseconds")


def local_stamp(day: date, seconds_into_day: int) -> int:
    """The stamp of a wall-clock time in the company's zone on `day`."""
    # Ask for the offset at noon UTC of that day: close enough to local midnight-to-night
    # except on the two switch-over nights, where an hour's ambiguity does no harm.
    noon = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=12)
    wall = datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds_into_day)
    return from_datetime(wall.replace(tzinfo=timezone(pacific_offset(noon))))


def parse_timestamp(text: str) -> int:
    """A QBO datetime literal as a stamp; without an offset it is company local time.

    Raises:
        BadTimestamp: the text is not an ISO 8601 date or date-time.
    """
    match = _ISO.match(text.strip())
    if not match:
        raise BadTimestamp(text)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        wall = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError as exc:
        raise BadTimestamp(text) from exc
    if zone is None:
        return local_stamp(wall.date(), wall.hour * 3600 + wall.minute * 60 + wall.second) + wall.microsecond
    if zone.upper() == "Z":
        offset = timedelta(0)
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return from_datetime(wall.replace(tzinfo=timezone(offset)))


def parse_date(text: str) -> date:
    """A `YYYY-MM-DD` literal.

    Raises:
        BadTimestamp: the text is not such a date.
    """
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as exc:
        raise BadTimestamp(text) from exc


def local_date(stamp_us: int) -> date:
    """The company-local calendar day of a stamp."""
    return to_datetime(stamp_us).date()
