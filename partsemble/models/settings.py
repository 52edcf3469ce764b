"""Settings of the books that every part of the app reads (one row)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from partsemble.extensions import db
from partsemble.models.base import UTCDateTime, utcnow


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
