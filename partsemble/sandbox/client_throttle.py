"""Wrong client secrets at the token and revoke endpoints, counted per address.

Without a limit the token endpoint answers as many guesses of the client secret as anyone
sends. After MAX_FAILURES wrong credentials from one address within WINDOW_SECONDS, that
address gets 429 with Retry-After (even for right credentials) until its oldest counted
failure leaves the window. The counts live in the sandbox database, shared by every process.
"""

from __future__ import annotations

import math

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from partsemble.sandbox.clock import SECOND
from partsemble.sandbox.store import ClientFailure

MAX_FAILURES = 10
WINDOW_SECONDS = 300


def seconds_to_wait(conn: Connection, address: str, now: int) -> int | None:
    """Seconds until `address` may present client credentials again, or None when it may now."""
    start = now - WINDOW_SECONDS * SECOND
    times = (
        conn.execute(select(ClientFailure.at).where(ClientFailure.address == address, ClientFailure.at > start).order_by(ClientFailure.at))
        .scalars()
        .all()
    )
    if len(times) < MAX_FAILURES:
        return None
    return max(1, math.ceil((times[-MAX_FAILURES] - start) / SECOND))


def record_failure(conn: Connection, address: str, now: int) -> None:
    """Count one wrong credential from `address`; forget every failure older than the window."""
    conn.execute(delete(ClientFailure).where(ClientFailure.at <= now - WINDOW_SECONDS * SECOND))
    conn.execute(insert(ClientFailure).values(address=address, at=now))
