"""Logins while a lot import writes: answered without waiting for the import's commit (issue 14).

The import is held inside its write transaction by an event, after its rows are written and
before it commits; the login runs meanwhile. Were the login to wait for SQLite's write lock, it
would get "database is locked" after the busy timeout instead of its redirect.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from partsemble.auth import locks, login_time, services as auth
from partsemble.auth.locks import login_key
from partsemble.extensions import db
from partsemble.lots import services as inventory
from partsemble.models.accounts import LoginFailure, User
from partsemble.models.base import utcnow
from partsemble.models.inventory import Lot
from tests import factories
from tests.conftest import CSRF_META, PASSWORD

ROWS = 200


def login_form(client, email: str, password: str):  # type: ignore[no-untyped-def]
    token = CSRF_META.search(client.get("/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def write_lock_is_free(app) -> bool:  # type: ignore[no-untyped-def]
    """Whether another connection could begin writing at once (SQLite)."""
    with app.app_context():
        path = db.engine.url.database
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def test_a_login_during_a_lot_import_is_answered_before_the_import_commits(app, users, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        sku = factories.product("CND-1").sku
        db.session.remove()
    csv = "sku,lot_number,received_date,quantity,unit_cost\n" + "".join(f"{sku},,2026-01-05,1,2.5\n" for _ in range(ROWS))
    writing, finish = threading.Event(), threading.Event()
    recost = inventory.recost_stale

    def recost_then_hold(*args: Any, **kwargs: Any) -> None:
        recost(*args, **kwargs)
        writing.set()  # every row is written; the import's transaction is still open
        finish.wait()

    monkeypatch.setattr(inventory, "recost_stale", recost_then_hold)
    outcome: dict[str, Any] = {}

    def run_import() -> None:
        with app.app_context():
            try:
                outcome["lots"] = len(inventory.import_lots(db.session, csv, None))
            except Exception as exc:  # noqa: BLE001 - the test reports it
                outcome["error"] = exc

    importer = threading.Thread(target=run_import)
    importer.start()
    try:
        assert writing.wait(timeout=120), outcome
        sqlite = str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite")
        if sqlite:
            assert not write_lock_is_free(app)  # the import holds SQLite's one write lock now
        client = app.test_client()
        response = login_form(client, "member@example.com", PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        assert client.get("/lots/").status_code == 200  # the new session works, still during the import
        with app.app_context():
            assert db.session.scalar(select(func.count(Lot.id))) == 0  # nothing of the import is visible yet
            logged_at = db.session.scalar(select(User.last_login_at).where(User.id == users["member"].id))
        if sqlite:
            assert logged_at is None  # SQLite's one write lock is the import's: the time waits for it
        else:
            assert logged_at is not None  # PostgreSQL locks rows: written before the answer, import or not
        assert not finish.is_set() and importer.is_alive()
    finally:
        finish.set()
        importer.join(timeout=120)
    assert outcome == {"lots": ROWS}
    assert login_time.wait_for_pending(60)  # the deferred write follows the import's commit by itself
    response.close()
    with app.app_context():
        assert db.session.scalar(select(User.last_login_at).where(User.id == users["member"].id)) is not None


def test_a_login_on_a_database_nobody_writes_has_its_time_before_the_answer(app, users, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Nothing is left for later when the database is free: the time is there when the redirect is."""
    deferred: list[object] = []
    monkeypatch.setattr(login_time, "_write_later", lambda *args: deferred.append(args))
    response = login_form(app.test_client(), "viewer@example.com", PASSWORD)
    assert response.status_code == 302
    with app.app_context():
        at = db.session.scalar(select(User.last_login_at).where(User.id == users["viewer"].id))
    assert at is not None and utcnow() - at < timedelta(minutes=1)
    assert deferred == []  # and no writer thread was started


def test_a_success_forgets_this_addresses_failures_and_writes_nothing_when_there_were_none(ctx, users) -> None:  # type: ignore[no-untyped-def]
    def attempt(password: str) -> auth.LoginResult:
        return auth.authenticate(db.session, "member@example.com", password, "203.0.113.9", max_failures=5, lockout_seconds=900)

    for _ in range(4):
        assert attempt("nope-nope-nope").user is None
    assert attempt(PASSWORD).user is not None
    for _ in range(4):  # four more wrong ones are free again: the success forgot the first four
        assert attempt("nope-nope-nope").throttled_for == 0
    assert attempt(PASSWORD).user is not None
    assert db.session.scalar(select(func.count(LoginFailure.id))) == 0

    writes: list[str] = []

    def record(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SELECT", "BEGIN", "PRAGMA")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert attempt(PASSWORD).user is not None
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert writes == []


def test_the_recorded_login_time_never_moves_back(ctx, users) -> None:  # type: ignore[no-untyped-def]
    later = utcnow()
    auth.record_login(db.session, users["viewer"].id, later)
    auth.record_login(db.session, users["viewer"].id, later - timedelta(seconds=5))  # a slower login's write lands last
    db.session.remove()
    assert db.session.scalar(select(User.last_login_at).where(User.id == users["viewer"].id)) == later


CHILD_HOLDS_A_LOGIN_LOCK = """
import sys
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from partsemble.auth.locks import login_locks
from partsemble.models.engine import configure_engine

engine = create_engine(sys.argv[1])
configure_engine(engine)
with Session(engine) as session, login_locks(session, sys.argv[2]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_a_login_lock_held_by_another_process_holds_this_one_off(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "other.db"
    key = login_key("pair", "member@example.com|203.0.113.9")
    with subprocess.Popen(
        [sys.executable, "-c", CHILD_HOLDS_A_LOGIN_LOCK, f"sqlite:///{path}", key], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline() == "held\n"
        stripe = tmp_path / "other.db.login-locks" / f"{locks._stripe(key):02d}"
        fd = os.open(stripe, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            child.stdin.write("done\n")
            child.stdin.close()
            assert child.wait(timeout=60) == 0
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when the holder's block ended
        finally:
            os.close(fd)
