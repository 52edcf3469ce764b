"""Report periods: calendar months of `Sale.txn_date`, the presets people ask for, custom ranges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

PRESETS = {
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "last_12_months": "Last 12 months",
    "all": "All time",
    "custom": "Custom dates",
}


def today() -> date:
    """The day reports count from. Services take `today` as a parameter; tests pass their own."""
    return date.today()


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, months: int) -> date:
    """The first day of the month `months` after the month of `first` (negative goes back)."""
    index = first.year * 12 + (first.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(month_start(day), 1) - timedelta(days=1)


def month_starts(first: date, last: date) -> list[date]:
    """The first day of every calendar month from the month of `first` to the month of `last`."""
    months: list[date] = []
    current, stop = month_start(first), month_start(last)
    while current <= stop:
        months.append(current)
        current = add_months(current, 1)
    return months


@dataclass(frozen=True)
class Period:
    """An inclusive range of transaction dates; None on a side means open on that side."""

    preset: str
    start: date | None
    end: date | None

    @property
    def label(self) -> str:
        if self.start is None and self.end is None:
            return "All time"
        if self.start is None:
            return f"Up to {self.end:%Y-%m-%d}"
        if self.end is None:
            return f"From {self.start:%Y-%m-%d}"
        if self.start == month_start(self.start) and self.end == month_end(self.start):
            return f"{self.start:%B %Y}"
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"

    def query_args(self) -> dict[str, str]:
        """The URL parameters that select this period again (for links and CSV exports)."""
        if self.preset != "custom":
            return {"period": self.preset}
        return {
            "period": "custom",
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
        }


def preset_period(preset: str, day: date) -> Period:
    """The calendar range of a preset as seen on `day`; unknown presets raise KeyError."""
    this_month = month_start(day)
    if preset == "this_month":
        return Period(preset, this_month, month_end(this_month))
    if preset == "last_month":
        last = add_months(this_month, -1)
        return Period(preset, last, month_end(last))
    if preset == "this_quarter":
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return Period(preset, first, month_end(add_months(first, 2)))
    if preset == "last_12_months":
        return Period(preset, add_months(this_month, -11), month_end(this_month))
    if preset == "all":
        return Period(preset, None, None)
    raise KeyError(preset)


@dataclass(frozen=True)
class PeriodChoice:
    period: Period
    error: str = ""  # shown next to the form when the custom dates could not be used


def _parse_day(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text[:20]}' is not a date (use YYYY-MM-DD)") from None


def choose_period(args: Mapping[str, str], day: date, default: str = "last_12_months") -> PeriodChoice:
    """The period asked for by `period`, `from` and `to`; a bad request falls back to `default`
    with an error saying why, so a report never fails on a typo in the URL."""
    preset = args.get("period", "") or default
    if preset in PRESETS and preset != "custom":
        return PeriodChoice(preset_period(preset, day))
    if preset != "custom":
        return PeriodChoice(preset_period(default, day), "Unknown period; showing the default instead.")
    try:
        start, end = _parse_day(args.get("from", "")), _parse_day(args.get("to", ""))
    except ValueError as exc:
        return PeriodChoice(preset_period(default, day), f"{exc}; showing the default period instead.")
    if start is not None and end is not None and start > end:
        return PeriodChoice(preset_period(default, day), "The start date is after the end date; showing the default period instead.")
    return PeriodChoice(Period("custom", start, end))
