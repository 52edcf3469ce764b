"""User rules under concurrency: each test runs its calls at once in threads, each with its own
session and connection. On SQLite by default; on PostgreSQL with PARTSEMBLE_TEST_DATABASE_URL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from partsemble.auth import services
from partsemble.extensions import db
from partsemble.models.accounts import LoginFailure, User
from tests.conftest import PASSWORD


def at_once(app: Flask, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; each result, or the exception it raised."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        with app.app_context():
            start.wait()
            try:
                results[i] = calls[i]()
            except Exception as exc:  # noqa: BLE001 - the test inspects what each call raised
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_simultaneous_guesses_get_no_more_answers_than_the_limit(app, users) -> None:  # type: ignore[no-untyped-def]
    def guess(i: int) -> Callable[[], services.LoginResult]:
        return lambda: services.authenticate(
            db.session, "admin@example.com", f"guess number {i}", "203.0.113.9", max_failures=5, lockout_seconds=900
        )

    results = at_once(app, [guess(i) for i in range(12)])
    assert not [r for r in results if isinstance(r, Exception)], results
    answered = [r for r in results if r.throttled_for == 0]
    assert len(answered) == 5
    db.session.remove()
    assert db.session.scalar(select(func.count(LoginFailure.id))) == 5


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, users, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    second = services.create_user(db.session, "second@example.com", PASSWORD, "admin")
    count = services._admins_left_after

    def slow_count(*args, **kwargs):  # type: ignore[no-untyped-def]
        left = count(*args, **kwargs)
        time.sleep(0.3)  # both transactions have counted before either commits, unless serialized
        return left

    monkeypatch.setattr(services, "_admins_left_after", slow_count)
    ids = [users["admin"].id, second.id]
    db.session.remove()
    results = at_once(app, [lambda i=i: services.update_user(db.session, i, role="member", active=True) for i in ids])
    refused = [r for r in results if isinstance(r, services.UserError)]
    assert len(refused) == 1 and "at least one active admin" in str(refused[0])
    db.session.remove()
    assert db.session.scalar(select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))) == 1


def test_creating_one_email_twice_at_once_makes_one_user_and_one_clear_refusal(app, users, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    serialize = services.serialize

    def slow_serialize(*args, **kwargs):  # type: ignore[no-untyped-def]
        serialize(*args, **kwargs)
        time.sleep(0.3)  # every call checks the email before any commits, unless serialized

    monkeypatch.setattr(services, "serialize", slow_serialize)
    monkeypatch.setattr(User, "set_password", lambda user, _: setattr(user, "password_hash", "not-checked"))  # no stagger
    results = at_once(app, [lambda: services.create_user(db.session, "twin@example.com", PASSWORD, "viewer") for _ in range(4)])
    refused = [r for r in results if isinstance(r, services.UserError)]
    assert len(refused) == 3 and all("already exists" in str(r) and r.field == "email" for r in refused), results
    db.session.remove()
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "twin@example.com")) == 1
