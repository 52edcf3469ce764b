"""The initial sync date moves earlier at any time (the next sync backfills and costs in date order),
and later only before the first sync."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from partsemble.connections.services import save_settings
from partsemble.connectors.memory import InMemorySource
from partsemble.domain.documents import ItemRecord
from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem
from partsemble.models.sales import Sale
from partsemble.models.sync import Connection
from partsemble.sync.service import SyncRequest, SyncSettings, run_sync
from partsemble.validation import InputError
from tests import factories
from tests.documents import doc, line

D = Decimal


@pytest.fixture
def shop(app):  # type: ignore[no-untyped-def]
    candle = factories.product("CND-A", "Candle A")
    factories.lot(candle, "10", "100", date(2025, 6, 1))  # the older lot
    factories.lot(candle, "10", "200", date(2026, 1, 5))
    db.session.add(Connection(provider="qbo", realm_id="1", status="connected", initial_sync_date=date(2026, 1, 1)))
    db.session.add(AccountingItem(source="qbo", external_id="1", name="Candle A", item_type="Inventory", product_id=candle.id))
    db.session.commit()
    source = InMemorySource([ItemRecord("1", "Candle A", "Inventory", True, "CND-A")], page_size=2)
    source.put(doc("autumn", [line("1", "5", "500")], number="900", day=date(2025, 11, 1)))  # before the initial sync date
    source.put(doc("february", [line("1", "10", "1000")], number="1001", day=date(2026, 2, 1)))
    return source


def sync(source):  # type: ignore[no-untyped-def]
    return run_sync(db.session, source, SyncRequest(user_email="ana@example.com"), SyncSettings())


def cost_of(external_id: str) -> Decimal | None:
    return db.session.scalar(select(Sale.cost).where(Sale.external_id == external_id))


def test_moving_the_initial_sync_date_earlier_backfills_and_costs_in_date_order(shop) -> None:  # type: ignore[no-untyped-def]
    sync(shop)
    assert cost_of("february") == D("1000") and cost_of("autumn") is None  # 10 from the older lot at 100
    save_settings(db.session, "2025-10-01", True)
    backfill = sync(shop)  # nothing changed upstream: only the backfill window brings the autumn sale
    assert backfill.outcome == "succeeded" and backfill.created == 1 and backfill.recosted == 1
    assert cost_of("autumn") == D("500")  # 5 from the older lot at 100, drawn first by date
    assert cost_of("february") == D("1500")  # 5 left in the older lot at 100 + 5 from the newer at 200
    assert db.session.scalar(select(Connection.synced_from)) == date(2025, 10, 1)
    again = sync(shop)
    assert (again.created, again.updated, again.recosted) == (0, 0, 0)


def test_the_preview_shows_the_sales_a_backfill_brings(shop) -> None:  # type: ignore[no-untyped-def]
    from partsemble.sync.preview import preview_sync

    sync(shop)
    save_settings(db.session, "2025-10-01", True)
    rows = preview_sync(db.session, shop).rows
    assert [(row.number, row.action, row.cost) for row in rows if row.action == "create"] == [("900", "create", D("500"))]
    assert cost_of("autumn") is None  # a preview changes nothing


def test_moving_the_initial_sync_date_later_is_refused_after_the_first_sync(shop) -> None:  # type: ignore[no-untyped-def]
    save_settings(db.session, "2026-01-10", True)  # before any sync: allowed
    assert db.session.scalar(select(Connection.initial_sync_date)) == date(2026, 1, 10)
    sync(shop)
    with pytest.raises(InputError, match="can only move earlier now that QuickBooks has synced") as refused:
        save_settings(db.session, "2026-01-20", True)
    assert refused.value.field == "initial_sync_date"
    assert db.session.scalar(select(Connection.initial_sync_date)) == date(2026, 1, 10)


@pytest.mark.parametrize(("today", "since"), [(date(2026, 6, 30), "2026-01-01"), (date(2026, 2, 10), "2025-10-13")])
def test_the_demo_steps_name_an_initial_sync_date_that_reaches_the_demo_sales(app, today, since) -> None:  # type: ignore[no-untyped-def]
    from partsemble.demo import sandbox_steps

    steps = "\n".join(sandbox_steps(today))
    assert f"check that the initial sync date is {since} or earlier" in steps
    assert "it can be moved earlier later" in steps
