"""A run stopped by its source says which channel stopped it, and when a day limit frees up, in the book's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from partsemble.connectors.errors import AuthError, DailyLimitReached, Forbidden, RateLimited, ReconnectRequired, Transient
from partsemble.domain.documents import ItemRecord
from partsemble.extensions import db
from partsemble.models.settings import BookSettings
from partsemble.sync.service import SyncRequest, SyncSettings, _connector_message, run_sync
from tests.documents import doc, line
from tests.integration import candle_world

RESUME = datetime(2026, 3, 2, 23, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (
            DailyLimitReached("day limit", status=429, resume_at=RESUME),
            "Xero's daily limit of requests is used up: sync again after 12:40 (Pacific/Auckland).",
        ),
        (ReconnectRequired("invalid_grant"), "Xero connection expired - Reconnect in Settings."),
        (
            Forbidden("AuthorizationUnsuccessful", status=403),
            "Xero refused access to the connected organisation: it was disconnected in Xero, or a permission is missing. "
            "Reconnect Xero in Settings.",
        ),
        (AuthError("unauthorized", status=401), "Xero refused our access. Reconnect Xero in Settings."),
        (RateLimited("minute limit", status=429), "Xero is limiting how fast we may ask right now."),
        (Transient("bad gateway", status=502), "Xero did not answer properly (bad gateway)."),
    ],
)
def test_each_stop_names_the_channel(error, says) -> None:  # type: ignore[no-untyped-def]
    message = _connector_message(error, 7, "Xero", ZoneInfo("Pacific/Auckland"))
    assert message.startswith(says)
    assert "QuickBooks" not in message
    assert " 7 documents were finished before that and are kept" in message


def test_a_day_limit_stops_the_run_with_the_resume_time_in_the_books_zone(app) -> None:  # type: ignore[no-untyped-def]
    world = candle_world.build([ItemRecord("2", "Candle B", "Inventory", True, "CND-B")])
    db.session.merge(BookSettings(id=1, time_zone="America/New_York"))
    db.session.commit()
    src = world["source"]
    src.put(doc("first", [line("2", "3", "30")], day=date(2026, 2, 1)))

    def day_limit(call: str, page: int) -> None:
        raise DailyLimitReached("day limit", status=429, resume_at=RESUME)

    src.fail = day_limit
    summary = run_sync(db.session, src, SyncRequest(user_email="ana@example.com"), SyncSettings())
    assert summary.outcome == "failed"
    # 23:40 UTC on 2 March is 18:40 in New York (EST).
    assert summary.message.startswith("QuickBooks's daily limit of requests is used up: sync again after 18:40 (America/New_York).")
