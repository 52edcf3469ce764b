"""The one way a service writes: `with write_transaction(session):` begins, commits or rolls back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, scoped_session

from partsemble.models.engine import begin_write


@contextmanager
def write_transaction(session: Session | scoped_session[Session]) -> Iterator[Session]:
    """One business fact: begin the write, commit when the block ends, roll back on any exception.

    The write begins as `begin_write` does (BEGIN IMMEDIATE on SQLite; on PostgreSQL rows are
    locked where they are read). An exception raised in the block, or by the commit itself,
    rolls everything back and is raised again: nothing is half-written. Leaving the block by
    return commits what was written so far (nothing, where the block only read).

    Raises:
        PendingChanges: if the session holds uncommitted changes before the write begins
            (they are left as they are).
    """
    if isinstance(session, scoped_session):
        session = session()
    begin_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
