"""Declarative base, naming convention and the column types every model shares."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The Flask-SQLAlchemy handle the models derive from (db.Model), made here beside its Base so the
# models need nothing above them; partsemble.extensions hands it to the app with the other extensions.
db = SQLAlchemy(model_class=Base)


class ScaledDecimal(TypeDecorator):
    """A Decimal stored as a scaled integer (value x 10**places).

    SQLite has no decimal type and would hand back floats; a scaled integer is
    exact on both SQLite and PostgreSQL, sums exactly in SQL, and indexes well.
    Binding a float is a programming error and raises.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int) -> None:
        super().__init__()
        self.places = places
        self._unit = Decimal(1).scaleb(-places)

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"ScaledDecimal takes Decimal or int, not {type(value).__name__}")
        scaled = Decimal(value).scaleb(self.places).to_integral_value(rounding=ROUND_HALF_UP)
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.places).quantize(self._unit)

    # The same conversions without the generic TypeDecorator wrapping: bulk writes
    # of sales pass hundreds of thousands of values through here.
    def bind_processor(self, dialect: Any):  # type: ignore[no-untyped-def]
        places = self.places

        def process(value: Any) -> int | None:
            if value is None:
                return None
            if value.__class__ is Decimal:
                return int(value.scaleb(places).to_integral_value(rounding=ROUND_HALF_UP))
            if value.__class__ is int:
                return value * 10**places
            raise TypeError(f"ScaledDecimal takes Decimal or int, not {type(value).__name__}")

        return process

    def result_processor(self, dialect: Any, coltype: Any):  # type: ignore[no-untyped-def]
        places = -self.places

        # An integer scaled by 10**-places already has exactly `places` decimal places.
        def process(value: Any) -> Decimal | None:
            return None if value is None else Decimal(value).scaleb(places)

        return process

    def copy(self, **kw: Any) -> ScaledDecimal:
        return ScaledDecimal(self.places)

    @property
    def python_type(self) -> type:
        return Decimal


def Quantity() -> ScaledDecimal:
    """Quantities: 4 decimal places."""
    return ScaledDecimal(4)


def UnitCost() -> ScaledDecimal:
    """Unit costs and prices: 6 decimal places."""
    return ScaledDecimal(6)


def Money() -> ScaledDecimal:
    """Money amounts are kept to 6 places; cents are for display and totals only."""
    return ScaledDecimal(6)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (stored naive, as UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
