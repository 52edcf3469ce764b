"""The sync service against an in-memory source: windows, order, idempotency, failures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from partsemble.connectors.errors import ReconnectRequired, Transient
from partsemble.connectors.memory import InMemorySource
from partsemble.domain.documents import DocumentStatus, DocumentType, ItemRecord
from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.inventory import Lot
from partsemble.models.sales import Sale
from partsemble.models.sync import Connection, FailedDocument, SyncInbox, SyncLock, SyncRun
from partsemble.sync import lock
from partsemble.sync.service import SyncNotReady, SyncRequest, SyncSettings, run_sync, start_run
from tests import factories
from tests.documents import doc, line
from tests.integration import candle_world

D = Decimal
SETTINGS = SyncSettings()
ITEMS = [
    ItemRecord("1", "Candle A", "Inventory", True, "CND-A"),
    ItemRecord("2", "Candle B", "Inventory", True, "CND-B"),
    ItemRecord("4", "Lavender Soap 200g", "Inventory", True, None),
    ItemRecord("8", "Shipping", "Service"),
]


@pytest.fixture
def world(app):  # type: ignore[no-untyped-def]
    return candle_world.build(ITEMS)


def sync(source, **kw):  # type: ignore[no-untyped-def]
    return run_sync(db.session, source, SyncRequest(user_email="ana@example.com", **kw), SETTINGS)


def counts(summary) -> tuple[int, int, int, int, int]:  # type: ignore[no-untyped-def]
    return (summary.created, summary.updated, summary.voided, summary.skipped, summary.errors)


def remaining(product_id: int) -> list[Decimal]:
    return list(db.session.scalars(select(Lot.quantity_remaining).where(Lot.product_id == product_id).order_by(Lot.id)))


def test_first_sync_creates_every_sale_and_a_second_changes_nothing(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    for i in range(5):
        src.put(doc(str(i), [line("1", "2", "300"), line("8", None, "10")], day=date(2026, 2, 1 + i)))
    first = sync(src)
    assert counts(first) == (5, 0, 0, 0, 0) and first.outcome == "succeeded"
    assert remaining(world["a"]) == [D(10), D(30)]
    second = sync(src)
    assert counts(second) == (0, 0, 0, 5, 0)
    assert remaining(world["a"]) == [D(10), D(30)]


def test_documents_are_applied_in_transaction_date_order_not_change_order(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(doc("late", [line("1", "20", "100")], day=date(2026, 3, 1)))  # changed first, dated later
    src.put(doc("early", [line("1", "20", "100")], day=date(2026, 2, 1)))
    sync(src)
    early = db.session.scalar(select(Sale).where(Sale.external_id == "early"))
    late = db.session.scalar(select(Sale).where(Sale.external_id == "late"))
    assert early.cost == D(20 * 145)  # the oldest lot went to the earliest sale
    assert late.cost == D(20 * 148)


def test_edit_void_delete_and_credit_memo_in_one_sync(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    for i in range(4):
        src.put(doc(str(i), [line("2", "10", "50")], day=date(2026, 2, 1 + i)))
    sync(src)
    src.put(doc("0", [line("2", "4", "20")], day=date(2026, 2, 1)))  # edit
    src.put(doc("1", [line("2", "0", "0")], status=DocumentStatus.VOIDED))  # void
    src.delete(DocumentType.INVOICE, "2")  # delete
    src.put(doc("cm", [line("2", "3", "15")], doc_type=DocumentType.CREDIT_MEMO, day=date(2026, 2, 10)))
    summary = sync(src)
    assert counts(summary) == (1, 1, 2, 1, 0)
    statuses = dict(db.session.execute(select(Sale.external_id, Sale.status)).tuples().all())
    assert statuses == {"0": "active", "1": "voided", "2": "deleted", "3": "active", "cm": "active"}
    assert db.session.get(Product, world["b"]).stock_on_hand == D(100 - 4 - 10 + 3)


def test_an_unlinked_item_fails_its_document_alone_until_it_is_linked(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(doc("ok", [line("1", "1", "10")]))
    src.put(doc("soap", [line("4", "2", "12", name="Lavender Soap 200g")], number="1042"))
    first = sync(src)
    assert counts(first) == (1, 0, 0, 0, 1)
    problem = first.problems[0]
    assert (problem.number, problem.code, problem.message, problem.item_id) == (
        "1042",
        "item_not_linked",
        "Item 'Lavender Soap 200g' is not linked to a product",
        "4",
    )
    # Unchanged upstream, it is retried on the next sync anyway (re-read by id).
    again = sync(src)
    assert counts(again) == (0, 0, 0, 1, 1)
    soap = factories.product("SOAP", "Lavender Soap")
    item = db.session.scalar(select(AccountingItem).where(AccountingItem.external_id == "4"))
    item.product_id = soap.id
    db.session.commit()
    fixed = sync(src)
    assert counts(fixed) == (1, 0, 0, 1, 0)
    assert db.session.scalar(select(func.count(FailedDocument.id))) == 0
    assert db.session.get(Product, soap.id).stock_on_hand == D(-2)


def test_retrying_only_the_documents_waiting_on_an_item(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(doc("soap", [line("4", "2", "12", name="Lavender Soap 200g")]))
    sync(src)
    soap = factories.product("SOAP", "Lavender Soap")
    db.session.scalar(select(AccountingItem).where(AccountingItem.external_id == "4")).product_id = soap.id
    db.session.commit()
    retry = sync(src, only_failed=True, item_ids=("4",))
    assert counts(retry) == (1, 0, 0, 0, 0)
    assert src.calls.count("changes") == 1  # the retry did not page through changes again


def test_an_item_the_list_does_not_know_is_read_from_the_source(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.items["77"] = ItemRecord("77", "Gift Card", "Service")
    src.put(doc("1", [line("77", "1", "25")]))
    summary = sync(src)
    assert counts(summary) == (1, 0, 0, 0, 0)
    assert db.session.scalar(select(AccountingItem.name).where(AccountingItem.external_id == "77")) == "Gift Card"


def test_a_failure_mid_sync_keeps_what_finished_and_the_next_sync_completes(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    for i in range(6):
        src.put(doc(str(i), [line("2", "1", "5")], day=date(2026, 2, 1 + i)))

    def drop_page_2(call: str, page: int) -> None:
        if call == "changes" and page == 2:
            raise Transient("connection dropped")

    src.fail = drop_page_2
    failed = sync(src)
    assert failed.outcome == "failed" and "did not answer properly" in failed.message
    assert db.session.scalar(select(Connection.synced_through)) is None  # the mark did not move
    assert db.session.scalar(select(SyncLock.run_id)) is None  # the lock was released
    src.fail = None
    done = sync(src)
    assert counts(done) == (6, 0, 0, 0, 0)
    assert db.session.get(Product, world["b"]).stock_on_hand == D(94)


def test_an_expired_refresh_token_marks_the_connection_expired(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]

    def dead(call: str, page: int) -> None:
        raise ReconnectRequired("invalid_grant")

    src.fail = dead
    summary = sync(src)
    assert summary.outcome == "failed" and "Reconnect" in summary.message
    assert db.session.scalar(select(Connection.status)) == "expired"
    with pytest.raises(SyncNotReady, match="expired - Reconnect"):
        sync(src)


def test_a_second_sync_is_refused_while_one_runs_and_touches_nothing(world) -> None:  # type: ignore[no-untyped-def]
    start_run(db.session, SyncRequest(user_email="ana@example.com"), SETTINGS)
    runs = db.session.scalar(select(func.count(SyncRun.id)))
    with pytest.raises(lock.SyncBusy, match=r"A sync is already running \(started \d\d:\d\d UTC by ana@example.com\)"):
        start_run(db.session, SyncRequest(user_email="bob@example.com"), SETTINGS)
    assert db.session.scalar(select(func.count(SyncRun.id))) == runs


def test_a_lock_without_heartbeat_for_the_stale_time_is_taken_over(world) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from partsemble.models.base import utcnow

    dead_run = start_run(db.session, SyncRequest(user_email="ana@example.com"), SETTINGS)
    db.session.execute(
        SyncLock.__table__.update().values(holder="ana@example.com|elsewhere:1", heartbeat_at=utcnow() - timedelta(minutes=6))
    )
    db.session.commit()
    summary = sync(world["source"])
    assert summary.outcome == "succeeded"
    old = db.session.get(SyncRun, dead_run)
    assert old.status == "failed" and old.message.startswith("Interrupted")


def test_sync_needs_a_connection_and_an_initial_date(app) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SyncNotReady, match="not connected"):
        sync(InMemorySource())
    db.session.add(Connection(provider="qbo", status="connected"))
    db.session.commit()
    with pytest.raises(SyncNotReady, match="initial sync date"):
        sync(InMemorySource())


def test_documents_dated_before_the_initial_sync_date_are_never_pulled(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(doc("old", [line("1", "1", "10")], day=date(2025, 12, 31)))
    src.put(doc("new", [line("1", "1", "10")], day=date(2026, 1, 1)))
    assert counts(sync(src)) == (1, 0, 0, 0, 0)


def test_malformed_documents_fail_alone_with_their_reason(world) -> None:  # type: ignore[no-untyped-def]
    from partsemble.domain.documents import DocumentProblem

    src = world["source"]
    src.put(doc("ok", [line("1", "1", "10")]))
    bad = DocumentProblem(DocumentType.INVOICE, "bad", "1050", "Acme", date(2026, 2, 1), "Invoice 1050: Line 3 Qty is not a number ('abc')")
    original = src.changed_documents

    def with_problem(since, not_before):  # type: ignore[no-untyped-def]
        for page in original(since, not_before):
            yield type(page)(list(page.documents) + [bad], page.server_time)
            break

    src.changed_documents = with_problem  # type: ignore[method-assign]
    summary = sync(src)
    assert counts(summary) == (1, 0, 0, 0, 1)
    assert summary.problems[0].code == "malformed" and "Qty is not a number" in summary.problems[0].message


def test_after_more_than_30_days_deletions_are_found_by_comparing_ids(world) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    src = world["source"]
    for i in range(3):
        src.put(doc(str(i), [line("2", "1", "5")], day=date(2026, 2, 1 + i)))
    sync(src)
    db.session.execute(Connection.__table__.update().values(synced_through=src.now() - timedelta(days=40)))  # by the source's clock
    db.session.commit()
    src.delete(DocumentType.INVOICE, "1")
    src.calls.clear()
    summary = sync(src)
    assert "deletions" not in src.calls and "ids" in src.calls  # CDC cannot look back that far
    assert summary.voided == 1
    assert db.session.scalar(select(Sale.status).where(Sale.external_id == "1")) == "deleted"


def test_within_30_days_deletions_come_from_cdc(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(doc("1", [line("2", "1", "5")]))
    sync(src)
    src.delete(DocumentType.INVOICE, "1")
    src.calls.clear()
    assert sync(src).voided == 1
    assert "deletions" in src.calls and "ids" not in src.calls


def test_within_one_page_the_later_version_of_a_document_wins(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    first = doc("7", [line("2", "1", "5")], version="1")
    second = doc("7", [line("2", "4", "20")], version="2")
    original = src.changed_documents

    def twice(since, not_before):  # type: ignore[no-untyped-def]
        for page in original(since, not_before):
            yield type(page)([first, second], page.server_time)

    src.changed_documents = twice  # type: ignore[method-assign]
    summary = sync(src)
    assert summary.created == 1
    sale = db.session.scalar(select(Sale).where(Sale.external_id == "7"))
    assert sale.version == "2" and sale.lines[0].quantity == D(4)
    assert summary.fetched == 1  # one document read, staged once: the inbox keeps one row per document and run
    assert db.session.scalar(select(func.count()).select_from(SyncInbox)) == 0  # and the finished run cleared it


def test_a_large_run_brings_the_planner_statistics_up_to_date_on_postgresql(world) -> None:  # type: ignore[no-untyped-def]
    if db.engine.dialect.name != "postgresql":
        pytest.skip("planner statistics are refreshed on PostgreSQL only")
    src = InMemorySource(ITEMS, page_size=1000)
    for n in range(1000):
        src.put(doc(f"big-{n}", [line("2", "1", "5")]))

    def sales_rows_the_planner_knows() -> float:
        return db.session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'sales'"))

    assert sales_rows_the_planner_knows() < 1  # never analysed: PostgreSQL plans for an empty table
    assert counts(sync(src)) == (1000, 0, 0, 0, 0)
    assert sales_rows_the_planner_knows() == 1000  # ANALYZE ran when the run reached 1,000 documents
