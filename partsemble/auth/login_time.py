"""When a user last logged in: written before the login's answer, or just after it when SQLite is busy.

The login's answer must not wait for a lot import that holds SQLite's one write lock (issue 14),
and the time must not depend on when the web server closes the answer either: the werkzeug
development server closes it only once the browser's keep-alive socket is drained, so a write
hooked to the close could wait for the browser's next move. So the time is written in the
request, with a 100 ms bound on the wait for the lock (PostgreSQL locks rows, not the database:
there it never waits for an import); only when that bound passes does a background thread write
it, waiting for the import's commit as long as `LATER_FOR_NS`.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from flask import Flask
from sqlalchemy.exc import OperationalError

from partsemble.auth import services
from partsemble.extensions import db

# How long a deferred write keeps trying while other writers hold the lock (each try waits up to
# the connection's busy timeout): longer than the largest lot import we measured (50,000 rows).
LATER_FOR_NS = 600 * 1_000_000_000

_pending: set[threading.Thread] = set()
_pending_lock = threading.Lock()


def record(app: Flask, user_id: int, at: datetime) -> None:
    """Record the login's time now, or, when SQLite's write lock is held, in a thread that waits for it."""
    if services.record_login_unless_busy(db.session, user_id, at):
        return
    app.logger.info("Database busy: the login time of user %s is written once the other write commits", user_id)
    writer = threading.Thread(target=_write_later, args=(app, user_id, at), name=f"login-time-{user_id}", daemon=True)
    with _pending_lock:
        _pending.add(writer)
    writer.start()


def wait_for_pending(timeout_s: int) -> bool:
    """Wait for the deferred writes started so far; True when none is left (tests, shutdown)."""
    deadline = time.monotonic_ns() + timeout_s * 1_000_000_000
    with _pending_lock:
        writers = list(_pending)
    for writer in writers:
        left_ns = deadline - time.monotonic_ns()
        if left_ns <= 0:
            break
        writer.join(timeout=-(-left_ns // 1_000_000_000))  # whole seconds, rounded up
    with _pending_lock:
        return not _pending


def _write_later(app: Flask, user_id: int, at: datetime) -> None:
    deadline = time.monotonic_ns() + LATER_FOR_NS
    try:
        with app.app_context():
            try:
                while True:
                    try:
                        services.record_login(db.session, user_id, at)
                        return
                    except OperationalError as exc:
                        if "locked" not in str(exc.orig) or time.monotonic_ns() >= deadline:
                            raise
            except Exception:  # the answer is long gone; the log says why the time was not kept
                app.logger.exception("Could not record the login of user %s", user_id)
            finally:
                db.session.remove()
    finally:
        with _pending_lock:
            _pending.discard(threading.current_thread())
