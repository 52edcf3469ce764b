"""QBO's request limits: 10 requests a second and 500 a minute per company, enforced when the company
asks for it (tests and the demo would otherwise wait out Intuit's advised minute on every burst).

Over a limit the request is answered as QBO answers it: 429 ThrottleExceeded (3001) in XML,
without Retry-After. Token requests do not count: they go to Intuit's OAuth server, not the company; nor do calls
to the Xero face, which has its own limits (xero.limits).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from partsemble.sandbox.clock import SECOND
from partsemble.sandbox.store import LoggedRequest, get_setting, set_setting

PER_SECOND = 10
PER_MINUTE = 500
_SETTING = "limits:enforced"
_NOT_COUNTED = ("token", "xero_api", "xero_identity")


def enforced(conn: Connection) -> bool:
    return get_setting(conn, _SETTING) == "1"


def enforce(conn: Connection, enabled: bool, per_second: int = PER_SECOND, per_minute: int = PER_MINUTE) -> None:
    """Turn the limits on or off; lower limits make a test's burst certain to reach them on a slow machine.

    Raises:
        ValueError: a limit below 1.
    """
    if per_second < 1 or per_minute < 1:
        raise ValueError("request limits must be at least 1")
    set_setting(conn, _SETTING, "1" if enabled else "0")
    set_setting(conn, "limits:per_second", str(per_second))
    set_setting(conn, "limits:per_minute", str(per_minute))


def _since(conn: Connection, start: int) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(LoggedRequest).where(LoggedRequest.at >= start, LoggedRequest.family.not_in(_NOT_COUNTED))
        ).scalar_one()
    )


def over_limit(conn: Connection, now: int) -> bool:
    """Whether the company has used up this second's or this minute's requests."""
    per_second = int(get_setting(conn, "limits:per_second") or PER_SECOND)
    per_minute = int(get_setting(conn, "limits:per_minute") or PER_MINUTE)
    return _since(conn, now - SECOND) >= per_second or _since(conn, now - 60 * SECOND) >= per_minute
