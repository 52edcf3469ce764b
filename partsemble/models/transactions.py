"""The one way a service writes: `with write_transaction(session):` begins, commits or rolls back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, scoped_session

from partsemble.models.engine import PendingChanges, begin_write

# What services and queries take: a plain Session, or Flask-SQLAlchemy's scoped db.session.
AnySession = Session | scoped_session[Session]


@contextmanager
def write_transaction(session: Session | scoped_session[Session], wait_ms: int | None = None) -> Iterator[Session]:
    """One business fact: begin the write, commit when the block ends, roll back on any exception.

    The write begins as `begin_write` does (BEGIN IMMEDIATE on SQLite; on PostgreSQL rows are
    locked where they are read). An exception raised in the block, or by the commit itself,
    rolls everything back and is raised again: nothing is half-written. Leaving the block by
    return commits what was written so far (nothing, where the block only read). `wait_ms`
    bounds the wait for SQLite's write lock (begin_write); a begin that times out is rolled back.

    Raises:
        PendingChanges: if the session holds uncommitted changes before the write begins
            (they are left as they are).
    """
    if isinstance(session, scoped_session):
        session = session()
    try:
        begin_write(session, wait_ms)
    except PendingChanges:
        raise
    except BaseException:  # the lock was not had: nothing began that could be kept
        session.rollback()
        raise
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
