"""Holes in the sync (issue 12): what was lost or dropped when a run did not go to plan.

World: Candle A (item 1) has lots 20 @ 145 (2026-01-01) and 30 @ 148 (2026-01-02);
Candle B (item 2) one lot 100 @ 2. Item 4 is an Inventory item linked to nothing.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from partsemble.connectors.errors import AuthError, BadRequest, MalformedResponse, RateLimited, Transient
from partsemble.connectors.memory import InMemorySource
from partsemble.domain.documents import DocumentProblem, DocumentType, ItemRecord
from partsemble.extensions import db
from partsemble.models.inventory import Lot
from partsemble.models.sales import Sale
from partsemble.models.sync import Connection, FailedDocument
from partsemble.sync import service
from partsemble.sync.process import Processor, TimeLimitReached
from partsemble.sync.service import SyncRequest, SyncSettings, run_sync
from tests.documents import doc, line
from tests.integration import candle_world

D = Decimal
ITEMS = [
    ItemRecord("1", "Candle A", "Inventory", True, "CND-A"),
    ItemRecord("2", "Candle B", "Inventory", True, "CND-B"),
    ItemRecord("4", "Lavender Soap 200g", "Inventory", True, None),
]


@pytest.fixture
def world(app):  # type: ignore[no-untyped-def]
    return candle_world.build(ITEMS)


def sync(source, **kw):  # type: ignore[no-untyped-def]
    return run_sync(db.session, source, SyncRequest(user_email="ana@example.com", **kw), SyncSettings())


def remaining(product_id: int) -> list[Decimal]:
    return list(db.session.scalars(select(Lot.quantity_remaining).where(Lot.product_id == product_id).order_by(Lot.id)))


def status_of(doc_id: str) -> str | None:
    return db.session.scalar(select(Sale.status).where(Sale.external_id == doc_id))


class _StopsAfterOneDocument(Processor):
    """The web time limit striking after the first document (one per batch here): the
    same TimeLimitReached the deadline raises, at a moment the test chooses."""

    applied = 0

    def _batch(self, chunk, progress):  # type: ignore[no-untyped-def]
        if self.applied >= 1:
            raise TimeLimitReached()
        super()._batch(chunk, progress)
        self.applied += 1


def first_sync_stopped_by_the_time_limit(monkeypatch: pytest.MonkeyPatch, src: InMemorySource) -> None:
    with monkeypatch.context() as patched:
        patched.setattr(service, "Processor", functools.partial(_StopsAfterOneDocument, batch_size=1))
        stopped = sync(src)
    assert stopped.outcome == "failed" and "Stopped after" in stopped.message
    assert (stopped.created, db.session.scalar(select(Connection.synced_through))) == (1, None)


# Hole 1 -------------------------------------------------------------------------------------


def test_a_deletion_after_an_unfinished_first_sync_reverses_the_sale(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(doc("early", [line("2", "3", "30")], day=date(2026, 2, 1)))
    src.put(doc("late", [line("2", "4", "40")], day=date(2026, 2, 2)))
    first_sync_stopped_by_the_time_limit(monkeypatch, src)
    assert remaining(world["b"]) == [D(97)]
    src.delete(DocumentType.INVOICE, "early")  # deleted upstream before any sync finished
    done = sync(src)
    assert (done.outcome, done.created, done.voided) == ("succeeded", 1, 1)
    assert (status_of("early"), status_of("late")) == ("deleted", "active")
    assert remaining(world["b"]) == [D(96)]  # only "late" holds stock; kept active, "early" would leave 93
    again = sync(src)  # and nothing is undone twice
    assert (again.outcome, again.voided) == ("succeeded", 0) and remaining(world["b"]) == [D(96)]


def test_a_deletion_beyond_the_cdc_reach_after_an_unfinished_first_sync_is_found_by_ids(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(doc("early", [line("2", "3", "30")], day=date(2026, 2, 1)))
    src.put(doc("late", [line("2", "4", "40")], day=date(2026, 2, 2)))
    first_sync_stopped_by_the_time_limit(monkeypatch, src)
    src._tick += timedelta(days=40)  # the next sync comes 40 days later (by the source's clock)
    src.delete(DocumentType.INVOICE, "early")
    src.calls.clear()
    done = sync(src)
    assert "deletions" not in src.calls and "ids" in src.calls  # CDC cannot look back that far: Ids compared
    assert (status_of("early"), done.voided) == ("deleted", 1)
    assert remaining(world["b"]) == [D(96)]


def test_a_deletion_between_two_unfinished_syncs_is_still_found_by_the_third(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(doc("early", [line("2", "3", "30")], day=date(2026, 2, 1)))
    src.put(doc("late", [line("2", "4", "40")], day=date(2026, 2, 2)))
    first_sync_stopped_by_the_time_limit(monkeypatch, src)
    src.delete(DocumentType.INVOICE, "early")
    src.put(doc("later", [line("2", "5", "50")], day=date(2026, 2, 3)))
    src.put(doc("latest", [line("2", "6", "60")], day=date(2026, 2, 4)))
    with monkeypatch.context() as patched:  # the second stops after one document too: the deletion, first by date
        patched.setattr(service, "Processor", functools.partial(_StopsAfterOneDocument, batch_size=1))
        assert sync(src).outcome == "failed"
    done = sync(src)
    assert done.outcome == "succeeded"
    assert [status_of(i) for i in ("early", "late", "later", "latest")] == ["deleted", "active", "active", "active"]
    assert remaining(world["b"]) == [D(100 - 4 - 5 - 6)]


# Hole 3 -------------------------------------------------------------------------------------

ITEM_READ_FAILURES = [
    pytest.param(Transient("connection dropped", status=503), "did not answer properly: connection dropped", id="transient"),
    pytest.param(RateLimited("ThrottleExceeded", status=429, code="3001"), "asked us to slow down", id="throttled"),
    pytest.param(BadRequest("Invalid Reference Id", status=400, code="2500"), "refused the request: Invalid Reference Id", id="refused"),
    pytest.param(MalformedResponse("truncated JSON"), "did not answer properly: truncated JSON", id="malformed"),
]


def failing_item_reads(error):  # type: ignore[no-untyped-def]
    def fail(call: str, page: int) -> None:
        if call == "item":
            raise error

    return fail


@pytest.mark.parametrize(("error", "says"), ITEM_READ_FAILURES)
def test_an_item_that_cannot_be_read_fails_only_the_documents_that_need_it(world, error, says) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.items["77"] = ItemRecord("77", "Gift Wrap", "Service")
    src.put(doc("plain", [line("2", "3", "30")], day=date(2026, 2, 1)))
    src.put(doc("wrapped", [line("2", "4", "40"), line("77", "1", "5", name="Gift Wrap")], day=date(2026, 2, 2), number="1042"))
    src.put(doc("after", [line("2", "5", "50")], day=date(2026, 2, 3)))
    src.fail = failing_item_reads(error)
    summary = sync(src)
    assert (summary.outcome, summary.created, summary.errors) == ("succeeded", 2, 1)
    problem = summary.problems[0]
    assert (problem.number, problem.code, problem.item_id) == ("1042", "item_unreadable", "77")
    assert "Item 'Gift Wrap' (Id 77) could not be read" in problem.message and says in problem.message
    assert "retried on the next sync" in problem.message
    assert status_of("wrapped") is None and remaining(world["b"]) == [D(100 - 3 - 5)]
    assert src.calls.count("item") == 1  # asked once in the run, not once per document or batch
    src.fail = None
    retried = sync(src)  # unchanged upstream, it is retried by id and now goes in
    assert (retried.outcome, retried.created, retried.errors) == ("succeeded", 1, 0)
    assert status_of("wrapped") == "active" and remaining(world["b"]) == [D(100 - 3 - 4 - 5)]
    assert db.session.scalar(select(FailedDocument.id)) is None


def test_a_refused_access_while_reading_an_item_still_stops_the_sync(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.items["77"] = ItemRecord("77", "Gift Wrap", "Service")
    src.put(doc("wrapped", [line("2", "4", "40"), line("77", "1", "5")]))
    src.fail = failing_item_reads(AuthError("token refused", status=401))
    summary = sync(src)
    assert summary.outcome == "failed" and "Reconnect" in summary.message  # nothing else could be read either
    assert db.session.scalar(select(Connection.synced_through)) is None


# Hole 2 -------------------------------------------------------------------------------------


def with_an_unreadable_invoice(src: InMemorySource) -> dict[str, object]:
    """An invoice upstream whose payload has no readable Id (QBO parse gives a DocumentProblem with
    id ""), last changed an hour ago: every read of changes reaching back to then returns it, until fixed."""
    state: dict[str, object] = {"stamp": src.now(), "fixed": False}
    src._tick += timedelta(hours=1)  # more than the overlap: a sync after the first one does not reach it by itself
    problem = DocumentProblem(DocumentType.INVOICE, "", "1050", "Acme", date(2026, 2, 5), "Invoice 1050: Id is missing")
    original = src.changed_documents

    def changed(since, not_before):  # type: ignore[no-untyped-def]
        for number, page in enumerate(original(since, not_before)):
            reaches = since is None or since <= state["stamp"]
            extra = [problem] if number == 0 and reaches and not state["fixed"] else []
            yield type(page)(list(page.documents) + extra, page.server_time)

    src.changed_documents = changed  # type: ignore[method-assign]
    return state


def test_a_failed_document_without_an_id_stays_listed_until_it_reads(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(doc("ok", [line("2", "3", "30")], day=date(2026, 2, 1)))
    unreadable = with_an_unreadable_invoice(src)
    first = sync(src)
    assert (first.created, first.errors) == (1, 1) and first.problems[0].number == "1050"
    second = sync(src)
    assert second.errors == 1 and [p.number for p in second.problems] == ["1050"]  # still listed: nothing fixed it
    assert db.session.scalar(select(FailedDocument.attempts)) == 2
    # The document cannot be read by Id, so the changes it came in are read again until it reads.
    assert db.session.scalar(select(Connection.synced_through)) is None
    unreadable["fixed"] = True
    src.put(doc("55", [line("2", "4", "40")], day=date(2026, 2, 5), number="1050"))
    fixed = sync(src)
    assert (fixed.created, fixed.errors) == (1, 0)
    assert db.session.scalar(select(FailedDocument.id)) is None
    assert remaining(world["b"]) == [D(100 - 3 - 4)]
    assert db.session.scalar(select(Connection.synced_through)) is not None  # the mark moves again


def test_a_document_without_an_id_is_not_taken_for_deleted_by_a_retry_of_failures(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    with_an_unreadable_invoice(src)
    sync(src)
    src.calls.clear()
    retry = sync(src, only_failed=True)
    assert retry.errors == 0 and retry.voided == 0 and "by_id" not in src.calls  # no read by an empty Id
    assert db.session.scalar(select(FailedDocument.doc_number)) == "1050"  # still open


def test_the_preview_shows_a_deletion_after_an_unfinished_first_sync(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from partsemble.sync.preview import preview_sync

    src = world["source"]
    src.put(doc("early", [line("2", "3", "30")], day=date(2026, 2, 1), number="1001"))
    src.put(doc("late", [line("2", "4", "40")], day=date(2026, 2, 2)))
    first_sync_stopped_by_the_time_limit(monkeypatch, src)
    src.delete(DocumentType.INVOICE, "early")
    rows = preview_sync(db.session, src).rows
    assert [(row.number, row.action) for row in rows if row.action == "delete"] == [("1001", "delete")]
    assert remaining(world["b"]) == [D(97)]  # a preview changes nothing
