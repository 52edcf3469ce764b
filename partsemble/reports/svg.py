"""Geometry of the monthly chart, computed on the server so the page needs no script.

Coordinates are Decimals formatted as strings with one decimal, never binary floating point.
The template (reports/_monthly_chart.html) draws what this module measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from flask import current_app

from partsemble.reports.monthly import MonthFigures
from partsemble.web.filters import SYMBOLS

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 56, 30, 44
TENTH = Decimal("0.1")


def home_currency() -> tuple[str, str]:
    """(ISO code, symbol) of the home currency, as the `money` filter shows it."""
    code = str(current_app.config.get("HOME_CURRENCY", "USD"))
    return code, SYMBOLS.get(code, "")


def coordinate(value: Decimal) -> str:
    """A coordinate for an SVG attribute: one decimal, never an exponent."""
    text = format(value.quantize(TENTH, rounding=ROUND_HALF_UP), "f")
    return "0.0" if text == "-0.0" else text


def _trim(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize(), "f")
    return "0" if text == "-0" else text


def compact_money(value: Decimal, symbol: str) -> str:
    """An axis label: $0, $250, $2.5k, $1.2M."""
    sign = "-" if value < 0 else ""
    size = abs(value)
    for unit, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(1000), "k")):
        if size >= unit:
            return f"{sign}{symbol}{_trim(size / unit)}{suffix}"
    return f"{sign}{symbol}{_trim(size)}"


def nice_step(span: Decimal, divisions: int = 4) -> Decimal:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) near span / divisions."""
    if span <= 0:
        return Decimal(1)
    raw = span / divisions
    power = Decimal(10) ** raw.adjusted()
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _steps(value: Decimal, step: Decimal) -> int:
    return int((value / step).to_integral_value(rounding=ROUND_CEILING)) if value > 0 else 0


@dataclass(frozen=True)
class Bar:
    month: date
    value: Decimal
    x: str
    y: str
    width: str
    height: str


@dataclass(frozen=True)
class Dot:
    month: date
    percent: Decimal
    cx: str
    cy: str


@dataclass(frozen=True)
class Tick:
    y: str
    money: str
    percent: str


@dataclass(frozen=True)
class MonthLabel:
    x: str
    month: str
    year: str  # shown under the first month and under every January


@dataclass(frozen=True)
class MonthlyChart:
    months: list[MonthFigures]
    revenue_bars: list[Bar]
    cost_bars: list[Bar]
    dots: list[Dot]
    margin_path: str
    ticks: list[Tick]
    labels: list[MonthLabel]
    zero_y: str
    currency: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


class _Scale:
    """Maps a value range onto the plot's height, top = high."""

    def __init__(self, low: Decimal, high: Decimal) -> None:
        self.low, self.high = low, high

    def y(self, value: Decimal) -> Decimal:
        height = Decimal(HEIGHT - TOP - BOTTOM)
        return Decimal(TOP) + (self.high - value) * height / (self.high - self.low)


def _scales(months: list[MonthFigures]) -> tuple[_Scale, _Scale, Decimal, Decimal, int, int]:
    amounts = [v for m in months for v in (m.revenue, m.cost)]
    percents = [m.margin_percent for m in months if m.margin_percent is not None]
    money_low, money_high = min(min(amounts), Decimal(0)), max(max(amounts), Decimal(0))
    pct_low = min(min(percents, default=Decimal(0)), Decimal(0))
    pct_high = max(max(percents, default=Decimal(100)), Decimal(0))
    money_step, pct_step = nice_step(money_high - money_low), nice_step(pct_high - pct_low)
    # Both axes get the same divisions below and above zero, so the gridlines and the
    # zero line serve both; the busier axis decides how many.
    below = max(_steps(-money_low, money_step), _steps(-pct_low, pct_step))
    above = max(_steps(money_high, money_step), _steps(pct_high, pct_step), 1 if below == 0 else 0)
    money = _Scale(-below * money_step, above * money_step)
    pct = _Scale(-below * pct_step, above * pct_step)
    return money, pct, money_step, pct_step, below, above


def _bar(month: date, value: Decimal, x: Decimal, width: Decimal, scale: _Scale) -> Bar:
    # Rounded before subtracting, so every bar ends exactly on the drawn zero line.
    zero, end = Decimal(coordinate(scale.y(Decimal(0)))), Decimal(coordinate(scale.y(value)))
    return Bar(month, value, coordinate(x), coordinate(min(zero, end)), coordinate(width), coordinate(abs(end - zero)))


def _path(points: list[tuple[Decimal, Decimal] | None]) -> str:
    """One polyline through consecutive points; a month without revenue breaks the line."""
    parts: list[str] = []
    pen_down = False
    for point in points:
        if point is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{coordinate(point[0])} {coordinate(point[1])}")
        pen_down = True
    return " ".join(parts)


def monthly_chart(months: list[MonthFigures], currency: tuple[str, str] = ("USD", "$")) -> MonthlyChart | None:
    """The chart of the months, or None when every revenue and cost is zero (nothing to draw)."""
    if not months or all(m.revenue == 0 and m.cost == 0 for m in months):
        return None
    code, symbol = currency
    money, pct, money_step, pct_step, below, above = _scales(months)
    slot = Decimal(WIDTH - LEFT - RIGHT) / len(months)
    revenue_bars, cost_bars, dots, labels = [], [], [], []
    points: list[tuple[Decimal, Decimal] | None] = []
    for index, m in enumerate(months):
        start = Decimal(LEFT) + slot * index
        centre = start + slot / 2
        if m.revenue:
            revenue_bars.append(_bar(m.month, m.revenue, start + slot * Decimal("0.14"), slot * Decimal("0.34"), money))
        if m.cost:
            cost_bars.append(_bar(m.month, m.cost, start + slot * Decimal("0.52"), slot * Decimal("0.34"), money))
        percent = m.margin_percent
        if percent is None:
            points.append(None)
        else:
            points.append((centre, pct.y(percent)))
            dots.append(Dot(m.month, percent, coordinate(centre), coordinate(pct.y(percent))))
        first_of_year = index == 0 or m.month.month == 1
        labels.append(MonthLabel(coordinate(centre), f"{m.month:%b}", f"{m.month:%Y}" if first_of_year else ""))
    ticks = [
        Tick(coordinate(money.y(step * money_step)), compact_money(step * money_step, symbol), f"{_trim(step * pct_step)}%")
        for step in range(-below, above + 1)
    ]
    return MonthlyChart(
        months=months,
        revenue_bars=revenue_bars,
        cost_bars=cost_bars,
        dots=dots,
        margin_path=_path(points),
        ticks=ticks,
        labels=labels,
        zero_y=coordinate(money.y(Decimal(0))),
        currency=code,
    )


@dataclass(frozen=True)
class ChartPanel:
    """What reports/_monthly_chart.html needs: the drawing (None when there is nothing to draw),
    the months behind it for the data table, and the words around it."""

    chart: MonthlyChart | None
    months: list[MonthFigures]
    revenue: Decimal
    cost: Decimal
    chart_id: str
    subject: str  # "the business", or a product's name

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def months_with_sales(self) -> int:
        return sum(1 for m in self.months if not m.empty)


def chart_panel(months: list[MonthFigures], chart_id: str, subject: str) -> ChartPanel:
    """The chart of `months` in the home currency, with their totals."""
    revenue = sum((m.revenue for m in months), Decimal(0))
    cost = sum((m.cost for m in months), Decimal(0))
    return ChartPanel(monthly_chart(months, home_currency()), months, revenue, cost, chart_id, subject)
