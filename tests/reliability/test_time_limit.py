"""A sync started from the web never holds its worker much past SYNC_TIME_LIMIT, however
slowly QuickBooks answers: it stops, records why, and keeps what it finished."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from partsemble.extensions import db
from partsemble.lots.check import find_violations
from partsemble.models.sync import SyncLock
from tests.reliability.history import last_run

LIMIT = Decimal("0.5")
BUDGET = Decimal("1")
READ_TIMEOUT = Decimal("0.5")
MARGIN = Decimal("2")  # app start-up of the request, the last document's commit, the panel


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    app_config.update(SYNC_TIME_LIMIT=str(LIMIT), QBO_RETRY_BUDGET=str(BUDGET), QBO_READ_TIMEOUT=str(READ_TIMEOUT), QBO_PAGE_SIZE=10)
    return app_config


SLOW = [
    pytest.param("1.2", "did not answer properly", id="every answer slower than the read timeout"),
    pytest.param("0.3", "Stopped after", id="every answer slow but within the read timeout"),
]


@pytest.mark.parametrize(("delay", "says"), SLOW)
def test_a_slow_upstream_stops_the_web_sync_within_its_limit(app, live, sandbox, stocked, member, delay, says) -> None:  # type: ignore[no-untyped-def]
    sandbox.add_fault("all", "slow", delay=delay)
    started = time.monotonic()
    response = member.post("/sales/sync", htmx=True)
    took = Decimal(str(time.monotonic() - started))
    assert response.status_code == 200
    run = last_run(app)
    assert run.status == "failed" and says in run.message, run.message
    assert took <= LIMIT + BUDGET + MARGIN, f"POST /sales/sync held the worker {took}s"
    with app.app_context():
        assert db.session.scalar(select(SyncLock.run_id)) is None
        assert find_violations(db.session) == []
        db.session.remove()
