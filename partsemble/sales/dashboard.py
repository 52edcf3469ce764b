"""The figures at the top of the Sales page: recent margins and the problems that need a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from partsemble.models.catalog import AccountingItem
from partsemble.models.sync import FailedDocument
from partsemble.models.transactions import AnySession
from partsemble.reports import periods
from partsemble.reports.monthly import MonthFigures, MonthsTotal, add_up, business_months
from partsemble.reports.periods import Period, preset_period
from partsemble.reports.shortages import provisional_sale_count
from partsemble.sync.problems import Waiting, blocks_a_document, waiting_in_failures

DASHBOARD_PERIODS = ("this_month", "last_month", "last_12_months")


@dataclass(frozen=True)
class DashboardPeriod:
    period: Period
    figures: MonthsTotal

    @property
    def name(self) -> str:
        return periods.PRESETS[self.period.preset]


@dataclass(frozen=True)
class OpenProblems:
    failed_documents: int  # documents that did not sync and are retried on every sync
    provisional_sales: int  # active sales with a shortfall or no cost basis
    blocking_items: int  # unlinked Inventory/NonInventory items that an open failed document waits on

    @property
    def total(self) -> int:
        return self.failed_documents + self.provisional_sales + self.blocking_items


@dataclass(frozen=True)
class SalesDashboard:
    today: date
    periods: list[DashboardPeriod]
    problems: OpenProblems
    months: list[MonthFigures]  # the last 12 calendar months, this one included
    waiting: Waiting = Waiting(0, Decimal(0))  # documents of those 12 months that failed to sync: not in the figures

    @property
    def has_sales(self) -> bool:
        return any(not m.empty for m in self.months)


def blocking_item_count(session: AnySession) -> int:
    """Unlinked stock-like items that a failed document waits on (see blocks_a_document)."""
    return session.scalar(select(func.count(AccountingItem.id)).where(blocks_a_document())) or 0


def open_problems(session: AnySession) -> OpenProblems:
    return OpenProblems(
        failed_documents=session.scalar(select(func.count(FailedDocument.id))) or 0,
        provisional_sales=provisional_sale_count(session, Period("all", None, None)),
        blocking_items=blocking_item_count(session),
    )


def sales_dashboard(session: AnySession, today: date | None = None) -> SalesDashboard:
    """This month, last month and the last 12 calendar months (by transaction date, active
    sales only, the same totals as the Sales list), and the count of each open problem."""
    day = today or periods.today()
    window = preset_period("last_12_months", day)
    assert window.start is not None and window.end is not None
    months = business_months(session, window.start, window.end)
    chosen = []
    for preset in DASHBOARD_PERIODS:
        period = preset_period(preset, day)
        # Every dashboard period is whole calendar months inside the 12-month window.
        first, last = period.start or window.start, period.end or window.end
        inside = [m for m in months if first <= m.month <= last]
        chosen.append(DashboardPeriod(period, add_up(inside)))
    return SalesDashboard(day, chosen, open_problems(session), months, waiting_in_failures(session, window.start, window.end))
