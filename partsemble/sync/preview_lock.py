"""One preview at a time per installation, across threads and processes.

A preview reads every change from QuickBooks and applies it in a transaction that is rolled
back: as much work as a sync, for nothing kept. Twenty-four at once made 144 QuickBooks calls,
so a second preview is refused (not queued) while one runs. The lock is a second row of the
sync lock table, taken and released by conditional UPDATEs like the sync's own; a holder that
died is passed over when its process is gone from this host, or after STALE_AFTER.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from partsemble.models.sync import SyncLock
from partsemble.models.transactions import write_transaction
from partsemble.sync.lock import _holder_is_dead_here, process_tag

PREVIEW_LOCK_ID = 2
# Longer than any preview runs (it reads at most preview.LIMIT documents).
STALE_AFTER = timedelta(minutes=10)


class PreviewBusy(Exception):
    """Another preview of this installation is running."""

    def __init__(self) -> None:
        super().__init__("A preview is already running. Wait for it to finish, then try again.")


def _take(session: Session, tag: str, now: datetime) -> bool:
    with write_transaction(session):
        if session.get(SyncLock, PREVIEW_LOCK_ID) is None:
            try:
                with session.begin_nested():
                    session.add(SyncLock(id=PREVIEW_LOCK_ID, holder=""))
            except IntegrityError:
                pass  # another process created it first
        held = session.execute(select(SyncLock.holder, SyncLock.acquired_at).where(SyncLock.id == PREVIEW_LOCK_ID)).one()
        free = not held.holder or held.acquired_at is None or held.acquired_at < now - STALE_AFTER or _holder_is_dead_here(held.holder)
        taken = (
            free
            and session.execute(
                update(SyncLock)
                .where(SyncLock.id == PREVIEW_LOCK_ID, SyncLock.holder == held.holder)
                .values(holder=tag, acquired_at=now, heartbeat_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )
    return taken


def _release(session: Session, tag: str) -> None:
    session.rollback()  # whatever the preview left open
    with write_transaction(session):
        session.execute(
            update(SyncLock)
            .where(SyncLock.id == PREVIEW_LOCK_ID, SyncLock.holder == tag)
            .values(holder="", acquired_at=None, heartbeat_at=None)
            .execution_options(synchronize_session=False)
        )


@contextmanager
def one_preview(session: Session, now: datetime) -> Iterator[None]:
    """Hold the installation's preview lock for the `with` block; commits its own two changes.

    Raises:
        PreviewBusy: another preview holds it.
    """
    tag = f"preview|{secrets.token_hex(4)}|{process_tag()}"
    if not _take(session, tag, now):
        raise PreviewBusy()
    try:
        yield
    finally:
        _release(session, tag)
