"""Settings of the books that every part of the app reads (one row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from partsemble.domain.numbers import DecimalMark
from partsemble.models.base import UTCDateTime, db, utcnow


class BookSettings(db.Model):
    __tablename__ = "book_settings"
    __table_args__ = (CheckConstraint("decimal_mark IN ('.', ',')", name="decimal_mark"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Costs are final through this date: nothing on or before it is re-costed, and no
    # new lot, adjustment or sale may be dated in it.
    costs_final_through: Mapped[date | None] = mapped_column(Date)
    # How people type and read numbers here: "." (1,500.25) or "," (1.500,25).
    decimal_mark: Mapped[str] = mapped_column(String(1), default=".", server_default=".")
    # The business's time zone (an IANA name), for every time shown.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# How this business reads numbers and times, read by every page (the web filters) and by the
# services that parse typed numbers; partsemble.settings validates and saves them.
@dataclass(frozen=True)
class Preferences:
    decimal_mark: DecimalMark = DecimalMark.POINT
    time_zone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


DEFAULTS = Preferences()


def read_preferences(session: Session) -> Preferences:
    """The stored preferences, or the defaults (decimal point, UTC) before any were saved."""
    row = session.execute(select(BookSettings.decimal_mark, BookSettings.time_zone).where(BookSettings.id == 1)).first()
    if row is None:
        return DEFAULTS
    return Preferences(DecimalMark(row.decimal_mark), row.time_zone)
