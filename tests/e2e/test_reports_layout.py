"""The report pages after a sync, on a laptop and on a phone (390x844): the business chart, the margin
report, a product's chart and a lot's trace. Screenshots land in artifacts/ to be looked at; the
assertions are the ones that would catch a broken page: the page never wider than the screen (on a
phone tables become one card per row; test_tables_layout.py checks every table's money is on screen),
a chart with its axes and labels that fits the screen, every report row the database says should be
there, money right-aligned."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, PageWatch, open_page
from tests.e2e.flows import connect, login, sync_now
from tests.e2e.server import LiveServer
from tests.e2e.test_layout import MONEY, OVERFLOW, cells

pytestmark = pytest.mark.e2e

CHART = """(selector) => { const svg = document.querySelector(selector);
  if (!svg) return null;
  const r = svg.getBoundingClientRect();
  const bars = svg.querySelectorAll('rect.bar-revenue');
  const latest = bars.length ? bars[bars.length - 1].getBoundingClientRect() : null;
  return {left: r.left, right: r.right, width: r.width, height: r.height,
          latest: latest && {left: latest.left, right: latest.right},
          bars: svg.querySelectorAll('rect.bar-revenue').length, costs: svg.querySelectorAll('rect.bar-cost').length,
          dots: svg.querySelectorAll('circle.dot-margin').length,
          texts: Array.from(svg.querySelectorAll('text'), t => t.textContent.trim())}; }"""
MARGIN = "/reports/margin?period=last_12_months"


def chart(page: Page, selector: str = "svg.chart") -> dict[str, Any]:
    found = page.evaluate(CHART, selector)
    assert found is not None, f"no chart on {page.url}"
    return found


def assert_readable_chart(page: Page, screen_width: int) -> dict[str, Any]:
    """A chart with bars, a margin line, axis titles and ticks, in a frame that fits the screen
    (on a phone the chart keeps a readable size and scrolls sideways inside that frame)."""
    found = chart(page)
    assert found["bars"] >= 1 and found["bars"] == found["costs"]  # a revenue and a cost bar per month shown
    assert found["dots"] >= 1  # the margin % line has points
    assert "Margin %" in found["texts"] and any(t.startswith("Revenue, cost (") for t in found["texts"])  # axis titles
    assert any(t.endswith("%") and t != "Margin %" for t in found["texts"])  # right-axis ticks
    assert found["height"] > 120
    frame = cells(page, ".chart-scroll")[0]
    assert frame["left"] >= 0 and frame["right"] <= screen_width
    # The latest month is in view when the page opens (on a phone the frame opens scrolled to the right).
    assert frame["left"] <= found["latest"]["left"] and found["latest"]["right"] <= frame["right"], (frame, found["latest"])
    return found


def found_fits(found: dict[str, Any], screen_width: int) -> bool:
    return found["left"] >= 0 and found["right"] <= screen_width


def busiest_lot(server: LiveServer) -> tuple[int, int, int]:
    """The lot most sales drew from: its id, how many draws and how many customers."""
    row = server.one(
        "SELECT c.lot_id, count(*) AS draws, count(DISTINCT s.customer_name) AS customers FROM lot_consumptions c "
        "JOIN sale_lines l ON l.id = c.sale_line_id JOIN sales s ON s.id = l.sale_id "
        "WHERE s.status = 'active' GROUP BY c.lot_id ORDER BY count(*) DESC, c.lot_id LIMIT 1"
    )
    return int(row[0]), int(row[1]), int(row[2])


def test_report_pages_lay_out_on_a_laptop_and_on_a_phone(page: Page, server: LiveServer, browser: Any, shot) -> None:  # type: ignore[no-untyped-def]
    login(page)
    connect(page)
    sync_now(page)
    sold = int(
        server.scalar(
            "SELECT count(DISTINCT l.product_id) FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
            "WHERE s.status = 'active' AND l.product_id IS NOT NULL AND l.kind IN ('tracked', 'return', 'price_adjustment')"
        )
    )
    product = int(server.scalar("SELECT id FROM products WHERE sku = 'CND-LAV-8'"))
    lot, draws, customers = busiest_lot(server)
    assert sold >= 5 and draws >= 2

    page.goto("/reports/")
    shot(page, "reports-laptop")
    assert page.evaluate(OVERFLOW) <= 0
    assert found_fits(assert_readable_chart(page, 1280), 1280)

    page.goto(MARGIN)
    shot(page, "margin-laptop")
    assert page.evaluate(OVERFLOW) <= 0
    expect(page.locator("table.data tbody tr")).to_have_count(sold)
    expect(page.locator("table.data tfoot")).to_contain_text(f"Total, {sold} products")
    money = cells(page, "table.data tbody td.num:nth-child(4), table.data tbody td.num:nth-child(6)")
    assert len(money) == 2 * sold
    assert [c["text"] for c in money if not MONEY.match(c["text"])] == []
    assert {c["align"] for c in money} == {"right"}

    page.goto(f"/products/{product}")
    assert found_fits(assert_readable_chart(page, 1280), 1280)

    page.goto(f"/lots/{lot}")
    shot(page, "lot-trace-laptop")
    assert page.evaluate(OVERFLOW) <= 0
    expect(page.locator("#sales + .table-wrap tbody tr")).to_have_count(draws)
    expect(page.locator("#customers + p + .table-wrap tbody tr")).to_have_count(customers)

    phone_watch = PageWatch()
    context, phone = open_page(browser, server, phone_watch, PHONE)
    try:
        login(phone)
        for url, name in (
            ("/reports/", "reports-phone"),
            (MARGIN, "margin-phone"),
            (f"/products/{product}", "product-chart-phone"),
            (f"/lots/{lot}", "lot-trace-phone"),
        ):
            phone.goto(url)
            shot(phone, name)
            shot(phone, name + "-screen", full_page=False)  # what the phone shows first
            assert phone.evaluate(OVERFLOW) <= 0, url  # the page itself never scrolls sideways
        # The margin table is one card per product on a phone: its frame fits the screen and each product's name is readable.
        phone.goto(MARGIN)
        box = cells(phone, ".table-wrap")[0]
        assert box["left"] >= 0 and box["right"] <= PHONE["width"]
        names = cells(phone, "table.data tbody td.name")
        assert len(names) == sold and min(n["width"] for n in names) >= 90
        phone.goto("/reports/")
        assert assert_readable_chart(phone, PHONE["width"])["width"] >= PHONE["width"]  # not shrunk to unreadable
        phone.goto(f"/products/{product}")
        assert assert_readable_chart(phone, PHONE["width"])["width"] >= PHONE["width"]
    finally:
        context.close()
    assert phone_watch.errors == [] and phone_watch.dialogs == []
