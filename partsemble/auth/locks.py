"""Serializing the user rules that span rows, the same way on SQLite and PostgreSQL.

SQLite has one writer at a time: `begin_write` (BEGIN IMMEDIATE) already makes a
read-check-write sequence atomic. PostgreSQL runs transactions side by side, so two
logins could both count four failures and both check a password, and two admins
could each demote the other. There the same sequences take transaction-scoped
advisory locks, named by what they protect, released at commit or rollback.

Logins (`login_locks`) must not wait for SQLite's write lock: a large lot import holds
it for seconds, and most logins write nothing. On SQLite they are serialized by file
locks beside the database instead: WAL mode needs every process that opens the
database on the same host (they share its -shm memory), so a host-local `flock` reaches
every process that can write a login failure.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session, scoped_session

from partsemble.models.engine import begin_write, is_sqlite

# Creating, changing and deactivating users: the last-admin rule and unique emails.
USERS = "partsemble:users"

# Login keys share this many locks (two keys on one stripe only wait for each other).
STRIPES = 64
_PRIVATE_FILE = 0o600
_PRIVATE_FOLDER = 0o700
_IN_MEMORY = [threading.Lock() for _ in range(STRIPES)]  # a database no other process can open


def login_key(part: str, value: str) -> str:
    return f"partsemble:login:{part}:{value}"


def serialize(session: Session | scoped_session[Session], *names: str) -> None:
    """Begin a write transaction that holds the named locks until it ends.

    Locks are taken in sorted order, so two callers that share names cannot deadlock.
    """
    begin_write(session)
    if is_sqlite(session):
        return
    _advisory_locks(session, names)


def _advisory_locks(session: Session | scoped_session[Session], names: tuple[str, ...]) -> None:
    for name in sorted(set(names)):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": name})


@contextmanager
def login_locks(session: Session | scoped_session[Session], *names: str) -> Iterator[None]:
    """Hold the named login locks, and begin a transaction that reads what was committed before them.

    Callers read, check a password, and write only when something must be recorded (then
    with `write_transaction`), ending the transaction themselves. On PostgreSQL the locks are
    advisory and end with that transaction; on SQLite they are held until the block ends,
    without SQLite's write lock, so a login that writes nothing never waits for a writer.
    Take these before any write lock (never while holding one), so nothing can deadlock.
    """
    if not is_sqlite(session):
        begin_write(session)
        _advisory_locks(session, names)
        yield
        return
    database = session.get_bind().engine.url.database
    stripes = sorted({_stripe(name) for name in names})
    with ExitStack() as held:
        for stripe in stripes:
            held.enter_context(_stripe_lock(database, stripe))
        session.rollback()  # no snapshot from before the locks: read what the previous holder committed
        yield


def _stripe(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") % STRIPES


def _database_file(database: str | None) -> str | None:
    """The file behind SQLite's database name (a `file:` URI's path); None for a database in memory."""
    if database and database.startswith("file:"):
        database = database[len("file:") :].split("?", 1)[0]
    if not database or database == ":memory:":
        return None
    return database


@contextmanager
def _stripe_lock(database: str | None, stripe: int) -> Iterator[None]:
    path = _database_file(database)
    if path is None:
        with _IN_MEMORY[stripe]:
            yield
        return
    folder = Path(os.path.realpath(path) + ".login-locks")
    if not folder.is_dir():
        folder.mkdir(mode=_PRIVATE_FOLDER, exist_ok=True)
    # flock belongs to the open file description: each holder opens its own, so threads
    # of one process exclude each other as processes do; closing releases it.
    fd = os.open(folder / f"{stripe:02d}", os.O_RDWR | os.O_CREAT, _PRIVATE_FILE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
