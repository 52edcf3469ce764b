"""Sync Now reads every active channel (QuickBooks, then Xero) in one run under one lock (issue 17).

The world: Candle A with lots 20 @ 145 (2026-01-01) and 30 @ 148 (2026-01-02), sold in both
books: QuickBooks item "1" and Xero item "X-A" are both linked to it. A Xero item "1" (the same
Id as the QuickBooks item) is linked to Candle B (one lot, 100 @ 2), so a channel that looked up
another channel's items would cost the wrong product.

Each test picks dates where applying the channels in the order they are read, instead of in
date order, gives a different cost.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from partsemble.connections.source import open_source
from partsemble.connectors.errors import DailyLimitReached
from partsemble.connectors.memory import InMemorySource
from partsemble.domain.documents import DocumentStatus, DocumentType, ItemRecord
from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem
from partsemble.models.inventory import Lot
from partsemble.models.sales import Sale, SaleRevision
from partsemble.models.sync import Connection, FailedDocument, SyncRunChannel
from partsemble.sync.start import sync_now
from partsemble.sync.summary import SyncSummary
from tests import factories
from tests.documents import doc, line
from tests.integration import candle_world

FEB = date(2026, 2, 1)


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    qbo = InMemorySource([ItemRecord("1", "Candle A", "Inventory", True, "CND-A")])
    xero = InMemorySource(
        [
            ItemRecord("X-A", "Candle A", "Inventory", True, "CND-A"),
            ItemRecord("1", "Candle B (Xero)", "Inventory", True, "CND-B"),
            ItemRecord("X-S", "Soap", "Inventory", True, "SOAP"),
        ]
    )
    app_config["SALES_SOURCE_FACTORIES"] = {"qbo": lambda: qbo, "xero": lambda: xero}
    app_config["TEST_SOURCES"] = {"qbo": qbo, "xero": xero}
    return app_config


@pytest.fixture
def world(ctx, users):  # type: ignore[no-untyped-def]
    built = candle_world.build([])
    db.session.add(Connection(provider="xero", realm_id="tenant-1", status="connected", initial_sync_date=date(2026, 1, 1)))
    db.session.add(AccountingItem(source="xero", external_id="X-A", name="Candle A", item_type="Inventory", product_id=built["a"]))
    db.session.add(AccountingItem(source="xero", external_id="1", name="Candle B (Xero)", item_type="Inventory", product_id=built["b"]))
    db.session.commit()
    sources = ctx.config["TEST_SOURCES"]
    return {**built, "qbo": sources["qbo"], "xero": sources["xero"]}


def sync(app) -> SyncSummary:  # type: ignore[no-untyped-def]
    summary = sync_now(db.session, app.config, open_source, trigger="cli", user_email="ana@example.com")
    db.session.rollback()
    return summary


def costs(source: str) -> dict[str, Decimal]:
    return {s.external_id: s.cost for s in db.session.scalars(select(Sale).where(Sale.source == source, Sale.status == "active"))}


def lots_left() -> list[Decimal]:
    return [lot.quantity_remaining for lot in db.session.scalars(select(Lot).order_by(Lot.id))]


def counts(summary: SyncSummary) -> dict[str, tuple[str, int, int, int]]:
    return {c.channel: (c.outcome, c.fetched, c.created, c.errors) for c in summary.channels}


def test_both_channels_sync_in_one_run_and_cost_in_date_order(ctx, world) -> None:  # type: ignore[no-untyped-def]
    world["qbo"].put(doc("q1", [line("1", "15", "3000")], day=date(2026, 2, 2)))
    world["xero"].put(doc("x1", [line("X-A", "10", "2000")], day=FEB))

    summary = sync(ctx)

    assert summary.outcome == "succeeded"
    assert counts(summary) == {"qbo": ("succeeded", 1, 1, 0), "xero": ("succeeded", 1, 1, 0)}
    assert [c.channel for c in summary.channels] == ["qbo", "xero"]  # QuickBooks is read first
    assert (summary.created, summary.fetched) == (2, 2)
    # Read first, the QuickBooks sale drew 15 @ 145; the earlier Xero sale then took 10 of the oldest
    # lot's units, so the QuickBooks sale was drawn again: the 10 @ 145 left, then 5 @ 148.
    assert costs("xero") == {"x1": Decimal("1450.00")}  # read order would give 5 x 145 + 5 x 148 = 1465
    assert costs("qbo") == {"q1": Decimal("2190.00")}  # read order would give 15 x 145 = 2175
    assert summary.recosted == 1
    assert lots_left()[:2] == [Decimal(0), Decimal(25)]
    again = json.loads(ctx.test_cli_runner().invoke(args=["sync", "--json"]).output)  # what cron sees
    assert {k: (v["outcome"], v["fetched"], v["skipped"], v["created"]) for k, v in again["channels"].items()} == {
        "qbo": ("succeeded", 1, 1, 0),  # read again within the overlap, already applied
        "xero": ("succeeded", 1, 1, 0),
    }


@pytest.mark.parametrize("first", ["qbo", "xero"])
def test_the_order_the_channels_bring_sales_in_changes_no_number(ctx, world, first) -> None:  # type: ignore[no-untyped-def]
    """The same dated sales, arriving one channel per sync in either order, end with the same costs."""
    sales = {
        "qbo": doc("q1", [line("1", "15", "3000")], day=date(2026, 2, 2)),
        "xero": doc("x1", [line("X-A", "10", "2000")], day=FEB),
    }
    second = "xero" if first == "qbo" else "qbo"
    world[first].put(sales[first])
    assert sync(ctx).created == 1
    world[second].put(sales[second])
    assert sync(ctx).created == 1
    assert (costs("qbo"), costs("xero")) == ({"q1": Decimal("2190.00")}, {"x1": Decimal("1450.00")})
    assert lots_left()[:2] == [Decimal(0), Decimal(25)]


def test_each_channel_looks_up_its_own_items_sales_and_failures(ctx, world) -> None:  # type: ignore[no-untyped-def]
    # The same document Id and item Id in both books: two different sales of two different products.
    world["qbo"].put(doc("7", [line("1", "2", "400")], day=FEB))
    world["xero"].put(doc("7", [line("1", "3", "30")], day=FEB))
    # A Xero item nobody linked: the Xero document fails; the QuickBooks one with its Id goes through.
    world["xero"].put(doc("9", [line("X-S", "1", "5", name="Soap")], day=FEB, number="INV-9"))
    world["qbo"].put(doc("8", [line("1", "1", "200")], day=FEB))

    summary = sync(ctx)

    assert costs("qbo") == {"7": Decimal("290.00"), "8": Decimal("145.00")}  # Candle A @ 145
    assert costs("xero") == {"7": Decimal("6.00")}  # Xero's item "1" is Candle B @ 2
    assert counts(summary) == {"qbo": ("succeeded", 2, 2, 0), "xero": ("succeeded", 2, 1, 1)}
    assert [(p.channel, p.type, p.external_id) for p in summary.problems] == [("xero", "Invoice", "9")]
    assert db.session.execute(select(FailedDocument.source, FailedDocument.external_id)).tuples().all() == [("xero", "9")]
    assert summary.outcome_words == "Finished with 1 problem"
    assert summary.message == (
        "QuickBooks finished: 2 documents read, all applied or already up to date. "
        "Xero finished: 2 documents read; 1 need your attention (see the list)."
    )

    # Voided in Xero: only the Xero sale 7 is reversed; QuickBooks' sale 7 stays.
    world["xero"].put(doc("7", [line("1", "3", "30")], day=FEB, status=DocumentStatus.VOIDED))
    world["xero"].delete(DocumentType.INVOICE, "9")  # and the failed one deleted there: its problem closes
    world["qbo"].calls.clear()
    summary = sync(ctx)
    assert counts(summary)["xero"] == ("succeeded", 2, 0, 0)
    assert "by_id" not in world["qbo"].calls  # QuickBooks is never asked for Xero's failed document
    assert costs("xero") == {} and costs("qbo") == {"7": Decimal("290.00"), "8": Decimal("145.00")}
    assert db.session.scalar(select(FailedDocument.id)) is None


def test_a_channel_whose_source_fails_stops_alone_and_the_next_sync_converges(ctx, world) -> None:  # type: ignore[no-untyped-def]
    world["qbo"].put(doc("q1", [line("1", "15", "3000")], day=date(2026, 2, 2)))
    world["xero"].put(doc("x1", [line("X-A", "10", "2000")], day=FEB))
    resume = ctx.config["TEST_SOURCES"]["xero"].now()

    def day_limit(call: str, page: int) -> None:
        if call == "changes":
            raise DailyLimitReached("day limit", resume_at=resume)

    world["xero"].fail = day_limit
    summary = sync(ctx)

    assert summary.outcome == "failed"
    assert counts(summary) == {"qbo": ("succeeded", 1, 1, 0), "xero": ("failed", 0, 0, 0)}
    assert summary.message.startswith("Xero's daily limit of requests is used up: sync again after ")
    assert summary.message.endswith("QuickBooks finished: 1 documents read, all applied or already up to date.")
    assert summary.outcome_words.startswith("Stopped: Xero's daily limit of requests is used up")
    xero, qbo = (db.session.scalar(select(Connection).where(Connection.provider == p)) for p in ("xero", "qbo"))
    assert xero is not None and qbo is not None
    assert xero.synced_through is None and qbo.synced_through is not None  # only QuickBooks moved on
    assert costs("qbo") == {"q1": Decimal("2175.00")}  # 15 @ 145: the earlier Xero sale is not in yet
    db.session.rollback()

    world["xero"].fail = None
    summary = sync(ctx)
    assert summary.outcome == "succeeded" and counts(summary)["xero"] == ("succeeded", 1, 1, 0)
    assert (costs("qbo"), costs("xero")) == ({"q1": Decimal("2190.00")}, {"x1": Decimal("1450.00")})


def test_a_switched_off_channel_is_left_out_quietly_and_an_expired_one_is_named(ctx, world) -> None:  # type: ignore[no-untyped-def]
    world["qbo"].put(doc("q1", [line("1", "1", "200")], day=FEB))
    world["xero"].put(doc("x1", [line("X-A", "1", "200")], day=FEB))
    xero = db.session.scalar(select(Connection).where(Connection.provider == "xero"))
    assert xero is not None
    xero.active = False
    db.session.commit()

    summary = sync(ctx)
    assert [c.channel for c in summary.channels] == ["qbo"] and costs("xero") == {}
    assert summary.message == "Finished: 1 documents read, all applied or already up to date."
    assert world["xero"].calls == []  # not even asked

    xero = db.session.scalar(select(Connection).where(Connection.provider == "xero"))
    assert xero is not None
    xero.active, xero.status = True, "expired"
    db.session.commit()
    summary = sync(ctx)
    assert summary.outcome == "succeeded" and [c.channel for c in summary.channels] == ["qbo"]
    assert summary.message.endswith("Not synced: Xero connection expired - Reconnect in Settings to sync again. Your data is kept.")
    assert (
        db.session.scalar(select(SyncRunChannel.source).where(SyncRunChannel.run_id == summary.run_id, SyncRunChannel.source == "xero"))
        is None
    )


def test_only_xero_connected_syncs_xero(ctx, world) -> None:  # type: ignore[no-untyped-def]
    qbo = db.session.scalar(select(Connection).where(Connection.provider == "qbo"))
    assert qbo is not None
    qbo.status = "disconnected"
    db.session.commit()
    world["xero"].put(doc("x1", [line("X-A", "10", "2000")], day=FEB))
    summary = sync(ctx)
    assert [c.channel for c in summary.channels] == ["xero"] and summary.message == (
        "Finished: 1 documents read, all applied or already up to date."
    )
    assert costs("xero") == {"x1": Decimal("1450.00")}


def test_a_xero_draft_is_no_sale_and_one_sent_back_to_draft_is_reversed(ctx, world) -> None:  # type: ignore[no-untyped-def]
    """DRAFT and SUBMITTED are not sales (XERO.md): never recorded; an approved one sent back is undone."""
    draft = doc("x1", [line("X-A", "10", "2000")], day=FEB, status=DocumentStatus.DRAFT)
    world["xero"].put(draft)
    summary = sync(ctx)
    assert counts(summary)["xero"] == ("succeeded", 1, 0, 0)
    assert db.session.scalar(select(Sale.id).where(Sale.source == "xero")) is None  # nothing recorded, nothing voided

    world["xero"].put(doc("x1", [line("X-A", "10", "2000")], day=FEB))  # approved
    assert sync(ctx).created == 1 and costs("xero") == {"x1": Decimal("1450.00")}
    world["xero"].put(draft)  # sent back to draft
    assert sync(ctx).voided == 1
    sale = db.session.scalar(select(Sale).where(Sale.source == "xero"))
    assert sale is not None and (sale.status, sale.cost) == ("voided", Decimal(0))
    assert lots_left()[:2] == [Decimal(20), Decimal(30)]
    notes = [r.summary for r in db.session.scalars(select(SaleRevision).where(SaleRevision.sale_id == sale.id).order_by(SaleRevision.id))]
    assert notes[-1] == "Sent back to draft upstream: not a sale until it is approved again"
    world["xero"].put(doc("x1", [line("X-A", "10", "2000")], day=FEB))  # approved again
    assert sync(ctx).updated == 1 and costs("xero") == {"x1": Decimal("1450.00")}


def test_retrying_after_a_xero_item_is_linked_reads_only_xero(ctx, world) -> None:  # type: ignore[no-untyped-def]
    """Item "5" of each book is unlinked and each book has a sale waiting on it: linking Xero's retries
    Xero's sale alone (the ids are the same, the items are not)."""
    from partsemble.sync.start import retry_waiting  # noqa: PLC0415

    world["qbo"].items["5"] = ItemRecord("5", "Soap (QuickBooks)", "Inventory", True, "SOAP-Q")
    world["xero"].items["5"] = ItemRecord("5", "Soap (Xero)", "Inventory", True, "SOAP-X")
    world["qbo"].put(doc("q5", [line("5", "1", "9", name="Soap (QuickBooks)")], day=FEB))
    world["xero"].put(doc("x5", [line("5", "2", "18", name="Soap (Xero)")], day=FEB))
    summary = sync(ctx)
    assert sorted((p.channel, p.external_id) for p in summary.problems) == [("qbo", "q5"), ("xero", "x5")]

    xero_soap = db.session.scalar(select(AccountingItem).where(AccountingItem.source == "xero", AccountingItem.external_id == "5"))
    assert xero_soap is not None
    soap = factories.product("SOAP-X", "Soap")
    factories.lot(soap, "10", "3", date(2026, 1, 1))
    xero_soap.product_id = soap.id
    db.session.commit()
    world["qbo"].calls.clear()
    retried = retry_waiting(db.session, ctx.config, open_source, ["5"], channel="xero")
    db.session.rollback()

    assert retried is not None and [c.channel for c in retried.channels] == ["xero"] and retried.created == 1
    assert world["qbo"].calls == []
    assert costs("xero") == {"x5": Decimal("6.00")}  # 2 soaps @ 3
    assert db.session.execute(select(FailedDocument.source, FailedDocument.external_id)).tuples().all() == [("qbo", "q5")]
    assert retry_waiting(db.session, ctx.config, open_source, ["5"], channel="xero") is None  # nothing waits on it now


