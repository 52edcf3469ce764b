"""Scenario 8: a viewer reads everything and cannot start a sync, not even with a forged request."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.flows import connect, csrf_token, login
from tests.e2e.server import LiveServer

pytestmark = pytest.mark.e2e

VIEWER, VIEWER_PASSWORD = "v@example.com", "viewer password 123"


def test_viewer_has_no_sync_now_and_a_forged_sync_post_is_refused(page: Page, server: LiveServer, shot) -> None:  # type: ignore[no-untyped-def]
    created = server.cli("users", "create", "--email", VIEWER, "--password-stdin", "--role", "viewer", stdin=VIEWER_PASSWORD + "\n")
    assert "Created v@example.com (viewer)" in created.stdout
    login(page)
    connect(page)  # connected, so a sync by someone allowed to would really run
    page.get_by_role("button", name="Log out").click()

    login(page, VIEWER, VIEWER_PASSWORD)
    expect(page.locator(".account .role")).to_have_text("viewer")
    expect(page.locator("#sync-button")).to_have_count(0)
    expect(page.locator("#preview-button")).to_have_count(0)
    expect(page.get_by_role("link", name="New manual sale")).to_have_count(0)
    # Nothing tells the viewer to press a button they do not have.
    expect(page.locator("#sync-panel")).to_contain_text("No sync yet. When a member presses Sync Now")
    expect(page.locator("#sales-table .empty")).to_contain_text("Sales appear here once a member syncs QuickBooks")
    shot(page, "sales")

    token = csrf_token(page)
    forged = page.request.post("/sales/sync", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert forged.status == 403
    plain = page.request.post("/sales/sync", form={"csrf_token": token}, max_redirects=0)
    assert plain.status == 403
    preview = page.request.post("/sales/preview", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert preview.status == 403
    assert server.scalar("SELECT count(*) FROM sync_runs") == 0
    assert server.scalar("SELECT count(*) FROM sales") == 0
    assert server.scalar("SELECT role FROM users WHERE email = :e", e=VIEWER) == "viewer"
    # The same session can still read: the refusal is about the role, not a broken session or token.
    page.goto("/sales/runs")
    expect(page.get_by_role("heading", name="Sync history")).to_be_visible()
