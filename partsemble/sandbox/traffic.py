"""Request counters and the request log, shared by every server process through the DB.

Counters are named `all`, the endpoint family (`query`, `cdc`, `read`, `token`)
and `family.detail` (`query.Invoice`, `read.Item`, `token.refresh_token`...), so a
test can prove that a sync did not read the same thing twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from partsemble.sandbox.clock import now_us, qbo_time
from partsemble.sandbox.store import Counter, LoggedRequest

# The request log keeps the latest requests only: a sandbox left running (or probed) must not
# fill the disk. Far more than one sync or test reads back.
LOG_LIMIT = 5_000


@dataclass(frozen=True)
class Ordinals:
    """Which request this is: the n-th of its family and the n-th of all (1-based)."""

    family: int
    all: int


@dataclass(frozen=True)
class RequestRecord:
    at: str
    method: str
    path: str
    query: str
    family: str
    endpoint: str
    ordinal: int
    status: int
    fault: str | None
    intuit_tid: str
    minorversion: str | None


def _bump(conn: Connection, name: str) -> int:
    if conn.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1)).rowcount == 0:
        conn.execute(insert(Counter).values(name=name, value=1))
        return 1
    return int(conn.execute(select(Counter.value).where(Counter.name == name)).scalar_one())


def count_request(conn: Connection, family: str, detail: str | None) -> Ordinals:
    """Count one request (inside the caller's write transaction) and say which one it is."""
    total = _bump(conn, "all")
    ordinal = _bump(conn, family)
    if detail:
        _bump(conn, f"{family}.{detail}")
    return Ordinals(family=ordinal, all=total)


def log_request(
    conn: Connection,
    *,
    method: str,
    path: str,
    query: str,
    family: str,
    endpoint: str,
    ordinal: int,
    status: int,
    fault: str | None,
    intuit_tid: str,
    minorversion: str | None,
) -> None:
    """Log one request and forget the oldest beyond the latest LOG_LIMIT."""
    inserted = conn.execute(
        insert(LoggedRequest).values(
            at=now_us(),
            method=method,
            path=path,
            query=query,
            family=family,
            endpoint=endpoint,
            ordinal=ordinal,
            status=status,
            fault=fault,
            intuit_tid=intuit_tid,
            minorversion=minorversion,
        )
    )
    newest = inserted.inserted_primary_key[0]
    conn.execute(delete(LoggedRequest).where(LoggedRequest.id <= newest - LOG_LIMIT))


def counters(conn: Connection) -> dict[str, int]:
    """Every counter by name; a name never counted is absent (read it with .get(name, 0))."""
    return {name: int(value) for name, value in conn.execute(select(Counter.name, Counter.value)).all()}


def request_log(conn: Connection, *, limit: int | None = None) -> list[RequestRecord]:
    """The logged requests, oldest first (the last `limit` of them when given)."""
    statement = select(*LoggedRequest.__table__.c).order_by(LoggedRequest.id.desc())
    if limit is not None:
        statement = statement.limit(limit)
    rows = conn.execute(statement).all()
    records = [
        RequestRecord(
            at=qbo_time(row.at),
            method=row.method,
            path=row.path,
            query=row.query,
            family=row.family,
            endpoint=row.endpoint,
            ordinal=row.ordinal,
            status=row.status,
            fault=row.fault,
            intuit_tid=row.intuit_tid,
            minorversion=row.minorversion,
        )
        for row in rows
    ]
    records.reverse()
    return records


def reset(conn: Connection) -> None:
    """Forget every counter and logged request: ordinals start again from 1."""
    conn.execute(delete(Counter))
    conn.execute(delete(LoggedRequest))
