"""Primary keys handed out before rows are written, so related rows can be written in bulk."""

from __future__ import annotations

from collections import deque

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session, scoped_session

BLOCK = 500


class IdAllocator:
    """Ids for one transaction.

    On SQLite the transaction holds the write lock (BEGIN IMMEDIATE), so
    MAX(id)+1 onwards is ours until it commits. On PostgreSQL ids come from the
    table's sequence in blocks; unused ones become gaps, as with any rollback.
    """

    def __init__(self, session: Session | scoped_session[Session]) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self._next: dict[str, int] = {}
        self._pool: dict[str, deque[int]] = {}

    def take(self, table: Table) -> int:
        if self.dialect == "postgresql":
            pool = self._pool.setdefault(table.name, deque())
            if not pool:
                rows = self.session.execute(
                    text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, {BLOCK})")
                ).scalars()
                pool.extend(rows)
            return pool.popleft()
        if table.name not in self._next:
            self._next[table.name] = (self.session.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        value = self._next[table.name]
        self._next[table.name] = value + 1
        return value
