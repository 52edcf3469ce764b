"""Xero's call limits per organisation: 60 a minute and 5,000 a day (rolling windows), and the
app's 10,000 a minute across organisations, told in every answer's headers.

They are always enforced, as Xero enforces them; a test may lower (or raise) the numbers with
`set_limits`. A refused call is not counted. The calls table forgets calls older than a day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from partsemble.sandbox.clock import SECOND
from partsemble.sandbox.store import get_setting, set_setting
from partsemble.sandbox.xero.schema import XeroCall

PER_MINUTE = 60
PER_DAY = 5_000
APP_PER_MINUTE = 10_000
MINUTE = 60
DAY = 86_400


@dataclass(frozen=True)
class Usage:
    """What an answer tells of the limits; `problem` and `retry_after` only when refused."""

    minute_remaining: int
    day_remaining: int
    app_minute_remaining: int
    problem: str | None = None
    retry_after: int | None = None

    def headers(self) -> dict[str, str]:
        found = {
            "X-MinLimit-Remaining": str(self.minute_remaining),
            "X-DayLimit-Remaining": str(self.day_remaining),
            "X-AppMinLimit-Remaining": str(self.app_minute_remaining),
        }
        if self.problem:
            found["X-Rate-Limit-Problem"] = self.problem
            found["Retry-After"] = str(self.retry_after)
        return found


def set_limits(conn: Connection, per_minute: int = PER_MINUTE, per_day: int = PER_DAY) -> None:
    """Raises:
    ValueError: a limit below 1."""
    if per_minute < 1 or per_day < 1:
        raise ValueError("Xero call limits must be at least 1")
    set_setting(conn, "xero:per_minute", str(per_minute))
    set_setting(conn, "xero:per_day", str(per_day))


def limits(conn: Connection) -> tuple[int, int]:
    return int(get_setting(conn, "xero:per_minute") or PER_MINUTE), int(get_setting(conn, "xero:per_day") or PER_DAY)


def _calls(conn: Connection, since: int, tenant_id: str | None) -> list[int]:
    statement = select(XeroCall.at).where(XeroCall.at > since)
    if tenant_id is not None:
        statement = statement.where(XeroCall.tenant_id == tenant_id)
    return list(conn.execute(statement.order_by(XeroCall.at)).scalars().all())


def _wait(times: list[int], limit: int, window: int, now: int) -> int:
    """Seconds until the call that fills the limit leaves the window."""
    oldest_counted = times[-limit]
    return max(1, math.ceil((oldest_counted + window * SECOND - now) / SECOND))


def take_call(conn: Connection, tenant_id: str, now: int) -> Usage:
    """Count a call against the organisation, or refuse it (day first: it is the longer wait)."""
    per_minute, per_day = limits(conn)
    conn.execute(delete(XeroCall).where(XeroCall.at <= now - DAY * SECOND))
    day = _calls(conn, now - DAY * SECOND, tenant_id)
    minute = [at for at in day if at > now - MINUTE * SECOND]
    app_minute = int(conn.execute(select(func.count()).select_from(XeroCall).where(XeroCall.at > now - MINUTE * SECOND)).scalar_one())
    if len(day) >= per_day:
        return Usage(max(0, per_minute - len(minute)), 0, max(0, APP_PER_MINUTE - app_minute), "day", _wait(day, per_day, DAY, now))
    if len(minute) >= per_minute:
        return Usage(0, per_day - len(day), max(0, APP_PER_MINUTE - app_minute), "minute", _wait(minute, per_minute, MINUTE, now))
    conn.execute(insert(XeroCall).values(tenant_id=tenant_id, at=now))
    return Usage(per_minute - len(minute) - 1, per_day - len(day) - 1, max(0, APP_PER_MINUTE - app_minute - 1))
