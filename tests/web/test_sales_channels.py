"""Settings > Sales channels: Manual always there, one channel per connection; a deactivated channel
is skipped by Sync Now with its data and cursor kept, and reactivated it resumes from that cursor."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from partsemble.domain.documents import ItemRecord
from partsemble.extensions import db
from partsemble.models.sales import Sale
from partsemble.models.sync import Connection, SyncRun
from partsemble.sync.errors import SyncNotReady
from partsemble.sync.service import SyncRequest, SyncSettings, connection_for_sync, run_sync
from tests.documents import doc, line
from tests.integration import candle_world


@pytest.fixture
def world(ctx, users):  # type: ignore[no-untyped-def]
    return candle_world.build([ItemRecord("2", "Candle B", "Inventory", True, "CND-B")])


def sync(source):  # type: ignore[no-untyped-def]
    return run_sync(db.session, source, SyncRequest(user_email="ana@example.com"), SyncSettings())


def qbo() -> Connection:
    """The QuickBooks connection as stored now; the read ends, so the pages' requests may write."""
    db.session.rollback()
    connection = db.session.scalar(select(Connection).where(Connection.provider == "qbo"))
    assert connection is not None
    db.session.expunge(connection)
    db.session.rollback()
    return connection


def test_the_page_lists_manual_and_each_connection(app, world, admin) -> None:  # type: ignore[no-untyped-def]
    db.session.add(Connection(provider="xero", realm_id="0b9d2a6e", company_name="Juniper NZ", status="expired"))
    db.session.add(Sale(source="manual", external_type="ManualSale", external_id="m1", version="1", txn_date=date(2026, 2, 1)))
    db.session.commit()
    db.session.rollback()
    page = admin.get("/settings/channels").get_data(as_text=True)
    rows = [part.split("</tr>")[0] for part in page.split('<tr data-channel="')[1:]]
    assert [row.split('"')[0] for row in rows] == ["manual", "qbo", "xero"]
    assert "Manual" in rows[0] and "Deactivate" not in rows[0]
    assert ">1</td>" in rows[0]  # its one sale
    assert "Juniper NZ" in rows[2] and "Expired" in rows[2]


def test_a_deactivated_channel_is_skipped_and_resumes_from_its_cursor(app, world, admin) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(doc("first", [line("2", "3", "30")], day=date(2026, 2, 1)))
    assert sync(src).created == 1
    db.session.rollback()
    cursor = qbo().synced_through
    assert cursor is not None

    assert admin.post("/settings/channels/qbo", {"active": "0"}).status_code == 302
    assert qbo().active is False
    assert "Deactivated" in admin.get("/settings/channels").get_data(as_text=True)
    with pytest.raises(SyncNotReady, match="QuickBooks is deactivated in Settings > Sales channels"):
        connection_for_sync(db.session)
    refused = admin.post("/sales/sync", {})
    assert db.session.scalar(select(SyncRun.id).order_by(SyncRun.id.desc()).limit(1)) == 1  # no run recorded
    db.session.rollback()
    assert refused.status_code == 302
    assert "QuickBooks is deactivated in Settings &gt; Sales channels" in admin.get("/sales/").get_data(as_text=True)
    assert qbo().synced_through == cursor  # kept
    assert db.session.scalar(select(Sale.status).where(Sale.external_id == "first")) == "active"  # data kept
    db.session.rollback()

    assert admin.post("/settings/channels/qbo", {"active": "1"}).status_code == 302
    src.put(doc("second", [line("2", "4", "40")], day=date(2026, 2, 2)))
    resumed = sync(src)
    assert (resumed.outcome, resumed.created) == ("succeeded", 1)
    run = db.session.get(SyncRun, resumed.run_id)
    assert run is not None and [(c.source, c.window_start) for c in run.channels] == [("qbo", cursor)]  # from where it stopped


def test_manual_cannot_be_switched_off_and_members_cannot_switch(app, world, browser_for) -> None:  # type: ignore[no-untyped-def]
    from partsemble.connections.channels import set_active
    from partsemble.validation import InputError

    with pytest.raises(InputError, match="Manual channel is always there"):
        set_active(db.session, "manual", False)
    db.session.rollback()
    assert browser_for("member").post("/settings/channels/qbo", {"active": "0"}).status_code == 403
    assert qbo().active is True
