"""Scenario 2: connecting QuickBooks through the (sandbox) consent page."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import Page, expect

from partsemble.connections.tokens import TokenCipher
from tests.e2e.flows import COMPANY, INITIAL_SYNC_DATE, login
from tests.e2e.server import SECRET_KEY, LiveServer

pytestmark = pytest.mark.e2e


def test_connect_quickbooks_stores_the_connection_with_encrypted_tokens(page: Page, server: LiveServer, shot) -> None:  # type: ignore[no-untyped-def]
    login(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Accounting connections").click()
    expect(page.get_by_role("button", name="Connect QuickBooks Online")).to_be_enabled()
    shot(page, "not-connected")
    assert server.scalar("SELECT count(*) FROM connections WHERE status = 'connected'") == 0

    page.locator('[data-provider="qbo"]').get_by_label("Initial sync date").fill(INITIAL_SYNC_DATE.isoformat())
    page.get_by_role("button", name="Connect QuickBooks Online").click()
    page.wait_for_url(re.compile(r"/sandbox/oauth2/authorize\?.*scope=com\.intuit\.quickbooks\.accounting"))
    expect(page.locator("#consent")).to_contain_text(COMPANY)
    shot(page, "consent")
    page.locator("#approve").click()

    page.wait_for_url(re.compile(r"/settings/connection$"))
    expect(page.locator(".flash-success")).to_have_text(f"Connected to {COMPANY}")
    expect(page.locator("main")).to_contain_text(re.compile(rf"Connected\s+to {re.escape(COMPANY)}"))
    expect(page.locator("dl.facts")).to_contain_text(INITIAL_SYNC_DATE.isoformat())
    shot(page, "connected")

    row = server.one(
        "SELECT status, company_name, realm_id, initial_sync_date, access_token_enc, refresh_token_enc, "
        "access_expires_at FROM connections WHERE provider = 'qbo'"
    )
    assert (row.status, row.company_name) == ("connected", COMPANY)
    assert str(row.initial_sync_date)[:10] == INITIAL_SYNC_DATE.isoformat()
    assert row.realm_id and row.access_expires_at is not None
    # The stored tokens are ciphertext: they open with the server's key, and what they hold is the
    # very token the sandbox issued (it keeps only SHA-256 hashes), which the column does not contain.
    cipher = TokenCipher({"SECRET_KEY": SECRET_KEY, "TOKEN_KEY": "", "TOKEN_KEY_PREVIOUS": ""})
    with server.sandbox() as sandbox:
        issued = {(r.kind, r.hash) for r in sandbox.exec_driver_sql("SELECT kind, hash FROM sandbox_token")}
    for kind, stored in (("access", row.access_token_enc), ("refresh", row.refresh_token_enc)):
        plain = cipher.decrypt(stored)
        assert plain and plain not in stored
        assert (kind, hashlib.sha256(plain.encode()).hexdigest()) in issued
        assert (
            server.scalar(
                "SELECT count(*) FROM connections WHERE access_token_enc LIKE :p OR refresh_token_enc LIKE :p OR status_message LIKE :p",
                p=f"%{plain}%",
            )
            == 0
        )
    # Connecting fills the item list at once; the demo's unlinked soap item is among them.
    assert server.scalar("SELECT product_id FROM accounting_items WHERE external_id = '4'") is None
    assert server.scalar("SELECT count(*) FROM accounting_items") >= 7
