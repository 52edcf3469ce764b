"""Scenario 9: a customer named like a script is shown as text everywhere and runs nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PageWatch
from tests.e2e.flows import (
    connect,
    login,
    press_sync_now,
    sandbox_create_customer,
    sandbox_create_invoice,
    sync_now,
)
from tests.e2e.server import LiveServer

pytestmark = pytest.mark.e2e

NAME = "<script>alert(1)</script>"


def test_a_script_in_a_customer_name_is_shown_as_text(page: Page, server: LiveServer, watch: PageWatch, shot) -> None:  # type: ignore[no-untyped-def]
    login(page)
    connect(page)
    sync_now(page)
    sandbox_create_customer(page, NAME)
    doc_id, number = sandbox_create_invoice(page, NAME, [("Cedar Candle 8oz (CND-CED-8)", 2)])

    page.goto("/sales/")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview tbody tr").filter(has_text=f"Invoice {number}").locator("td.name")).to_have_text(NAME)
    press_sync_now(page)  # the table comes back through htmx: the swapped-in HTML must be escaped too

    cell = page.locator("#sales-table tbody tr").filter(has_text=number).locator("td.name")
    expect(cell).to_have_text(NAME)
    assert page.locator("#sales-table script, #preview script").count() == 0
    shot(page, "sales")
    page.get_by_label("Customer").fill("<script>")
    page.get_by_label("Customer").press("Enter")
    expect(page.locator("#sales-table tbody tr")).to_have_count(1)
    expect(page.locator("#sales-table tbody tr td.name")).to_have_text(NAME)

    page.locator("#sales-table tbody tr").get_by_role("link", name=number).click()
    expect(page.locator(".page-head .sub")).to_contain_text(NAME)
    expect(page.locator("ol.history")).to_contain_text(f"for {NAME}")
    assert page.locator("main script").count() == 0
    shot(page, "sale-detail")
    assert watch.dialogs == []
    assert server.scalar("SELECT customer_name FROM sales WHERE external_id = :x AND external_type = 'Invoice'", x=doc_id) == NAME
