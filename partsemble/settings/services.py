"""How this business reads numbers and times: the decimal mark and the time zone (one settings row)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy.orm import Session

from partsemble.domain.numbers import DecimalMark
from partsemble.models.base import utcnow
from partsemble.models.settings import BookSettings, Preferences
from partsemble.models.transactions import write_transaction
from partsemble.validation import InputError

MARK_CHOICES = {".": "Decimal point: 1,500.25", ",": "Decimal comma: 1.500,25"}


def parse_time_zone(raw: object) -> str:
    """An IANA time zone name such as Europe/Paris or America/New_York.

    Raises:
        InputError: naming the field and quoting what was typed, for a name zoneinfo does not know.
    """
    text = str(raw or "").strip()
    if not text:
        raise InputError("Time zone is required (UTC when in doubt).", "time_zone")
    # ZoneInfo also opens paths like "../../etc/localtime"; only the names of the tz database count.
    if text not in available_timezones() and text != "UTC":
        raise InputError(f"Time zone: {text[:64]!r} is not a time zone name; use one like Europe/Paris or America/New_York.", "time_zone")
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"Time zone: {text[:64]!r} cannot be loaded on this server.", "time_zone") from None
    return text


def time_zone_names() -> list[str]:
    """Every zone name this server knows, sorted, for the field's suggestions."""
    return sorted(available_timezones() | {"UTC"})


def parse_decimal_mark(raw: object) -> DecimalMark:
    """Raises: InputError naming the field, for anything but "." or ","."""
    text = str(raw or "")
    if text not in MARK_CHOICES:
        raise InputError(f"Decimal mark: {text[:8]!r} is not one of the choices.", "decimal_mark")
    return DecimalMark(text)


def save_preferences(session: Session, decimal_mark: object, time_zone: object, user_id: int | None) -> Preferences:
    """Validate and store the decimal mark and time zone, and commit.

    Raises:
        InputError: naming the field at fault; nothing is written.
    """
    preferences = Preferences(parse_decimal_mark(decimal_mark), parse_time_zone(time_zone))
    with write_transaction(session):
        settings = session.get(BookSettings, 1, with_for_update=True)
        if settings is None:
            settings = BookSettings(id=1)
            session.add(settings)
        settings.decimal_mark = preferences.decimal_mark.value
        settings.time_zone = preferences.time_zone
        settings.updated_at = utcnow()
        settings.updated_by_id = user_id
    return preferences
