"""Connecting Xero over real HTTP against the sandbox's Xero face: the app's Connect Xero form, the
consent page with two organisations, the callback's code exchange and /connections, the choice, the
tokens stored encrypted, Xero's item list read; then, once the access token has expired, the
stored connection read back as a XeroSource (a 401, a refresh, the rotated refresh token stored)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import select

from partsemble.auth.services import create_user
from partsemble.connections.source import open_source
from partsemble.connections.tokens import TokenCipher
from partsemble.domain.documents import SalesDocument
from partsemble.extensions import db
from partsemble.models.base import utcnow
from partsemble.models.catalog import AccountingItem
from partsemble.models.sync import Connection
from partsemble.sandbox.xero.schema import DEMO_ORGANISATION, EMPTY_ORGANISATION
from tests.integration.sandbox_app import live_sandbox

PASSWORD = "correct horse battery staple"


def item_rows(session, channel: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    query = select(AccountingItem.external_id, AccountingItem.name).where(AccountingItem.source == channel)
    return sorted(session.execute(query).tuples().all())


def xero_row(app) -> Connection:  # type: ignore[no-untyped-def]
    with app.app_context():
        connection = db.session.scalar(select(Connection).where(Connection.provider == "xero"))
        assert connection is not None
        db.session.expunge(connection)
        db.session.remove()
        return connection


def test_connect_xero_through_the_consent_page_then_read_its_documents(app_config, demo_companies) -> None:  # type: ignore[no-untyped-def]
    # CSRF is proven by tests/web/test_xero_connection_pages.py; here forms go over plain HTTP.
    with live_sandbox(
        app_config, demo=demo_companies, XERO_CLIENT_ID="xero-test-client", XERO_CLIENT_SECRET="xero-test-secret", WTF_CSRF_ENABLED=False
    ) as live:
        host = live.app.config["QBO_API_BASE"].removesuffix("/sandbox/v3")
        xero = host + "/sandbox/xero"
        live.app.config.update(
            XERO_API_BASE=xero + "/api.xro/2.0",
            XERO_AUTH_URL=xero + "/identity/connect/authorize",
            XERO_TOKEN_URL=xero + "/identity/connect/token",
            XERO_REVOKE_URL=xero + "/identity/connect/revocation",
            XERO_CONNECTIONS_URL=xero + "/connections",
        )
        moved = live.company.move_share("xero", Decimal("0.3"))
        assert moved > 10
        with live.app.app_context():
            create_user(db.session, "owner@example.com", PASSWORD, "admin")
            quickbooks_items = item_rows(db.session, "qbo")
            db.session.remove()

        browser = requests.Session()
        assert browser.post(host + "/login", data={"email": "owner@example.com", "password": PASSWORD}).status_code == 200
        consent = browser.post(host + "/connections/xero/connect", data={"xero-initial_sync_date": "2000-01-01"})
        assert consent.status_code == 200 and consent.url.startswith(xero + "/identity/connect/authorize?")
        asked = {key: values[0] for key, values in parse_qs(urlsplit(consent.url).query).items()}
        assert asked["redirect_uri"] == host + "/connections/xero/callback"
        both = [DEMO_ORGANISATION.tenant_id, EMPTY_ORGANISATION.tenant_id]
        choice = browser.post(xero + "/identity/connect/authorize", data={**asked, "decision": "allow", "tenant_id": both})
        assert choice.url == host + "/connections/xero/organisation"
        assert "Demo Company (Global)" in choice.text and "Juniper &amp; Wick Co." in choice.text
        done = browser.post(host + "/connections/xero/organisation", data={"tenant_id": DEMO_ORGANISATION.tenant_id})
        assert done.url == host + "/settings/connection"
        assert "Connected to Juniper &amp; Wick Co. (Xero)" in done.text

        with live.app.app_context():
            # The connect filled Xero's item list beside QuickBooks' (the sandbox's items are in both), keyed by source.
            xero_items = item_rows(db.session, "xero")
            assert item_rows(db.session, "qbo") == quickbooks_items
            db.session.remove()
        assert len(xero_items) >= 5 and {"Lavender Candle 8oz", "Gift Wrap"} <= {name for _, name in xero_items}
        assert not {i for i, _ in xero_items} & {i for i, _ in quickbooks_items}  # ItemIDs, not QuickBooks' Ids

        stored = xero_row(live.app)
        assert (stored.realm_id, stored.status, stored.initial_sync_date) == (DEMO_ORGANISATION.tenant_id, "connected", date(2000, 1, 1))
        cipher = TokenCipher(live.app.config)
        first_refresh = cipher.decrypt(stored.refresh_token_enc)
        assert first_refresh and first_refresh not in stored.refresh_token_enc

        assert stored.last_refreshed_at is not None  # reading the item list at connect traded the refresh token
        # Half an hour later the access token has expired at Xero: the read meets a 401, refreshes under the
        # row lock, and the rotated refresh token replaces the one stored.
        live.company.age_xero_tokens(1900)
        with live.app.app_context():
            source = open_source(live.app.config, channel="xero")
            pages = list(source.changed_documents(None, date(2000, 1, 1)))
            db.session.remove()
        documents = [d for page in pages for d in page.documents if isinstance(d, SalesDocument)]
        assert len({(str(d.type), d.id) for d in documents}) == moved

        rotated = xero_row(live.app)
        assert rotated.last_refreshed_at is not None and rotated.access_expires_at is not None and rotated.access_expires_at > utcnow()
        assert rotated.last_refreshed_at > stored.last_refreshed_at
        assert cipher.decrypt(rotated.refresh_token_enc) != first_refresh  # Xero rotated it; the new one is what is stored
