"""Two people moving "costs are final through" at once: the settings row is read FOR UPDATE, so the
second waits for the first to commit and then starts from the date the first one set.

PostgreSQL only: SQLite serializes writers with BEGIN IMMEDIATE and has no row locks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from partsemble.costing.closing import set_costs_final_through
from partsemble.extensions import db
from partsemble.models.settings import BookSettings
from tests.conftest import PG_URL

pytestmark = [pytest.mark.postgres_only, pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (PARTSEMBLE_TEST_DATABASE_URL)")]

WAIT = 30  # seconds: only a broken test ever waits this long


@pytest.fixture
def engine(app: Flask) -> Iterator[Any]:
    with app.app_context():
        yield db.engine


def test_a_second_closing_waits_for_the_first_and_starts_from_its_date(engine: Any) -> None:
    with Session(engine) as setup:
        set_costs_final_through(setup, date(2026, 1, 31), None)  # the row exists, closed through January

    first_read = threading.Event()  # the first closing has read (and, FOR UPDATE, locked) the row
    go_on = threading.Event()
    first: threading.Thread | None = None

    def pause_the_first_after_its_read(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.current_thread() is first and "FROM book_settings" in statement and not first_read.is_set():
            first_read.set()
            assert go_on.wait(WAIT)

    failures: list[BaseException] = []

    def close_through_march() -> None:
        try:
            with Session(engine) as mine:
                set_costs_final_through(mine, date(2026, 3, 31), None)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
            first_read.set()

    event.listen(engine, "after_cursor_execute", pause_the_first_after_its_read)
    try:
        first = threading.Thread(target=close_through_march)
        first.start()
        assert first_read.wait(WAIT) and not failures
        with Session(engine) as second:
            second.execute(text("SET LOCAL lock_timeout = '200ms'"))
            # The first holds the row until it commits: the second cannot even read it for update.
            with pytest.raises(OperationalError, match="lock timeout"):
                set_costs_final_through(second, date(2026, 2, 28), None)
            second.rollback()
        go_on.set()
        first.join(WAIT)
        assert not first.is_alive() and not failures
    finally:
        go_on.set()
        event.remove(engine, "after_cursor_execute", pause_the_first_after_its_read)
    with Session(engine) as after:
        assert after.get(BookSettings, 1).costs_final_through == date(2026, 3, 31)
        set_costs_final_through(after, date(2026, 2, 28), None)  # now it starts from March, not January
        row = after.get(BookSettings, 1)
        assert row.costs_final_through == date(2026, 2, 28)
