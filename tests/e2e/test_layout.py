"""How the main pages look after a sync, on a laptop and on a phone (390x844): screenshots to look at,
and the layout rules that would catch a broken page: nothing wider than the screen, money right-aligned
with a symbol and two decimals, names wrapped between words, lot numbers on one line."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, PHONE, PageWatch, open_page
from tests.e2e.flows import connect, login, sync_now
from tests.e2e.server import LiveServer

pytestmark = pytest.mark.e2e

MONEY = re.compile(r"^-?\$\d{1,3}(,\d{3})*\.\d{2}$")
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
# Boxes of the cells, and how many lines each lot number takes.
CELLS = """(selector) => Array.from(document.querySelectorAll(selector), el => {
  const r = el.getBoundingClientRect();
  return {text: el.innerText.trim(), left: r.left, right: r.right, width: r.width,
          align: getComputedStyle(el).textAlign, lines: el.getClientRects().length};
})"""
LOT_LINES = """() => Array.from(document.querySelectorAll('table.data a.mono, table.data td.mono a'),
  a => ({text: a.textContent, lines: a.getClientRects().length, height: a.getBoundingClientRect().height,
         line: parseFloat(getComputedStyle(a).lineHeight) || 20}))"""


def cells(page: Page, selector: str) -> list[dict[str, Any]]:
    return page.evaluate(CELLS, selector)


def assert_lot_numbers_on_one_line(page: Page) -> None:
    lots = page.evaluate(LOT_LINES)
    assert lots, page.url
    assert [lot["text"] for lot in lots if lot["height"] > 1.5 * lot["line"]] == [], page.url


def sale_with_a_long_customer_name(server: LiveServer) -> int:
    return int(server.scalar("SELECT id FROM sales WHERE status = 'active' ORDER BY length(customer_name) DESC, shortage DESC, id LIMIT 1"))


def test_sales_pages_lay_out_on_a_laptop_and_on_a_phone(page: Page, server: LiveServer, browser: Any, shot) -> None:  # type: ignore[no-untyped-def]
    login(page)
    connect(page)
    sync_now(page)
    page.reload()  # what someone opening the Sales page after a sync sees (docs/screenshot-sales.png)
    shot(page, "sales-laptop")
    page.screenshot(path=str(ARTIFACTS / "readme-sales.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 1300}, full_page=True)
    assert page.evaluate(OVERFLOW) <= 0
    money = cells(page, "#sales-table tbody td.num:not(.hide-sm)")
    assert len(money) == 50 * 3
    assert [c["text"] for c in money if not MONEY.match(c["text"])] == []
    assert {c["align"] for c in money} == {"right"}
    names = cells(page, "#sales-table td.name")
    assert min(n["width"] for n in names) > 150
    long_sale = sale_with_a_long_customer_name(server)
    product = int(server.scalar("SELECT id FROM products WHERE sku = 'CND-LAV-8'"))
    page.goto(f"/sales/{long_sale}")
    shot(page, "sale-laptop")
    assert_lot_numbers_on_one_line(page)
    page.goto(f"/products/{product}")
    shot(page, "product-laptop")
    assert_lot_numbers_on_one_line(page)

    phone_watch = PageWatch()
    context, phone = open_page(browser, server, phone_watch, PHONE)
    try:
        login(phone)
        expect(phone.locator("#sync-panel [data-count=created]")).to_be_visible()
        shot(phone, "sales-phone")
        assert phone.evaluate(OVERFLOW) <= 0
        # Every nav tab is on screen (the nav wraps rather than hiding tabs off the edge).
        tabs = cells(phone, ".mainnav a")
        assert len(tabs) >= 5 and max(t["right"] for t in tabs) <= PHONE["width"]
        # One card per sale: the customer gets the full width and the money stays on screen.
        names = cells(phone, "#sales-table tbody td.name")
        assert len(names) == 50 and min(n["width"] for n in names) > 250
        shown = cells(phone, "#sales-table tbody td.num:not(.hide-sm)")
        assert shown and max(c["right"] for c in shown) <= PHONE["width"] and min(c["left"] for c in shown) >= 0
        assert [c["text"] for c in shown if not MONEY.search(c["text"].splitlines()[-1])] == []

        phone.goto(f"/sales/{long_sale}")
        shot(phone, "sale-phone")
        assert phone.evaluate(OVERFLOW) <= 0
        item_cells = cells(phone, "table.lines tbody tr:not(.sub) td.name")
        assert item_cells and min(c["width"] for c in item_cells) >= 110
        assert_lot_numbers_on_one_line(phone)

        phone.goto("/products/")
        shot(phone, "products-phone")
        assert phone.evaluate(OVERFLOW) <= 0
        products = cells(phone, "table.data tbody td.name:not(.hide-sm)")
        assert len(products) >= 10 and min(p["width"] for p in products) >= 100

        phone.goto(f"/products/{product}")
        shot(phone, "product-phone")
        assert phone.evaluate(OVERFLOW) <= 0
        assert_lot_numbers_on_one_line(phone)
    finally:
        context.close()
    assert phone_watch.errors == [] and phone_watch.dialogs == []
