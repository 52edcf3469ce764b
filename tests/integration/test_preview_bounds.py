"""A preview is one at a time per installation and bounded in what it reads from QuickBooks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from partsemble.connectors.errors import Transient
from partsemble.connectors.memory import InMemorySource
from partsemble.domain.documents import ItemRecord
from partsemble.extensions import db
from partsemble.models.base import utcnow
from partsemble.models.sync import Connection, SyncLock
from partsemble.sync import preview
from partsemble.sync.preview import preview_sync
from partsemble.sync.preview_lock import PREVIEW_LOCK_ID, STALE_AFTER, PreviewBusy, one_preview
from tests.documents import doc, line

ITEMS = [ItemRecord(str(n), f"Item {n}", "Inventory", True, None) for n in range(1, 121)]


@pytest.fixture
def source(app) -> InMemorySource:  # type: ignore[no-untyped-def]
    db.session.add(Connection(provider="qbo", realm_id="1", status="connected", initial_sync_date=date(2026, 1, 1)))
    db.session.commit()
    return InMemorySource(ITEMS, page_size=2)


def put_documents(source: InMemorySource, count: int, items_each: int = 1) -> None:
    for number in range(count):
        lines = [line(str(number * items_each + k + 1), "1", "10") for k in range(items_each)]
        source.put(doc(f"d{number}", lines, day=date(2026, 2, 1) + timedelta(days=number % 20), number=str(1000 + number)))


def other_session(app) -> Session:  # type: ignore[no-untyped-def]
    return Session(db.engine)


def test_a_second_preview_while_one_runs_is_refused(app, source) -> None:  # type: ignore[no-untyped-def]
    put_documents(source, 3)
    with other_session(app) as elsewhere, one_preview(elsewhere, utcnow()):
        with pytest.raises(PreviewBusy, match="A preview is already running"):
            preview_sync(db.session, source)
        assert source.calls == []  # refused before any QuickBooks call
    assert len(preview_sync(db.session, source).rows) == 3  # released: the next one runs


def test_a_preview_that_failed_releases_the_lock(app, source) -> None:  # type: ignore[no-untyped-def]
    put_documents(source, 3)

    def fail(call: str, page: int) -> None:
        raise Transient("QuickBooks is down")

    source.fail = fail
    with pytest.raises(Transient):
        preview_sync(db.session, source)
    source.fail = None
    assert len(preview_sync(db.session, source).rows) == 3


def test_a_preview_lock_left_by_a_dead_preview_is_passed_over(app, source) -> None:  # type: ignore[no-untyped-def]
    put_documents(source, 1)
    # Taken on another host and never released, as by a killed worker.
    db.session.add(
        SyncLock(id=PREVIEW_LOCK_ID, holder="preview|0f0f0f0f|elsewhere:4242", acquired_at=utcnow() - STALE_AFTER - timedelta(seconds=1))
    )
    db.session.commit()
    assert len(preview_sync(db.session, source).rows) == 1
    assert db.session.get(SyncLock, PREVIEW_LOCK_ID).holder == ""  # type: ignore[union-attr]


def test_a_fresh_preview_lock_of_another_host_is_respected(app, source) -> None:  # type: ignore[no-untyped-def]
    db.session.add(SyncLock(id=PREVIEW_LOCK_ID, holder="preview|0f0f0f0f|elsewhere:4242", acquired_at=utcnow()))
    db.session.commit()
    with pytest.raises(PreviewBusy):
        preview_sync(db.session, source)


def test_a_preview_reads_a_bounded_number_of_change_pages(app, source) -> None:  # type: ignore[no-untyped-def]
    put_documents(source, 40)  # 20 pages of 2
    result = preview_sync(db.session, source)
    assert source.calls.count("changes") == preview.MAX_CHANGE_PAGES
    assert len(result.rows) == 2 * preview.MAX_CHANGE_PAGES and result.incomplete


def test_a_preview_stops_reading_changes_at_its_document_limit(app, source, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(preview, "LIMIT", 3)
    put_documents(source, 12)
    result = preview_sync(db.session, source)
    assert source.calls.count("changes") == 2 and len(result.rows) == 3
    assert result.not_shown == 1 and result.incomplete


def test_a_preview_reads_a_bounded_number_of_items(app, source) -> None:  # type: ignore[no-untyped-def]
    put_documents(source, 4, items_each=30)  # 120 items nobody linked yet
    preview_sync(db.session, source)
    assert source.calls.count("item") == preview.MAX_ITEM_LOOKUPS


def test_a_small_preview_is_complete(app, source) -> None:  # type: ignore[no-untyped-def]
    put_documents(source, 3)
    result = preview_sync(db.session, source)
    assert len(result.rows) == 3 and not result.incomplete and result.not_shown == 0