def test_pages_use_each_systems_words_and_name_the_channel(ctx, world, admin) -> None:  # type: ignore[no-untyped-def]
    """A Xero credit note is a credit note and its Receive Money is Receive Money, on the sale's page and in
    the problem list; a problem names its channel when there are several; the panel does not repeat itself."""
    world["xero"].put(doc("xr", [line("X-A", "1", "200")], day=FEB, doc_type=DocumentType.SALES_RECEIPT, number="RM-1"))
    world["xero"].put(doc("xc", [line("X-S", "1", "5", name="Soap")], day=FEB, doc_type=DocumentType.CREDIT_MEMO, number="CN-9"))
    world["qbo"].put(doc("qc", [line("1", "1", "200")], day=FEB, doc_type=DocumentType.SALES_RECEIPT, number="SR-1"))
    sync(ctx)
    receipt = db.session.scalar(select(Sale.id).where(Sale.source == "xero", Sale.external_id == "xr"))
    page = admin.get(f"/sales/{receipt}").get_data(as_text=True)
    assert "Receive Money RM-1" in page and 'data-channel="xero">Xero</span>' in page
    qbo_receipt = db.session.scalar(select(Sale.id).where(Sale.source == "qbo", Sale.external_id == "qc"))
    db.session.rollback()
    assert "Sales receipt SR-1" in admin.get(f"/sales/{qbo_receipt}").get_data(as_text=True)

    panel = admin.get("/sales/").get_data(as_text=True)
    assert "Credit note CN-9" in panel and '<span class="badge" data-channel="xero">Xero</span> <strong>Item' in panel
    assert "data-sync-message" not in panel  # a finished run of two channels: the per-channel lines say it all
    assert 'data-channel="qbo"><strong>QuickBooks</strong>: 1 read, created 1' in panel


