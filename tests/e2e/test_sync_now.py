"""Scenarios 3 and 7: Sync Now with progress and summary, and a double click that syncs once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.flows import (
    SYNC_TIMEOUT,
    add_slow_upstream,
    connect,
    count,
    counts,
    csrf_token,
    db_money,
    formatted_money,
    login,
)
from tests.e2e.server import LiveServer

pytestmark = pytest.mark.e2e


def _sync_post(request) -> bool:  # type: ignore[no-untyped-def]
    return request.method == "POST" and request.url.endswith("/sales/sync")


def test_sync_now_shows_progress_then_the_summary_and_fills_the_sales_table(page: Page, server: LiveServer, shot) -> None:  # type: ignore[no-untyped-def]
    login(page)
    connect(page)
    add_slow_upstream(server)
    page.goto("/sales/")
    expect(page.locator("#sales-table .empty")).to_contain_text("No sales yet")
    expect(page.locator("#sync-progress")).to_be_hidden()
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads instead of swapping parts
    page.locator("#sales-table").evaluate("table => { table.dataset.stale = 'yes'; }")

    with page.expect_response(lambda r: r.request.headers.get("hx-target") == "sales-table", timeout=SYNC_TIMEOUT):
        page.locator("#sync-button").click()
        expect(page.locator("#sync-button")).to_be_disabled()
        expect(page.locator("#preview-button")).to_be_disabled()
        progress = page.locator("#sync-progress")
        expect(progress).to_be_visible()
        expect(progress).to_contain_text(re.compile(r"Reading QuickBooks… \d+ documents so far|Applying: \d+ of \d+ documents"))
        shot(page, "progress")
        expect(page.locator("#sync-panel [data-count=created]")).to_be_visible(timeout=SYNC_TIMEOUT)

    expect(page.locator("#sync-button")).to_be_enabled()
    expect(page.locator("#sync-progress")).to_be_hidden()
    assert page.evaluate("window.__sameDocument") is True
    expect(page.locator("#sales-table:not([data-stale])")).to_have_count(1)  # replaced through sales-changed
    run = server.one("SELECT status, created, updated, voided, skipped, errors, fetched FROM sync_runs")
    shown = counts(page)
    assert run.status == "succeeded"
    assert shown == {"created": run.created, "updated": run.updated, "voided": run.voided, "skipped": run.skipped, "errors": run.errors}
    active = server.scalar("SELECT count(*) FROM sales WHERE status = 'active' AND source = 'qbo'")
    assert shown["created"] == active > 200
    assert shown["voided"] == server.scalar("SELECT count(*) FROM sales WHERE status = 'voided'")
    assert shown["errors"] == server.scalar("SELECT count(*) FROM failed_documents") == 12
    assert shown["updated"] == shown["skipped"] == 0
    expect(page.locator("[data-sync-message]")).to_contain_text(f"{run.fetched} documents read")

    # The table refreshed itself (HX-Trigger: sales-changed): totals and rows match the database.
    table = page.locator("#sales-table")
    expect(table.locator(".stats .stat").first).to_contain_text(str(active))
    revenue = db_money(server.scalar("SELECT sum(revenue) FROM sales WHERE status = 'active'"))
    expect(table.locator("[data-total=revenue]")).to_have_text(formatted_money(revenue))
    expect(table.locator("tbody tr")).to_have_count(min(50, active + shown["voided"]))
    newest = server.one("SELECT doc_number, customer_name FROM sales ORDER BY txn_date DESC, id DESC LIMIT 1")
    expect(table.locator("tbody tr").first).to_contain_text(newest.doc_number)
    shot(page, "summary")

    page.reload()
    assert counts(page) == shown
    expect(page.locator("#sync-panel")).to_contain_text("Last sync")
    expect(page.locator("#sales-table [data-total=revenue]")).to_have_text(formatted_money(revenue))


def test_double_click_on_sync_now_runs_one_sync(page: Page, server: LiveServer, shot) -> None:  # type: ignore[no-untyped-def]
    login(page)
    connect(page)
    add_slow_upstream(server)
    page.goto("/sales/")
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if _sync_post(request) else None)

    with page.expect_response(lambda r: r.request.headers.get("hx-target") == "sales-table", timeout=SYNC_TIMEOUT):
        page.locator("#sync-button").dblclick()
        expect(page.locator("#sync-progress")).to_contain_text(re.compile("Reading QuickBooks|Applying"))
        # A second press that gets past the browser (another tab, a script) is refused by the server.
        second = page.request.post("/sales/sync", headers={"X-CSRFToken": csrf_token(page), "HX-Request": "true"})
        assert second.status == 200
        assert "A sync is already running" in second.text()
        expect(page.locator("#sync-panel [data-count=created]")).to_be_visible(timeout=SYNC_TIMEOUT)

    expect(page.locator("#sync-button")).to_be_enabled()
    shot(page, "after")
    assert len(posts) == 1
    assert server.scalar("SELECT count(*) FROM sync_runs") == 1
    assert count(page, "created") == server.scalar("SELECT count(*) FROM sales WHERE status = 'active'")
    # No sale applied twice: one revision each, and its SALE rows take exactly its tracked quantity.
    assert server.rows("SELECT sale_id FROM sale_revisions GROUP BY sale_id HAVING count(*) > 1") == []
    mismatched = server.rows(
        "SELECT l.sale_id FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE l.kind = 'tracked' AND s.status = 'active' "
        "GROUP BY l.sale_id HAVING sum(l.quantity) <> -(SELECT coalesce(sum(t.quantity), 0) FROM stock_transactions t "
        "WHERE t.sale_id = l.sale_id AND t.type = 'SALE')"
    )
    assert mismatched == []
    assert server.scalar("SELECT count(*) FROM stock_transactions WHERE type = 'SALE'") > 0


def test_the_dashboard_shows_the_new_sales_right_after_sync_now(page: Page, server: LiveServer, shot) -> None:  # type: ignore[no-untyped-def]
    login(page)
    connect(page)
    page.goto("/sales/")
    dashboard = page.locator("section").filter(has=page.get_by_role("heading", name="Margins at a glance"))
    expect(dashboard).to_contain_text("No sales in the last 12 months yet")
    with page.expect_response(lambda r: r.request.headers.get("hx-target") == "sales-table", timeout=SYNC_TIMEOUT):
        page.locator("#sync-button").click()
    shot(page, "after-sync")
    active = server.scalar("SELECT count(*) FROM sales WHERE status = 'active'")
    expect(dashboard).not_to_contain_text("No sales in the last 12 months yet", timeout=2_000)
    expect(dashboard.get_by_role("row").filter(has_text="Last 12 months")).to_contain_text(str(active), timeout=2_000)
