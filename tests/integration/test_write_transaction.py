"""write_transaction: the one begin/commit/rollback every service uses (STYLE.md habit 13)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from partsemble.extensions import db
from partsemble.models.engine import _IMMEDIATE, PendingChanges, is_sqlite
from partsemble.models.settings import BookSettings
from partsemble.models.transactions import write_transaction


class Refused(Exception):
    pass


def stored_zones() -> list[str]:
    """What another connection sees: only what was committed."""
    with Session(db.engine) as other:
        return list(other.scalars(select(BookSettings.time_zone).order_by(BookSettings.id)))


def test_the_block_is_committed_when_it_ends() -> None:
    with write_transaction(db.session) as session:
        session.add(BookSettings(id=1, time_zone="Europe/Paris"))
    assert stored_zones() == ["Europe/Paris"]
    assert not db.session().in_transaction()  # committed, not left open


def test_an_exception_rolls_back_everything_the_block_wrote_and_is_raised_again() -> None:
    with write_transaction(db.session) as session:
        session.add(BookSettings(id=1, time_zone="UTC"))
    with pytest.raises(Refused), write_transaction(db.session) as session:
        session.get(BookSettings, 1).time_zone = "Asia/Tokyo"
        session.add(BookSettings(id=2, time_zone="Europe/Oslo"))
        session.flush()  # both rows reached the database inside the transaction
        raise Refused
    assert stored_zones() == ["UTC"]
    assert not db.session.new and not db.session.dirty
    assert db.session.scalar(select(func.count()).select_from(BookSettings)) == 1  # the session is usable again


def test_a_commit_that_fails_rolls_back_and_raises() -> None:
    with pytest.raises(IntegrityError), write_transaction(db.session) as session:
        session.add(BookSettings(id=1, time_zone="Europe/Paris"))
        session.add(BookSettings(id=2, decimal_mark="x"))  # refused by the check constraint at the commit's flush
    assert stored_zones() == []
    with write_transaction(db.session) as session:  # no transaction left open and broken
        session.add(BookSettings(id=3, time_zone="Europe/Rome"))
    assert stored_zones() == ["Europe/Rome"]


def test_leaving_the_block_by_return_commits_what_was_written() -> None:
    def save() -> str:
        with write_transaction(db.session) as session:
            session.add(BookSettings(id=1, time_zone="America/Lima"))
            return "saved"

    assert save() == "saved"
    assert stored_zones() == ["America/Lima"]


def test_on_sqlite_the_write_holds_the_lock_from_its_start() -> None:
    if not is_sqlite(db.session):
        pytest.skip("PostgreSQL locks rows where they are read (FOR UPDATE)")
    with write_transaction(db.session) as session:
        assert session.connection().get_execution_options().get(_IMMEDIATE)


def test_pending_changes_are_refused_before_anything_begins() -> None:
    if not is_sqlite(db.session):
        pytest.skip("begin_write checks pending changes where it takes the SQLite write lock")
    db.session.add(BookSettings(id=1))
    with pytest.raises(PendingChanges), write_transaction(db.session):
        pass
    db.session.rollback()
