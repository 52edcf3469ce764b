"""Connecting Xero: OAuth state, the code exchanged, the organisation chosen among several,
tokens encrypted at rest, a different organisation refused once data is held, disconnect."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from sqlalchemy import select, text

from partsemble.extensions import db
from partsemble.models.sales import Sale
from partsemble.models.sync import Connection

TOKEN_URL = "https://identity.xero.test/connect/token"
REVOKE_URL = "https://identity.xero.test/connect/revocation"
AUTH_URL = "https://login.xero.test/identity/connect/authorize"
CONNECTIONS_URL = "https://api.xero.test/connections"
ACCESS, REFRESH = "xero-access-SECRET-111", "xero-refresh-SECRET-222"
JUNIPER = {
    "id": "c-1",
    "tenantId": "0b9d2a6e-1111-4c1a-9d7e-0f6b8a2c4e91",
    "tenantType": "ORGANISATION",
    "tenantName": "Juniper & Wick Co.",
}
DEMO = {
    "id": "c-2",
    "tenantId": "7c4e5f10-2222-4c1a-9d7e-0f6b8a2c4e91",
    "tenantType": "ORGANISATION",
    "tenantName": "Demo Company (Global)",
}
PRACTICE = {"id": "c-3", "tenantId": "9d0e1f20-3333-4c1a-9d7e-0f6b8a2c4e91", "tenantType": "PRACTICEMANAGER", "tenantName": "Our practice"}


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    app_config.update(
        XERO_CLIENT_ID="xero-client-1",
        XERO_CLIENT_SECRET="xero-secret-XYZ",
        XERO_TOKEN_URL=TOKEN_URL,
        XERO_REVOKE_URL=REVOKE_URL,
        XERO_AUTH_URL=AUTH_URL,
        XERO_CONNECTIONS_URL=CONNECTIONS_URL,
        XERO_SCOPES=("offline_access", "accounting.invoices.read"),
    )
    return app_config


def granted() -> dict[str, object]:
    return {"access_token": ACCESS, "refresh_token": REFRESH, "token_type": "Bearer", "expires_in": 1800, "scope": "offline_access"}


def start(admin, when: str = "2026-02-01") -> str:  # type: ignore[no-untyped-def]
    response = admin.post("/connections/xero/connect", {"xero-initial_sync_date": when})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(AUTH_URL)
    query = parse_qs(urlsplit(location).query)
    assert query["client_id"] == ["xero-client-1"] and query["response_type"] == ["code"]
    assert query["scope"] == ["offline_access accounting.invoices.read"]
    assert query["redirect_uri"] == ["http://localhost/connections/xero/callback"]
    return query["state"][0]


def stored(app) -> Connection | None:  # type: ignore[no-untyped-def]
    with app.app_context():
        connection = db.session.scalar(select(Connection).where(Connection.provider == "xero"))
        db.session.expunge_all()
        return connection


@responses.activate
def test_one_organisation_connects_at_once_with_tokens_encrypted(app, admin) -> None:  # type: ignore[no-untyped-def]
    responses.post(TOKEN_URL, json=granted())
    responses.get(CONNECTIONS_URL, json=[JUNIPER, PRACTICE])
    state = start(admin)
    landed = admin.get(f"/connections/xero/callback?code=abc&state={state}")
    assert landed.status_code == 302 and landed.headers["Location"] == "/settings/connection"
    page = admin.get("/settings/connection").get_data(as_text=True)
    assert "Connected to Juniper &amp; Wick Co. (Xero)" in page
    assert parse_qs(responses.calls[0].request.body) == {
        "grant_type": ["authorization_code"],
        "code": ["abc"],
        "redirect_uri": ["http://localhost/connections/xero/callback"],
    }
    assert responses.calls[1].request.headers["Authorization"] == f"Bearer {ACCESS}"
    with app.app_context():
        raw = db.session.execute(
            text("SELECT refresh_token_enc, realm_id, company_name, initial_sync_date, status FROM connections WHERE provider = 'xero'")
        ).one()
        assert REFRESH not in raw[0] and raw[0].startswith("gAAAA")
        assert (raw[1], raw[2], str(raw[3]), raw[4]) == (JUNIPER["tenantId"], "Juniper & Wick Co.", "2026-02-01", "connected")
        from partsemble.connections.tokens import TokenCipher

        assert TokenCipher(app.config).decrypt(raw[0]) == REFRESH
    assert ACCESS not in page and REFRESH not in page


@responses.activate
def test_several_organisations_ask_which_one_and_store_the_chosen(app, admin) -> None:  # type: ignore[no-untyped-def]
    responses.post(TOKEN_URL, json=granted())
    responses.get(CONNECTIONS_URL, json=[JUNIPER, DEMO])
    state = start(admin)
    landed = admin.get(f"/connections/xero/callback?code=abc&state={state}")
    assert landed.headers["Location"] == "/connections/xero/organisation"
    assert stored(app) is None  # nothing stored before the choice
    choice = admin.get("/connections/xero/organisation").get_data(as_text=True)
    assert "Juniper &amp; Wick Co." in choice and "Demo Company (Global)" in choice
    assert REFRESH not in choice
    refused = admin.post("/connections/xero/organisation", {"tenant_id": "not-one-of-them"})
    assert refused.status_code == 400
    chose = admin.post("/connections/xero/organisation", {"tenant_id": DEMO["tenantId"]})
    assert chose.status_code == 302
    connection = stored(app)
    assert connection is not None
    assert (connection.realm_id, connection.company_name, connection.initial_sync_date) == (
        DEMO["tenantId"],
        "Demo Company (Global)",
        date(2026, 2, 1),
    )
    # The grant is used up: the choice page no longer offers it.
    assert admin.get("/connections/xero/organisation").headers["Location"] == "/settings/connection"


def test_a_state_mismatch_stores_nothing(app, admin) -> None:  # type: ignore[no-untyped-def]
    start(admin)
    admin.get("/connections/xero/callback?code=abc&state=forged")
    assert "did not match this browser&#39;s connection request" in admin.get("/settings/connection").get_data(as_text=True)
    assert stored(app) is None


def test_a_quickbooks_state_does_not_answer_for_xero(app, admin) -> None:  # type: ignore[no-untyped-def]
    app.config.update(QBO_CLIENT_ID="q", QBO_CLIENT_SECRET="s")
    qbo = admin.post("/connections/qbo/connect", {"initial_sync_date": "2026-01-01"})
    state = parse_qs(urlsplit(qbo.headers["Location"]).query)["state"][0]
    admin.get(f"/connections/xero/callback?code=abc&state={state}")
    assert "state mismatch" in admin.get("/settings/connection").get_data(as_text=True)
    assert stored(app) is None


@responses.activate
def test_another_organisation_is_refused_once_xero_data_is_held(app, admin) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.add(Connection(provider="xero", realm_id=JUNIPER["tenantId"], company_name="Juniper & Wick Co.", status="disconnected"))
        db.session.add(Sale(source="xero", external_type="Invoice", external_id="a-guid", version="1", txn_date=date(2026, 2, 3)))
        db.session.commit()
    responses.post(TOKEN_URL, json=granted())
    responses.get(CONNECTIONS_URL, json=[DEMO])
    state = start(admin)
    admin.get(f"/connections/xero/callback?code=abc&state={state}")
    page = admin.get("/settings/connection").get_data(as_text=True)
    assert "(Xero organisation 0b9d2a6e-1111-4c1a-9d7e-0f6b8a2c4e91). Partsemble keeps one organisation per installation" in page
    connection = stored(app)
    assert connection is not None and (connection.realm_id, connection.status) == (JUNIPER["tenantId"], "disconnected")


@responses.activate
def test_disconnect_revokes_and_keeps_the_cursor(app, admin) -> None:  # type: ignore[no-untyped-def]
    from partsemble.connections.tokens import TokenCipher
    from partsemble.models.base import utcnow

    mark = utcnow()
    with app.app_context():
        cipher = TokenCipher(app.config)
        db.session.add(
            Connection(
                provider="xero",
                realm_id=JUNIPER["tenantId"],
                status="connected",
                access_token_enc=cipher.encrypt(ACCESS),
                refresh_token_enc=cipher.encrypt(REFRESH),
                synced_through=mark,
            )
        )
        db.session.commit()
    responses.post(REVOKE_URL, status=200)
    response = admin.post("/connections/xero/disconnect", {})
    assert response.status_code == 302
    assert parse_qs(responses.calls[0].request.body) == {"token": [REFRESH]}
    connection = stored(app)
    assert connection is not None
    assert (connection.status, connection.refresh_token_enc, connection.synced_through) == ("disconnected", "", mark)


def test_without_credentials_connect_says_which_settings(app, admin) -> None:  # type: ignore[no-untyped-def]
    app.config.update(XERO_CLIENT_ID="")
    admin.post("/connections/xero/connect", {"xero-initial_sync_date": "2026-02-01"})
    assert "PARTSEMBLE_XERO_CLIENT_ID and _SECRET" in admin.get("/settings/connection").get_data(as_text=True)


def test_the_xero_card_and_the_channels_page_say_sync_now_reads_xero_sales(app, admin) -> None:  # type: ignore[no-untyped-def]
    """Sync Now reads Xero sales (tests/integration/test_sync_two_channels.py): the pages say so, and no
    longer call Xero a preview."""
    card = admin.get("/settings/connection").get_data(as_text=True)
    assert "Sync Now reads the organisation's approved sales invoices, Receive Money and credit notes" in card
    assert "Preview" not in card and "does not read Xero" not in card
    channels = admin.get("/settings/channels").get_data(as_text=True)
    assert "Sync Now reads every active channel in one run, QuickBooks first, then Xero" in channels


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_admins_connect_xero(app, browser_for, role) -> None:  # type: ignore[no-untyped-def]
    b = browser_for(role)
    assert b.post("/connections/xero/connect", {"xero-initial_sync_date": "2026-02-01"}).status_code == 403
    assert b.get("/connections/xero/organisation").status_code == 403


def test_rotating_the_token_key_rotates_the_xero_tokens_too(app) -> None:  # type: ignore[no-untyped-def]
    from partsemble.connections.services import rotate_token_key
    from partsemble.connections.tokens import TokenCipher

    with app.app_context():
        cipher = TokenCipher(app.config)
        for provider, refresh in (("qbo", "qbo-refresh-1"), ("xero", REFRESH)):
            db.session.add(Connection(provider=provider, status="connected", refresh_token_enc=cipher.encrypt(refresh)))
        db.session.commit()
        assert rotate_token_key(db.session, dict(app.config, TOKEN_KEY="a brand new token key", TOKEN_KEY_PREVIOUS="")) is True
        stored = dict(db.session.execute(select(Connection.provider, Connection.refresh_token_enc)).tuples().all())
    fresh = TokenCipher({"SECRET_KEY": "unrelated", "TOKEN_KEY": "a brand new token key"})
    assert {provider: fresh.decrypt(token) for provider, token in stored.items()} == {"qbo": "qbo-refresh-1", "xero": REFRESH}


def test_each_channel_has_its_own_sync_settings_and_first_sync(app, admin) -> None:  # type: ignore[no-untyped-def]
    """Xero's initial sync date and restock setting are its own: saving them leaves QuickBooks' alone, and
    QuickBooks having synced does not lock Xero's date (only Xero's own first sync does)."""
    from partsemble.models.sync import SyncRun, SyncRunChannel

    with app.app_context():
        db.session.add(Connection(provider="qbo", realm_id="1", status="connected", initial_sync_date=date(2026, 1, 1)))
        db.session.add(Connection(provider="xero", realm_id="t-1", status="connected", initial_sync_date=date(2026, 3, 1)))
        run = SyncRun(status="succeeded", started_by="ana@example.com")
        db.session.add(run)
        db.session.flush()
        run_id = run.id
        db.session.add(SyncRunChannel(run_id=run_id, source="qbo", status="succeeded"))
        db.session.commit()
    page = admin.get("/settings/connection").get_data(as_text=True)
    assert "QuickBooks sync settings" in page and "Xero sync settings" in page and "Credit notes restock" in page
    assert 'id="xero-settings-initial_sync_date"' in page and 'value="2026-03-01"' in page

    later = admin.post("/settings/connection/xero", {"xero-settings-initial_sync_date": "2026-04-01"})  # restock unticked
    assert later.status_code == 302  # Xero has not synced yet: a later day is still allowed
    with app.app_context():
        rows = dict(db.session.execute(select(Connection.provider, Connection.initial_sync_date)).tuples().all())
        assert rows == {"qbo": date(2026, 1, 1), "xero": date(2026, 4, 1)}
        xero = db.session.scalar(select(Connection).where(Connection.provider == "xero"))
        assert xero is not None and xero.restock_credit_memos is False
        db.session.add(SyncRunChannel(run_id=run_id, source="xero", status="succeeded"))
        db.session.commit()
    refused = admin.post("/settings/connection/xero", {"xero-settings-initial_sync_date": "2026-05-01"})
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "can only move earlier now that Xero has synced" in body and 'id="xero-settings-initial_sync_date-err"' in body
    assert admin.post("/settings/connection", {"initial_sync_date": "2026-02-01"}).status_code == 400  # QuickBooks synced
