"""Template filters: money with two decimals and a symbol, quantities, percentages, dates and times,
all written with the business's decimal mark and time zone; human labels for machine values."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, g, has_app_context
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from partsemble.domain.money import cents, margin_percent
from partsemble.domain.numbers import DecimalMark, show_number
from partsemble.models.sales import CHANNEL_NAMES, document_label
from partsemble.models.settings import DEFAULTS, Preferences, read_preferences
from partsemble.web import labels

SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "NZD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
POINT = DecimalMark.POINT
UTC = ZoneInfo("UTC")
# One date format everywhere: ISO, the same as the date fields and the CSV files.
DATE_FORMAT = "%Y-%m-%d"
TIME_FORMAT = "%Y-%m-%d %H:%M %Z"


def format_money(value: Decimal | None, symbol: str = "$", mark: DecimalMark = POINT) -> str:
    if value is None:
        return "—"
    amount = cents(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{show_number(abs(amount), mark, 2)}"


def format_qty(value: Decimal | None, mark: DecimalMark = POINT) -> str:
    if value is None:
        return "—"
    normalized = value.quantize(Decimal("0.0001"))
    text = show_number(normalized, mark, 4).rstrip("0").rstrip(mark.value)
    return "0" if text in ("-0", "") else text


def format_unit_cost(value: Decimal | None, symbol: str = "$", mark: DecimalMark = POINT) -> str:
    """The exact unit cost: cents always, and every further decimal it has (up to the stored six)."""
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    text = f"{abs(value):.6f}".rstrip("0")
    places = max(2, len(text.partition(".")[2]))
    return f"{sign}{symbol}{show_number(abs(value), mark, places)}"


def format_percent(margin: Decimal | None, revenue: Decimal | None = None, mark: DecimalMark = POINT) -> str:
    if margin is None:
        return "—"
    value = margin if revenue is None else margin_percent(margin, revenue)
    if value is None:
        return "—"
    return f"{show_number(value, mark, 1, grouping=False)}%"


def format_date(value: date | datetime | None, zone: ZoneInfo = UTC) -> str:
    """A date as 2026-03-31; a time as 2026-03-31 14:05 CEST, in the business's time zone."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(zone).strftime(TIME_FORMAT)
    return value.strftime(DATE_FORMAT)


def preferences() -> Preferences:
    """This request's decimal mark and time zone, read once per request."""
    if not has_app_context():
        return DEFAULTS
    cached = g.get("preferences")
    if cached is None:
        from partsemble.extensions import db

        try:
            cached = read_preferences(db.session)
        except SQLAlchemyError:
            # An error page rendered while the database is down still shows its figures.
            cached = DEFAULTS
        g.preferences = cached
    return cached


def register(app: Flask) -> None:
    symbol = SYMBOLS.get(app.config.get("HOME_CURRENCY", "USD"), "")

    def mark() -> DecimalMark:
        return preferences().decimal_mark

    app.jinja_env.filters["money"] = lambda v: format_money(v, symbol, mark())
    app.jinja_env.filters["unit_cost"] = lambda v: format_unit_cost(v, symbol, mark())
    app.jinja_env.filters["qty"] = lambda v: format_qty(v, mark())
    app.jinja_env.filters["pct"] = lambda m, r=None: format_percent(m, r, mark())
    app.jinja_env.filters["day"] = lambda v: format_date(v, preferences().zone)
    app.jinja_env.globals["number_example"] = lambda: mark().example
    # Chart axis labels ($2.5k, 12.5%) are compact: no thousands separator, so only the mark changes.
    app.jinja_env.filters["axis"] = lambda text: text.replace(".", mark().value)
    # A document type in its own system's words when the channel is given: {{ type|doc_type(source) }}.
    app.jinja_env.filters["doc_type"] = lambda v, source="": document_label(source, v) if source else labels.label(labels.DOCUMENT_TYPES, v)
    app.jinja_env.filters["status_label"] = lambda v: labels.label(labels.STATUSES, v)
    app.jinja_env.filters["ledger_type"] = lambda v: labels.label(labels.LEDGER_TYPES, v)
    app.jinja_env.filters["problem_label"] = lambda v: labels.label(labels.PROBLEM_CODES, v)
    app.jinja_env.filters["channel"] = lambda v: CHANNEL_NAMES.get(v, v)  # qbo -> QuickBooks
    app.jinja_env.filters["run_outcome"] = labels.run_outcome
    app.jinja_env.filters["action_label"] = lambda v: labels.label(labels.REVISION_ACTIONS, v)

    @app.template_filter("negclass")
    def _negclass(value: Decimal | None) -> Markup:
        return Markup(" neg") if value is not None and value < 0 else Markup("")
