"""Template filters: money with two decimals and a symbol, quantities, percentages, dates."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask
from markupsafe import Markup

from partsemble.domain.money import cents, margin_percent

SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "NZD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def format_money(value: Decimal | None, symbol: str = "$") -> str:
    if value is None:
        return "—"
    amount = cents(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


def format_qty(value: Decimal | None) -> str:
    if value is None:
        return "—"
    normalized = value.quantize(Decimal("0.0001"))
    text = f"{normalized:,.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_unit_cost(value: Decimal | None, symbol: str = "$") -> str:
    """Unit costs show cents, and more places only when they matter."""
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    text = f"{abs(value):,.6f}".rstrip("0")
    whole, _, frac = text.partition(".")
    frac = frac.ljust(2, "0")
    return f"{sign}{symbol}{whole}.{frac}"


def format_percent(margin: Decimal | None, revenue: Decimal | None = None) -> str:
    if margin is None:
        return "—"
    value = margin if revenue is None else margin_percent(margin, revenue)
    if value is None:
        return "—"
    return f"{value:.1f}%"


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def register(app: Flask) -> None:
    symbol = SYMBOLS.get(app.config.get("HOME_CURRENCY", "USD"), "")

    app.jinja_env.filters["money"] = lambda v: format_money(v, symbol)
    app.jinja_env.filters["unit_cost"] = lambda v: format_unit_cost(v, symbol)
    app.jinja_env.filters["qty"] = format_qty
    app.jinja_env.filters["pct"] = format_percent
    app.jinja_env.filters["day"] = format_date

    @app.template_filter("negclass")
    def _negclass(value: Decimal | None) -> Markup:
        return Markup(" neg") if value is not None and value < 0 else Markup("")
