"""One sync at a time, across threads and processes, on SQLite and PostgreSQL.

The lock is one row taken and released by conditional UPDATEs, which both
databases apply atomically. A holder that stops beating (killed, crashed) is
considered dead after a while, or at once when it ran on this host and its
process is gone, and the lock can be taken over.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from partsemble.models.sync import SyncLock, SyncRun
from partsemble.sync.errors import SyncNotStarted

LOCK_ID = 1


@dataclass(frozen=True)
class Holder:
    email: str
    started_at: datetime | None
    run_id: int | None


class SyncBusy(SyncNotStarted):
    """Another sync holds the lock."""

    level = "warning"

    def __init__(self, holder: Holder) -> None:
        self.holder = holder
        when = holder.started_at.strftime("%H:%M") if holder.started_at else "a moment ago"
        who = holder.email or "the command line"
        super().__init__(f"A sync is already running (started {when} UTC by {who}).")


class LockLost(Exception):
    """This run's lock was taken over (it looked dead); the run must stop."""


def process_tag() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _ensure_row(session: Session) -> None:
    if session.get(SyncLock, LOCK_ID) is not None:
        return
    try:
        with session.begin_nested():
            session.add(SyncLock(id=LOCK_ID))
    except IntegrityError:
        pass  # another process created it first


def _holder_is_dead_here(holder: str) -> bool:
    host, _, pid = holder.rpartition("|")[2].partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire(session: Session, run: SyncRun, now: datetime, stale_after: timedelta) -> int | None:
    """Take the lock for `run` inside the caller's transaction.

    Returns the id of a dead run whose lock was taken over, if any.

    Raises:
        SyncBusy: a live sync holds it.
    """
    _ensure_row(session)
    row = session.execute(
        select(SyncLock.run_id, SyncLock.holder, SyncLock.acquired_at, SyncLock.heartbeat_at).where(SyncLock.id == LOCK_ID)
    ).one()
    free = row.run_id is None
    dead = not free and ((row.heartbeat_at is not None and row.heartbeat_at < now - stale_after) or _holder_is_dead_here(row.holder or ""))
    if free or dead:
        taken = session.execute(
            update(SyncLock)
            .where(SyncLock.id == LOCK_ID, SyncLock.run_id.is_(None) if free else SyncLock.run_id == row.run_id)
            .values(run_id=run.id, holder=f"{run.started_by}|{process_tag()}", acquired_at=now, heartbeat_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken == 1:
            return None if free else row.run_id
        row = session.execute(select(SyncLock.run_id, SyncLock.holder, SyncLock.acquired_at).where(SyncLock.id == LOCK_ID)).one()
    raise SyncBusy(Holder((row.holder or "").partition("|")[0], row.acquired_at, row.run_id))


def heartbeat(session: Session, run_id: int, now: datetime) -> None:
    """Prove this run is alive, in the caller's transaction.

    Raises:
        LockLost: another run took the lock over.
    """
    beaten = session.execute(
        update(SyncLock)
        .where(SyncLock.id == LOCK_ID, SyncLock.run_id == run_id)
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if beaten != 1:
        raise LockLost("another sync took over this run's lock")


def release(session: Session, run_id: int) -> None:
    session.execute(
        update(SyncLock)
        .where(SyncLock.id == LOCK_ID, SyncLock.run_id == run_id)
        .values(run_id=None, holder="", heartbeat_at=None)
        .execution_options(synchronize_session=False)
    )


def current_holder(session: Session) -> Holder | None:
    row = session.execute(select(SyncLock.run_id, SyncLock.holder, SyncLock.acquired_at).where(SyncLock.id == LOCK_ID)).first()
    if row is None or row.run_id is None:
        return None
    return Holder(row.holder.partition("|")[0], row.acquired_at, row.run_id)
