"""Connecting QuickBooks: OAuth state, token exchange, encryption at rest, refresh, expiry, disconnect."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sqlalchemy import select, text

from partsemble.extensions import db
from partsemble.models.base import utcnow
from partsemble.models.sync import Connection

API = "https://qbo.test/v3"
TOKEN_URL = "https://oauth.test/tokens/bearer"
REVOKE_URL = "https://oauth.test/revoke"
AUTH_URL = "https://appcenter.test/connect/oauth2"
ACCESS, REFRESH = "access-SECRET-111", "refresh-SECRET-222"


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    app_config.update(
        QBO_CLIENT_ID="client-1",
        QBO_CLIENT_SECRET="client-secret-XYZ",
        QBO_API_BASE=API,
        QBO_TOKEN_URL=TOKEN_URL,
        QBO_REVOKE_URL=REVOKE_URL,
        QBO_AUTH_URL=AUTH_URL,
    )
    return app_config


def tokens(access: str = ACCESS, refresh: str = REFRESH) -> dict[str, object]:
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": 3600,
        "x_refresh_token_expires_in": 8726400,
    }


def company(name: str = "Juniper & Wick Co.") -> dict[str, object]:
    return {"CompanyInfo": {"CompanyName": name, "Id": "1"}, "time": "2026-11-26T10:00:00.000-08:00"}


def start(admin, when: str = "2026-01-01") -> str:  # type: ignore[no-untyped-def]
    response = admin.post("/connections/qbo/connect", {"initial_sync_date": when})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(AUTH_URL)
    query = parse_qs(urlsplit(location).query)
    assert query["client_id"] == ["client-1"] and query["response_type"] == ["code"]
    assert query["scope"] == ["com.intuit.quickbooks.accounting"]
    assert query["redirect_uri"] == ["http://localhost/connections/qbo/callback"]
    return query["state"][0]


@responses.activate
def test_connect_stores_encrypted_tokens_and_lands_on_settings_connected(app, admin, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    responses.post(TOKEN_URL, json=tokens())
    responses.get(f"{API}/company/9341/companyinfo/9341", json=company())
    responses.get(f"{API}/company/9341/query", json={"QueryResponse": {}, "time": "2026-11-26T10:00:00.000-08:00"})
    state = start(admin)
    landed = admin.get(f"/connections/qbo/callback?code=abc&state={state}&realmId=9341")
    assert landed.status_code == 302 and landed.headers["Location"] == "/settings/connection"
    page = admin.get("/settings/connection").get_data(as_text=True)
    assert "Connected to Juniper &amp; Wick Co." in page
    exchange = responses.calls[0].request
    assert exchange.headers["Authorization"].startswith("Basic ")
    assert parse_qs(exchange.body) == {
        "grant_type": ["authorization_code"],
        "code": ["abc"],
        "redirect_uri": ["http://localhost/connections/qbo/callback"],
    }
    with app.app_context():
        raw = db.session.execute(text("SELECT access_token_enc, refresh_token_enc, realm_id, initial_sync_date FROM connections")).one()
        assert ACCESS not in raw[0] and REFRESH not in raw[1] and raw[0].startswith("gAAAA")
        assert raw[2] == "9341" and str(raw[3]) == "2026-01-01"
    assert ACCESS not in page and REFRESH not in page
    assert not any(secret in record.getMessage() for record in caplog.records for secret in (ACCESS, REFRESH, "client-secret-XYZ"))


def test_a_state_mismatch_stores_nothing(app, admin) -> None:  # type: ignore[no-untyped-def]
    start(admin)
    response = admin.get("/connections/qbo/callback?code=abc&state=forged&realmId=9341")
    assert response.status_code == 302
    assert "state mismatch" in admin.get("/settings/connection").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Connection)) is None


def test_cancel_on_the_authorize_page_stores_nothing(app, admin) -> None:  # type: ignore[no-untyped-def]
    state = start(admin)
    admin.get(f"/connections/qbo/callback?error=access_denied&state={state}")
    assert "cancelled" in admin.get("/settings/connection").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Connection)) is None


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_admins_connect(app, browser_for, role) -> None:  # type: ignore[no-untyped-def]
    b = browser_for(role)
    assert b.get("/settings/connection").status_code == 403
    assert b.post("/connections/qbo/connect", {"initial_sync_date": "2026-01-01"}).status_code == 403


def test_initial_sync_date_is_required(app, admin) -> None:  # type: ignore[no-untyped-def]
    html = admin.post("/connections/qbo/connect", {"initial_sync_date": ""}).get_data(as_text=True)
    assert "Initial sync date is required" in html


def connected(app, realm: str = "9341", expires_in: timedelta = timedelta(hours=1), data: bool = False) -> None:  # type: ignore[no-untyped-def]
    from partsemble.connections.tokens import TokenCipher
    from partsemble.models.catalog import AccountingItem

    with app.app_context():
        cipher = TokenCipher(app.config)
        db.session.add(
            Connection(
                provider="qbo",
                realm_id=realm,
                company_name="Old Co",
                status="connected",
                access_token_enc=cipher.encrypt(ACCESS),
                refresh_token_enc=cipher.encrypt(REFRESH),
                access_expires_at=utcnow() + expires_in,
                initial_sync_date=date(2026, 1, 1),
            )
        )
        if data:
            db.session.add(AccountingItem(source="qbo", external_id="1", name="Candle", item_type="Inventory"))
        db.session.commit()


@responses.activate
def test_connecting_a_different_company_is_refused_while_data_is_stored(app, admin) -> None:  # type: ignore[no-untyped-def]
    connected(app, realm="1111", data=True)
    responses.post(TOKEN_URL, json=tokens())
    responses.get(f"{API}/company/2222/companyinfo/2222", json=company("Other"))
    state = start(admin)
    admin.get(f"/connections/qbo/callback?code=abc&state={state}&realmId=2222")
    page = admin.get("/settings/connection").get_data(as_text=True)
    assert "one company per installation" in page
    with app.app_context():
        assert db.session.scalar(select(Connection.realm_id)) == "1111"


@responses.activate
def test_an_expiring_token_is_refreshed_and_the_new_pair_stored_at_once(app) -> None:  # type: ignore[no-untyped-def]
    from partsemble.connections.source import open_source
    from partsemble.connections.tokens import TokenCipher

    connected(app, expires_in=timedelta(minutes=2))
    responses.post(TOKEN_URL, json=tokens("access-NEW", "refresh-NEW"))
    responses.get(f"{API}/company/9341/query", json={"QueryResponse": {}, "time": "2026-11-26T10:00:00.000-08:00"})
    with app.app_context():
        list(open_source(app.config).list_items())
        db.session.rollback()  # the refresh committed on its own connection
        row = db.session.scalar(select(Connection))
        cipher = TokenCipher(app.config)
        assert cipher.decrypt(row.refresh_token_enc) == "refresh-NEW"
        assert cipher.decrypt(row.access_token_enc) == "access-NEW"
    assert parse_qs(responses.calls[0].request.body)["refresh_token"] == [REFRESH]
    assert responses.calls[1].request.headers["Authorization"] == "Bearer access-NEW"


@responses.activate
def test_a_401_refreshes_once_and_retries(app) -> None:  # type: ignore[no-untyped-def]
    from partsemble.connections.source import open_source

    connected(app)
    responses.get(
        f"{API}/company/9341/query",
        status=401,
        json={"fault": {"error": [{"message": "message=AuthenticationFailed", "code": "3200"}], "type": "AUTHENTICATION"}},
    )
    responses.get(f"{API}/company/9341/query", json={"QueryResponse": {}, "time": "2026-11-26T10:00:00.000-08:00"})
    responses.post(TOKEN_URL, json=tokens("access-NEW", "refresh-NEW"))
    with app.app_context():
        assert list(open_source(app.config).list_items()) == []
    assert [c.request.url.split("?")[0] for c in responses.calls] == [f"{API}/company/9341/query", TOKEN_URL, f"{API}/company/9341/query"]


@responses.activate
def test_invalid_grant_marks_the_connection_expired_and_pages_say_reconnect(app, admin) -> None:  # type: ignore[no-untyped-def]
    from partsemble.connections.source import open_source
    from partsemble.connectors.errors import ReconnectRequired

    connected(app, expires_in=timedelta(seconds=10))
    responses.post(TOKEN_URL, status=400, json={"error": "invalid_grant"})
    with app.app_context():
        with pytest.raises(ReconnectRequired):
            list(open_source(app.config).list_items())
        db.session.rollback()
        assert db.session.scalar(select(Connection.status)) == "expired"
    for page in ("/settings/connection", "/sales/"):
        assert "QuickBooks connection expired - Reconnect" in admin.get(page).get_data(as_text=True)


@responses.activate
def test_disconnect_revokes_and_forgets_the_tokens_but_keeps_data(app, admin) -> None:  # type: ignore[no-untyped-def]
    connected(app, data=True)
    responses.post(REVOKE_URL, status=200)
    assert admin.post("/connections/qbo/disconnect").status_code == 302
    assert json.loads(responses.calls[0].request.body) == {"token": REFRESH}
    with app.app_context():
        row = db.session.scalar(select(Connection))
        assert (row.status, row.access_token_enc, row.refresh_token_enc, row.realm_id) == ("disconnected", "", "", "9341")


def test_tokens_cannot_be_read_without_the_key(app) -> None:  # type: ignore[no-untyped-def]
    from partsemble.connections.tokens import TokenCipher, TokenKeyError

    connected(app)
    with app.app_context():
        stored = db.session.scalar(select(Connection.refresh_token_enc))
    other = TokenCipher({"SECRET_KEY": "another-secret", "TOKEN_KEY": ""})
    with pytest.raises(TokenKeyError):
        other.decrypt(stored)


def test_rotating_the_token_key_keeps_tokens_readable(app) -> None:  # type: ignore[no-untyped-def]
    from partsemble.connections.services import rotate_token_key
    from partsemble.connections.tokens import TokenCipher

    connected(app)
    rotated = dict(app.config, TOKEN_KEY="a brand new token key", TOKEN_KEY_PREVIOUS="")
    with app.app_context():
        assert rotate_token_key(db.session, rotated) is True
        stored = db.session.scalar(select(Connection.refresh_token_enc))
    assert TokenCipher({"SECRET_KEY": "unrelated", "TOKEN_KEY": "a brand new token key"}).decrypt(stored) == REFRESH


def test_the_connect_step_suggests_the_start_of_the_year_and_says_what_the_date_does(app, admin) -> None:  # type: ignore[no-untyped-def]
    html = admin.get("/settings/connection").get_data(as_text=True)
    assert f'value="{date.today().year}-01-01"' in html
    assert "dated on or after this day are pulled in and costed from your lots" in html
    assert "You can move it earlier later" in html


def test_after_a_sync_the_settings_move_the_date_earlier_and_refuse_a_later_one(app, admin) -> None:  # type: ignore[no-untyped-def]
    from partsemble.models.sync import SyncRun, SyncRunChannel

    connected(app)
    with app.app_context():
        run = SyncRun(status="succeeded", started_by="ana@example.com")
        db.session.add(run)
        db.session.flush()
        db.session.add(SyncRunChannel(run_id=run.id, source="qbo", status="succeeded"))
        db.session.commit()
    refused = admin.post("/settings/connection", {"initial_sync_date": "2026-02-01", "restock_credit_memos": "y"})
    assert refused.status_code == 400
    assert "can only move earlier now that QuickBooks has synced" in refused.get_data(as_text=True)
    with app.app_context():  # that sync read everything from 2026-01-01 on
        db.session.execute(text("UPDATE connections SET synced_from = initial_sync_date"))
        db.session.commit()
    moved = admin.post("/settings/connection", {"initial_sync_date": "2025-07-01", "restock_credit_memos": "y"})
    assert moved.status_code == 302
    page = admin.get("/settings/connection").get_data(as_text=True)
    assert "The next sync pulls the sales dated from" in page
    with app.app_context():
        assert db.session.scalar(select(Connection.initial_sync_date)) == date(2025, 7, 1)