def test_the_command_line_summary_has_a_line_per_channel(ctx, world) -> None:  # type: ignore[no-untyped-def]
    world["qbo"].put(doc("q1", [line("1", "1", "200")], day=FEB))
    world["xero"].put(doc("xc", [line("X-S", "1", "5", name="Soap")], day=FEB, doc_type=DocumentType.CREDIT_MEMO, number="CN-9"))
    result = ctx.test_cli_runner().invoke(args=["sync"])
    assert result.exit_code == 0
    assert result.output.splitlines()[:3] == [
        "Finished with 1 problem: created 1, updated 0, voided 0, skipped 0, errors 1, re-costed 0",
        "  QuickBooks: Finished: read 1, created 1, updated 0, voided 0, skipped 0, errors 0",
        "  Xero: Finished with 1 problem: read 1, created 0, updated 0, voided 0, skipped 0, errors 1",
    ]
    assert "  Xero Credit note CN-9 (Acme Stores): [item_not_linked] Item 'Soap' is not linked to a product" in result.output


def test_the_preview_shows_both_channels_costed_as_the_sync_will(ctx, world, admin) -> None:  # type: ignore[no-untyped-def]
    """The preview reads QuickBooks then Xero in one rolled-back transaction, so it shows the Xero sale's
    draws as the sync will make them, and changes nothing."""
    from partsemble.sync.start import preview_now  # noqa: PLC0415

    world["qbo"].put(doc("q1", [line("1", "15", "3000")], day=date(2026, 2, 2)))
    world["xero"].put(doc("x1", [line("X-A", "10", "2000")], day=FEB, doc_type=DocumentType.CREDIT_MEMO, number="CN-1"))
    world["xero"].put(doc("x2", [line("X-A", "10", "2000")], day=date(2026, 2, 3), number="INV-2"))
    preview = preview_now(db.session, ctx.config, open_source)
    db.session.rollback()
    assert [(r.channel, r.number, r.action, r.cost) for r in preview.rows] == [
        ("qbo", "INV-q1", "create", Decimal("2175.00")),  # 15 @ 145
        # Nothing sold to return before it: 10 back at the average of the lots before its date, (2900 + 4440) / 50.
        ("xero", "CN-1", "create", Decimal("-1468.00")),
        ("xero", "INV-2", "create", Decimal("1465.00")),  # the 5 @ 145 QuickBooks' sale left, then 5 @ 148
    ]
    assert db.session.scalar(select(Sale.id)) is None  # nothing written
    html = admin.post("/sales/preview", {}).get_data(as_text=True)
    assert '<td data-label="Channel">Xero</td>' in html and "Credit note CN-1" in html


def test_the_sync_history_names_the_channels_each_run_read(ctx, world, admin) -> None:  # type: ignore[no-untyped-def]
    world["qbo"].put(doc("q1", [line("1", "1", "200")], day=FEB))

    def day_limit(call: str, page: int) -> None:
        raise DailyLimitReached("day limit", resume_at=world["xero"].now())

    world["xero"].fail = day_limit
    sync(ctx)
    world["xero"].fail = None
    xero = db.session.scalar(select(Connection).where(Connection.provider == "xero"))
    assert xero is not None
    xero.active = False
    db.session.commit()
    sync(ctx)
    rows = admin.get("/sales/runs").get_data(as_text=True).split('<td data-label="#">')[1:]
    assert len(rows) == 2  # newest first: QuickBooks alone, then both with Xero's part stopped
    assert '<span class="" data-channel="qbo">QuickBooks</span></td>' in rows[0] and 'data-channel="xero"' not in rows[0]
    assert '<span class="error-text" data-channel="xero">Xero</span>' in rows[1]
