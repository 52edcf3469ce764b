"""Xero's times: Microsoft JSON dates ("/Date(1539993600000+0000)/"), their ISO twins, and
the If-Modified-Since header (an HTTP date or an ISO 8601 time, UTC when it names no zone)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from partsemble.sandbox.clock import BadTimestamp, from_datetime, parse_timestamp

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


def ms_date(stamp_us: int) -> str:
    """A stamp as a Microsoft JSON date in UTC, to the millisecond."""
    return f"/Date({stamp_us // 1000}+0000)/"


def day_ms_date(day: date) -> str:
    """A calendar day as Xero writes a document date: midnight UTC of that day."""
    return ms_date(day_stamp(day))


def day_stamp(day: date) -> int:
    return from_datetime(datetime.combine(day, datetime.min.time(), timezone.utc))


def iso_utc(stamp_us: int) -> str:
    """The UpdatedDateUTCString of a stamp: ISO 8601, UTC, milliseconds, no zone suffix."""
    moment = _EPOCH + timedelta(microseconds=stamp_us)
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds")


def parse_if_modified_since(text: str) -> int:
    """The stamp of an If-Modified-Since value.

    Raises:
        BadTimestamp: it is neither an HTTP date nor an ISO 8601 time.
    """
    text = text.strip()
    if text[:4].rstrip(",").isalpha():
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError) as exc:
            raise BadTimestamp(text) from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return from_datetime(moment)
    # Xero reads a time without a zone as UTC (the sandbox's QBO face reads it as company time).
    return parse_timestamp(text if _ZONE.search(text) else text + "Z")
