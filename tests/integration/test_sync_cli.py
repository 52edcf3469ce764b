"""`partsemble sync` for cron: the same service, a summary, JSON, exit codes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from partsemble.connectors.memory import InMemorySource
from partsemble.domain.documents import ItemRecord
from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem
from partsemble.models.sync import Connection
from tests import factories
from tests.documents import doc, line


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    source = InMemorySource([ItemRecord("1", "Candle", "Inventory"), ItemRecord("4", "Soap", "Inventory")])
    app_config["SALES_SOURCE_FACTORY"] = lambda: source
    app_config["TEST_SOURCE"] = source
    return app_config


@pytest.fixture
def connected(app):  # type: ignore[no-untyped-def]
    p = factories.product("CND")
    factories.lot(p, "10", "2")
    db.session.add(Connection(provider="qbo", realm_id="1", status="connected", initial_sync_date=date(2026, 1, 1)))
    db.session.add(AccountingItem(source="qbo", external_id="1", name="Candle", item_type="Inventory", product_id=p.id))
    db.session.add(AccountingItem(source="qbo", external_id="4", name="Soap", item_type="Inventory"))
    db.session.commit()
    source = app.config["TEST_SOURCE"]
    source.put(doc("1", [line("1", "2", "20")], number="1001"))
    source.put(doc("2", [line("4", "1", "5", name="Soap")], number="1002", customer=("C2", "Bea's Shop")))
    return source


def test_json_summary_and_exit_zero_with_document_errors(app, connected) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["sync", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert {k: data[k] for k in ("created", "updated", "voided", "skipped", "outcome")} == {
        "created": 1,
        "updated": 0,
        "voided": 0,
        "skipped": 0,
        "outcome": "succeeded",
    }
    assert data["outcome_words"] == "Finished with 1 problem"
    assert data["errors"] == [
        {
            "channel": "qbo",
            "type": "Invoice",
            "number": "1002",
            "customer": "Bea's Shop",
            "code": "item_not_linked",
            "message": "Item 'Soap' is not linked to a product",
        }
    ]
    assert data["channels"] == {
        "qbo": {
            "outcome": "succeeded",
            "fetched": 2,
            "created": 1,
            "updated": 0,
            "voided": 0,
            "skipped": 0,
            "errors": 1,
            "recosted": 0,
            "message": "Finished: 2 documents read; 1 need your attention (see the list).",
        }
    }


def test_plain_summary_lists_the_errors(app, connected) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["sync"])
    assert "Finished with 1 problem: created 1, updated 0, voided 0, skipped 0, errors 1" in result.output
    assert "Invoice 1002 (Bea's Shop): [item_not_linked]" in result.output


def test_exit_two_when_it_cannot_start(app) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["sync", "--json"])
    assert result.exit_code == 2 and json.loads(result.output)["outcome"] == "not_started"


def test_exit_two_while_another_sync_holds_the_lock(app, connected) -> None:  # type: ignore[no-untyped-def]
    from partsemble.sync.service import SyncRequest, SyncSettings, start_run

    start_run(db.session, SyncRequest(user_email="ana@example.com"), SyncSettings())
    result = app.test_cli_runner().invoke(args=["sync"])
    assert result.exit_code == 2 and "already running" in result.output


def test_exit_one_when_the_sync_fails_as_a_whole(app, connected) -> None:  # type: ignore[no-untyped-def]
    from partsemble.connectors.errors import Transient

    def down(call: str, page: int) -> None:
        raise Transient("503 from QuickBooks")

    connected.fail = down
    result = app.test_cli_runner().invoke(args=["sync", "--json"])
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["outcome"] == "failed"
    assert data["outcome_words"] == "Stopped: QuickBooks did not answer properly (503 from QuickBooks)"
