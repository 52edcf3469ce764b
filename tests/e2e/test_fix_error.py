"""Scenario 4: a document fails on an unlinked item; linking the item retries the waiting sales at once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.flows import connect, login, sync_now
from tests.e2e.server import LiveServer

pytestmark = pytest.mark.e2e

ITEM = "Lavender Soap 200g"


def test_linking_the_unlinked_item_retries_the_waiting_sales_at_once(page: Page, server: LiveServer, shot) -> None:  # type: ignore[no-untyped-def]
    login(page)
    connect(page)
    sync_now(page)
    waiting = {r.doc_number for r in server.rows("SELECT doc_number FROM failed_documents WHERE item_external_id = '4'")}
    assert len(waiting) == 12 == server.scalar("SELECT count(*) FROM failed_documents")
    problem = page.locator("#problem-item-qbo-4")
    expect(problem).to_contain_text(f"Item '{ITEM}' is not linked to a product")
    expect(problem).to_contain_text("12 sales wait on it")
    fix = problem.get_by_role("link", name=f"Link '{ITEM}' to a product")
    expect(fix).to_have_attribute("href", "/items/4")
    shot(page, "problem")

    fix.click()
    page.wait_for_url(re.compile(r"/items/4$"))
    expect(page.get_by_role("heading", name=ITEM, level=1)).to_be_visible()
    expect(page.locator(".alert-warn")).to_contain_text("12 sales wait on this item")
    shot(page, "item")
    page.get_by_label("Product", exact=True).select_option(label="Lavender Soap 200g (SOAP-LAV-200)")
    page.get_by_role("button", name="Link", exact=True).click()

    page.wait_for_url(re.compile(r"/items/4$"))
    expect(page.locator(".flash-success").first).to_have_text(f"'{ITEM}' is linked to Lavender Soap 200g.")
    expect(page.locator(".flash-success").nth(1)).to_have_text("Retried the waiting documents: 12 applied.")
    expect(page.locator(".alert-warn")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("SOAP-LAV-200")
    shot(page, "linked")
    soap = server.scalar("SELECT id FROM products WHERE sku = 'SOAP-LAV-200'")
    assert server.scalar("SELECT product_id FROM accounting_items WHERE external_id = '4'") == soap
    assert server.scalar("SELECT count(*) FROM failed_documents") == 0
    retry = server.one("SELECT created, errors, status FROM sync_runs ORDER BY id DESC LIMIT 1")
    assert (retry.created, retry.errors, retry.status) == (12, 0, "succeeded")
    costed = {
        r.doc_number
        for r in server.rows(
            "SELECT DISTINCT s.doc_number FROM sales s JOIN sale_lines l ON l.sale_id = s.id "
            "WHERE l.product_id = :p AND l.kind = 'tracked' AND s.status = 'active'",
            p=soap,
        )
    }
    assert costed == waiting
    assert server.scalar("SELECT count(*) FROM lot_consumptions c JOIN lots l ON l.id = c.lot_id WHERE l.product_id = :p", p=soap) > 0

    page.goto("/sales/")
    expect(page.locator("#problems")).to_have_count(0)
    expect(page.locator("[data-problem]")).to_have_count(0)
    expect(page.locator("#sync-panel [data-count=created]")).to_have_text("12")
    expect(page.locator("#sync-panel [data-count=errors]")).to_have_text("0")
    page.get_by_label("Product").select_option(label="Lavender Soap 200g")  # the filter submits itself
    page.wait_for_url(re.compile(rf"product={soap}"))
    rows = page.locator("#sales-table tbody tr")
    expect(rows).to_have_count(len(waiting))
    numbers = {rows.nth(i).locator("td").nth(1).inner_text().strip() for i in range(len(waiting))}
    assert numbers == waiting
    shot(page, "sales-after-fix")
