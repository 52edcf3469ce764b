"""Settings of the books that every part of the app reads (one row)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from partsemble.extensions import db
from partsemble.models.base import UTCDateTime, utcnow


class BookSettings(db.Model):
    __tablename__ = "book_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Costs are final through this date: nothing on or before it is re-costed, and no
    # new lot, adjustment or sale may be dated in it.
    costs_final_through: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
