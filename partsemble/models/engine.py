"""Database engine behaviour: SQLite pragmas and explicit write transactions."""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session

_IMMEDIATE = "partsemble_write"
# Milliseconds a write may wait for SQLite's write lock when it begins (instead of BUSY_TIMEOUT_MS).
_WAIT_MS = "partsemble_write_wait_ms"
BUSY_TIMEOUT_MS = 30000
_CONFIGURED: weakref.WeakSet[Engine] = weakref.WeakSet()


def is_sqlite(engine_or_session: Engine | Session | scoped_session[Session]) -> bool:
    if isinstance(engine_or_session, Engine):
        return engine_or_session.dialect.name == "sqlite"
    return engine_or_session.get_bind().dialect.name == "sqlite"


def configure_engine(engine: Engine) -> None:
    """WAL, foreign keys and a busy timeout on SQLite; transactions we begin ourselves.

    pysqlite's own transaction handling breaks SAVEPOINT and cannot BEGIN
    IMMEDIATE, so the driver is put in autocommit mode and SQLAlchemy's begin
    event emits BEGIN (see SQLAlchemy's "Serializable isolation / Savepoints"
    notes for pysqlite). Once per engine: apps that share one (the test suite keeps one per
    worker) must not emit BEGIN twice.
    """
    if engine.dialect.name != "sqlite" or engine in _CONFIGURED:
        return
    _CONFIGURED.add(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL sync is durable against crashes of the app (not of the OS
            # mid-checkpoint), which is SQLite's recommended pairing.
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Years of sales mean indexes of tens of megabytes: keep their hot pages in
            # memory (32 MB a connection; memory-mapping the file would count it all as ours).
            cursor.execute("PRAGMA cache_size=-32768")
            cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        wait_ms = options.get(_WAIT_MS)
        if options.get(_IMMEDIATE) and wait_ms is not None:
            # Only BEGIN IMMEDIATE waits for the lock; once it holds it, nothing else in the
            # transaction does, so the connection's usual patience is back before anything runs.
            connection.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_ms)}")
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        elif options.get(_IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


class PendingChanges(RuntimeError):
    """begin_write was called with unflushed changes in the session."""


def begin_write(session: Session | scoped_session[Session], wait_ms: int | None = None) -> None:
    """Start the transaction of a business fact, holding the write lock from its start.

    On SQLite a deferred transaction that read first cannot always upgrade to a
    writer when another process wrote meanwhile; BEGIN IMMEDIATE waits for the
    lock instead. On PostgreSQL rows are locked where they are read (FOR UPDATE).
    `wait_ms` bounds how long SQLite waits for the write lock (the connection's busy timeout,
    BUSY_TIMEOUT_MS, when None); past it the begin raises OperationalError ("database is locked").

    Raises:
        PendingChanges: if the session holds changes that were not committed.
    """
    if isinstance(session, scoped_session):
        session = session()
    if not is_sqlite(session):
        return
    if session.new or session.dirty or session.deleted:
        raise PendingChanges("begin_write needs a session without pending changes")
    if session.in_transaction():
        connection = session.connection()
        if connection.get_execution_options().get(_IMMEDIATE):
            return
        session.rollback()
    options: dict[str, Any] = {_IMMEDIATE: True}
    if wait_ms is not None:
        options[_WAIT_MS] = wait_ms
    session.connection(execution_options=options)


# What a sync writes in bulk. Their planner statistics go stale within one large run.
SYNC_TABLES = ("sales", "sale_lines", "lot_consumptions", "sale_revisions", "stock_transactions", "lots", "sync_inbox")


def first_analyze_after(session: Session | scoped_session[Session], at_least: int) -> int | None:
    """How many documents a run applies before its first ANALYZE; None where there is none (SQLite).

    Like autovacuum (which analyses a table once a tenth of it has changed), only a run that
    grows the sales by a tenth or more does it: on an empty or young database after `at_least`
    documents, on a database of 200,000 sales after 20,000. There an ANALYZE reads a sample
    spread over large tables (0.6 s measured), more than a daily sync gains from it.
    """
    if session.get_bind().dialect.name != "postgresql":
        return None
    known = session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'sales'")) or 0
    return max(at_least, int(known) // 10)


def refresh_statistics(session: Session | scoped_session[Session], tables: tuple[str, ...] = SYNC_TABLES) -> None:
    """Bring PostgreSQL's planner statistics up to date after a bulk write, and commit.

    A first sync turns empty tables into tens of thousands of rows within a minute, before
    autovacuum's next look. With the statistics of an empty table the planner keeps choosing plans
    for one row: looking 500 sales up by id became a filter over every invoice, about 30 times
    slower than the index probe it uses once the table is analysed. ANALYZE samples a bounded number
    of rows (85 ms on 20,000 sales; 0.6 s on 200,000, see first_analyze_after). SQLite's planner
    needs no statistics for these indexed lookups; nothing is done there.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("ANALYZE " + ", ".join(tables)))
    session.commit()
