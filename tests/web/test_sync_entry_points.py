"""Every way to start a sync goes through sync.start and says the same thing when it cannot start.

Sync Now (page and htmx), Retry, linking an item, creating finished goods from many items, the
item-list refresh, the connect callback and the CLI: a busy sync, a connection that is not ready
and stored tokens the configured key cannot open each give one clear message, never a 500, and
record no run. Linking many items at once retries their waiting documents in one run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
import responses
from flask import Flask
from sqlalchemy import func, select

from partsemble.connections.tokens import TokenCipher
from partsemble.connectors.memory import InMemorySource
from partsemble.domain.documents import ItemRecord
from partsemble.extensions import db
from partsemble.models.base import utcnow
from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.sales import Sale
from partsemble.models.sync import Connection, FailedDocument, SyncRun
from tests import factories
from tests.documents import doc, line

API = "https://qbo.test/v3"
TOKEN_URL = "https://oauth.test/tokens/bearer"

MESSAGES = {
    "busy": re.compile(r"A sync is already running \(started \d\d:\d\d UTC by ana@example\.com\)\."),
    "not_ready": re.compile(re.escape("QuickBooks is not connected. An admin can connect it in Settings.")),
    "token_key": re.compile(
        re.escape(
            "The stored QuickBooks or Xero tokens cannot be decrypted with PARTSEMBLE_TOKEN_KEY "
            "(or the secret key). Restore the previous key, or reconnect in Settings."
        )
    ),
}


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    app_config.update(
        QBO_CLIENT_ID="client-1",
        QBO_CLIENT_SECRET="client-secret-XYZ",
        QBO_API_BASE=API,
        QBO_TOKEN_URL=TOKEN_URL,
        QBO_REVOKE_URL="https://oauth.test/revoke",
        QBO_AUTH_URL="https://appcenter.test/connect/oauth2",
    )
    return app_config


def blocked(app: Flask, state: str) -> None:
    """Two unlinked items with a document waiting on each, and a sync that cannot start because of `state`."""
    from partsemble.sync.service import SyncRequest, SyncSettings, start_run

    with app.app_context():
        factories.product("SOAP-L", "Lavender Soap")
        for item_id, name in (("4", "Lavender Soap 200g"), ("5", "Rose Soap")):
            db.session.add(AccountingItem(source="qbo", external_id=item_id, name=name, item_type="Inventory"))
            db.session.add(
                FailedDocument(
                    external_type="Invoice",
                    external_id=f"9{item_id}",
                    code="item_not_linked",
                    message=f"Item '{name}' is not linked to a product",
                    item_external_id=item_id,
                    item_name=name,
                )
            )
        if state != "not_ready":
            key = {"SECRET_KEY": "another-secret", "TOKEN_KEY": ""} if state == "token_key" else app.config
            cipher = TokenCipher(key)
            db.session.add(
                Connection(
                    provider="qbo",
                    realm_id="9341",
                    status="connected",
                    initial_sync_date=date(2026, 1, 1),
                    access_token_enc=cipher.encrypt("access-1"),
                    refresh_token_enc=cipher.encrypt("refresh-1"),
                    access_expires_at=utcnow() + timedelta(hours=1),
                )
            )
        db.session.commit()
        if state == "busy":
            start_run(db.session, SyncRequest(user_email="ana@example.com"), SyncSettings())
        db.session.remove()


def shown_after(browser, response) -> str:  # type: ignore[no-untyped-def]
    """The page a redirect lands on (where the flashed message is shown)."""
    assert response.status_code == 302, response.status_code
    return browser.get(response.headers["Location"]).get_data(as_text=True)


def sync_now_htmx(app, member) -> str:  # type: ignore[no-untyped-def]
    response = member.post("/sales/sync", htmx=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def sync_now_page(app, member) -> str:  # type: ignore[no-untyped-def]
    return shown_after(member, member.post("/sales/sync"))


def retry(app, member) -> str:  # type: ignore[no-untyped-def]
    response = member.post("/sales/sync/retry", {"item_id": "4"}, htmx=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def link_item(app, member) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        soap_id = db.session.scalar(select(Product.id).where(Product.sku == "SOAP-L"))
    return shown_after(member, member.post("/items/4/link", {"product_id": str(soap_id)}))


def bulk_create(app, member) -> str:  # type: ignore[no-untyped-def]
    return shown_after(member, member.post("/items/bulk-create", {"item": ["4", "5"]}))


def cli_sync(app, member) -> str:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["sync", "--json"])
    assert result.exit_code == 2, result.output
    data = json.loads(result.output)
    assert data["outcome"] == "not_started"
    return str(data["message"])


def refresh_items(app, member) -> str:  # type: ignore[no-untyped-def]
    return shown_after(member, member.post("/items/refresh"))


def cli_refresh_items(app, member) -> str:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["qbo", "refresh-items"])
    assert result.exit_code == 1, result.output
    return result.output


SYNC_CALLERS = [sync_now_htmx, sync_now_page, retry, link_item, bulk_create, cli_sync]
# Refreshing the item list takes no sync lock: only "not ready" and the token key can stop it.
REFRESH_CALLERS = [refresh_items, cli_refresh_items]
CASES = [(c, s) for c in SYNC_CALLERS for s in ("busy", "not_ready", "token_key")] + [
    (c, s) for c in REFRESH_CALLERS for s in ("not_ready", "token_key")
]


@pytest.mark.parametrize(("caller", "state"), CASES, ids=[f"{c.__name__}-{s}" for c, s in CASES])
def test_a_sync_that_cannot_start_says_why_in_the_same_words_everywhere(app, member, caller: Callable[..., str], state: str) -> None:  # type: ignore[no-untyped-def]
    blocked(app, state)
    shown = caller(app, member)
    assert MESSAGES[state].search(shown), shown[:3000]
    with app.app_context():  # nothing was started: no run recorded but the one holding the lock
        assert db.session.scalar(select(func.count(SyncRun.id))) == (1 if state == "busy" else 0)
        assert db.session.scalar(select(func.count(FailedDocument.id))) == 2


def test_linking_an_item_says_the_waiting_documents_wait_for_the_next_sync(app, member) -> None:  # type: ignore[no-untyped-def]
    blocked(app, "busy")
    page = link_item(app, member)
    assert "is linked to Lavender Soap" in page
    assert re.search(
        r"The waiting documents were not retried: A sync is already running \(started \d\d:\d\d UTC by "
        r"ana@example\.com\)\. The next sync retries them\.",
        page,
    )


@responses.activate
def test_the_item_list_refresh_and_the_connect_callback_say_the_same_when_quickbooks_fails(app, admin) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import parse_qs, urlsplit

    responses.post(
        TOKEN_URL,
        json={
            "access_token": "access-1",
            "refresh_token": "refresh-1",
            "token_type": "bearer",
            "expires_in": 3600,
            "x_refresh_token_expires_in": 8726400,
        },
    )
    responses.get(f"{API}/company/9341/companyinfo/9341", json={"CompanyInfo": {"CompanyName": "Juniper", "Id": "1"}})
    responses.get(
        f"{API}/company/9341/query",
        status=400,
        json={"Fault": {"Error": [{"Message": "Item list refused", "code": "4000"}], "type": "ValidationFault"}},
    )
    start = admin.post("/connections/qbo/connect", {"initial_sync_date": "2026-01-01"})
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    landed = shown_after(admin, admin.get(f"/connections/qbo/callback?code=abc&state={state}&realmId=9341"))
    assert "Connected to Juniper" in landed
    said = re.search(
        r"Connected, but the item list could not be read yet: (QuickBooks did not answer properly \([^)]*\)\. "
        r"Try again in a minute\.) Refresh it on the Accounting items page\.",
        landed,
    )
    assert said, landed[:3000]
    refreshed = shown_after(admin, admin.post("/items/refresh"))
    assert said.group(1) in refreshed


@pytest.fixture
def waiting(app, member):  # type: ignore[no-untyped-def]
    """Four unlinked items; one Sync Now leaves five invoices failed: two wait on item 4, one on 5, 6 and 7 each."""
    source = InMemorySource([ItemRecord(i, f"Soap {i}", "Inventory") for i in ("4", "5", "6", "7")])
    app.config["SALES_SOURCE_FACTORY"] = lambda: source
    with app.app_context():
        db.session.add(Connection(provider="qbo", realm_id="1", status="connected", initial_sync_date=date(2026, 1, 1)))
        for item_id in ("4", "5", "6", "7"):
            db.session.add(AccountingItem(source="qbo", external_id=item_id, name=f"Soap {item_id}", item_type="Inventory"))
        db.session.commit()
    for number, item_id in enumerate(("4", "4", "5", "6", "7"), start=1):
        source.put(doc(str(number), [line(item_id, "1", "10", name=f"Soap {item_id}")], number=f"100{number}", day=date(2026, 2, number)))
    member.post("/sales/sync", htmx=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(FailedDocument.id))) == 5
    return source


def test_creating_products_for_many_items_retries_their_documents_in_one_run(app, member, waiting) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        runs_before = db.session.scalar(select(func.count(SyncRun.id)))
    response = member.post("/items/bulk-create", {"item": ["4", "5", "6"]})
    with app.app_context():
        runs = list(db.session.scalars(select(SyncRun).order_by(SyncRun.id)))
        assert len(runs) == runs_before + 1
        # The one run read exactly the four documents waiting on the chosen items, not the one on item 7.
        assert (runs[-1].trigger, runs[-1].status, runs[-1].fetched) == ("web", "succeeded", 4)
        assert list(db.session.scalars(select(FailedDocument.item_external_id))) == ["7"]
        assert db.session.scalar(select(func.count(Sale.id))) == 4
    page = shown_after(member, response)
    assert "3 finished goods created and linked." in page
    assert "Retried the waiting documents: 4 applied." in page


def test_linking_items_nothing_waits_on_starts_no_run(app, member, waiting) -> None:  # type: ignore[no-untyped-def]
    from partsemble.connections.source import open_source
    from partsemble.sync.start import retry_waiting

    with app.app_context():
        runs_before = db.session.scalar(select(func.count(SyncRun.id)))
        assert retry_waiting(db.session, app.config, open_source, ["no-such-item", "1"]) is None
        assert retry_waiting(db.session, app.config, open_source, []) is None
        assert db.session.scalar(select(func.count(SyncRun.id))) == runs_before
