"""Every page with a table, on a laptop (1280 px) and on a phone (390 px), after a sync: the page itself
never scrolls sideways, and every money column's cells (revenue, cost, margin, unit costs, values) and
every link in a table row are on screen: displayed, and inside both the viewport and the table's own
box (a cell pushed off behind a sideways scroll fails). On a phone the tables become one card per row,
each cell labelled with its column (data-label); the labels must name the cell's real column.

One server for the whole module (QuickBooks and Xero connected, synced once, plus one new invoice left in
the sandbox for the preview); a full-page screenshot of each page at each width lands in artifacts/tables-<page>-<width>.png."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, LAPTOP, PHONE, PageWatch, open_page
from tests.e2e.flows import (
    connect,
    connect_xero,
    login,
    sandbox_create_invoice,
    sandbox_documents_selling,
    sandbox_move_to_xero,
    sync_now,
)
from tests.e2e.server import LiveServer, Template, start_server

pytestmark = pytest.mark.e2e

# Column headers whose cells are money (amounts, costs and margins).
MONEY_HEADERS = [
    "Revenue",
    "Cost",
    "Margin",
    "Amount",
    "Unit price",
    "Unit cost",
    "Value",
    "Avg cost",
    "Stock value",
    "Avg unit cost",
    "Cost used for the shortage",
    "Unit cost used",
    "Shortage cost",
    "Line cost",
]
# Documents moved into the sandbox's Xero organisation before the sync; they wait on Xero's own item
# for this product until it is linked after the first sync.
XERO_ITEM = "Lavender Candle 8oz"
XERO_MOVED = 3
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
# For every table on the page: each money cell and each link in a row, with its box, the box of the
# frame that clips it (.table-wrap) and whether it is displayed; and each data-label against its column.
TABLES = """(money) => {
  const clean = s => s.replace(/[\\u2191\\u2193]/g, '').replace(/\\s+/g, ' ').trim();
  const W = window.innerWidth;
  const found = {tables: 0, money: [], links: [], labels: []};
  const place = el => {
    const r = el.getBoundingClientRect();
    const wrap = el.closest('.table-wrap');
    const w = wrap ? wrap.getBoundingClientRect() : {left: 0, right: W};
    return {text: el.innerText.trim().split('\\n').pop(), left: r.left, right: r.right, width: r.width,
            min: Math.max(0, w.left), max: Math.min(W, w.right),
            shown: el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) && r.width > 0};
  };
  for (const table of document.querySelectorAll('main table')) {
    found.tables += 1;
    const heads = [];
    for (const th of table.querySelectorAll('thead th')) {
      for (let i = 0; i < th.colSpan; i++) heads.push(clean(th.textContent));
    }
    for (const row of table.querySelectorAll('tbody tr, tfoot tr')) {
      let col = 0;
      for (const td of row.cells) {
        const head = heads[col] || '';
        const span = td.colSpan;
        col += span;
        const label = td.getAttribute('data-label');
        if (label !== null && (span !== 1 || clean(label) !== head)) found.labels.push({label, head, row: row.innerText.slice(0, 60)});
        if (span === 1 && money.includes(head) && td.textContent.trim()) found.money.push({head, ...place(td)});
      }
      for (const a of row.querySelectorAll('a')) found.links.push(place(a));
    }
  }
  return found;
}"""

# Where each table's frame is on the page (for its own screenshot).
FRAMES = """() => Array.from(document.querySelectorAll('main .table-wrap'), w => {
  const r = w.getBoundingClientRect();
  return {x: Math.max(0, r.left - 4), y: r.top + window.scrollY - 4, width: Math.min(r.width + 8, window.innerWidth), height: r.height + 8};
}).filter(b => b.height > 8)"""


def off_screen(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cells hidden, or outside the screen or outside the frame that clips them (1 px of rounding allowed)."""
    return [c for c in cells if not c["shown"] or c["left"] < c["min"] - 1 or c["right"] > c["max"] + 1]


# -- the pages ------------------------------------------------------------------------------------------
def _sale(server: LiveServer) -> str:
    """The active sale with the most lines, shortages first: lot draws, shortfall rows and cost sums."""
    return "/sales/{}".format(
        server.scalar(
            "SELECT s.id FROM sales s WHERE s.status = 'active' ORDER BY s.shortage DESC, "
            "(SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id) DESC, s.id LIMIT 1"
        )
    )


def _credit_memo(server: LiveServer) -> str:
    return "/sales/{}".format(server.scalar("SELECT id FROM sales WHERE external_type = 'CreditMemo' ORDER BY id LIMIT 1"))


def _voided(server: LiveServer) -> str:
    return "/sales/{}".format(server.scalar("SELECT id FROM sales WHERE status <> 'active' ORDER BY id LIMIT 1"))


def _run(server: LiveServer) -> str:
    return "/sales/runs/{}".format(server.scalar("SELECT id FROM sync_runs ORDER BY errors DESC, id DESC LIMIT 1"))


def _product(server: LiveServer) -> str:
    return "/products/{}".format(server.scalar("SELECT id FROM products WHERE sku = 'CND-LAV-8'"))


def _lot(server: LiveServer) -> str:
    """The lot most sales drew from: the draws, customers and movements tables are all long."""
    return "/lots/{}".format(
        server.scalar(
            "SELECT c.lot_id FROM lot_consumptions c JOIN sale_lines l ON l.id = c.sale_line_id "
            "JOIN sales s ON s.id = l.sale_id WHERE s.status = 'active' GROUP BY c.lot_id ORDER BY count(*) DESC, c.lot_id LIMIT 1"
        )
    )


def _item(server: LiveServer) -> str:
    return "/items/{}".format(
        server.scalar("SELECT external_id FROM accounting_items WHERE source = 'qbo' ORDER BY product_id IS NULL, id LIMIT 1")
    )


def _xero_item(server: LiveServer) -> str:
    """Xero's candle item: linked after the first sync, its Id a uuid in the subtitle."""
    return "/items/xero/{}".format(
        server.scalar("SELECT external_id FROM accounting_items WHERE source = 'xero' AND name = :n", n=XERO_ITEM)
    )


def _xero_sale(server: LiveServer) -> str:
    return "/sales/{}".format(server.scalar("SELECT id FROM sales WHERE source = 'xero' AND status = 'active' ORDER BY id LIMIT 1"))


# (name, path or a function of the server giving it, how many money cells at least).
PAGES: list[tuple[str, str | Callable[[LiveServer], str], int]] = [
    ("sales", "/sales/", 50 * 3 + 3 * 3),  # the sales list (50 a page) and the dashboard (3 periods)
    ("preview", "/sales/", 3),  # the Sales page after pressing Preview
    ("sale", _sale, 6),
    ("credit-memo", _credit_memo, 3),
    ("voided-sale", _voided, 3),
    ("runs", "/sales/runs", 0),
    ("run", _run, 0),  # the first sync: a By channel table (QuickBooks, Xero) and both channels' failed documents
    ("products", "/products/", 20),
    ("product", _product, 6),
    ("lots", "/lots/", 20),
    ("lot", _lot, 4),
    ("items", "/items/", 0),
    ("item", _item, 0),
    ("xero-item", _xero_item, 0),
    ("xero-sale", _xero_sale, 3),
    ("sales-xero", "/sales/?channel=xero", XERO_MOVED * 3),  # the channel filter
    ("reports", "/reports/", 12 * 3),
    ("margin", "/reports/margin?period=last_12_months", 5 * 4),
    ("shortages", "/reports/shortages?period=all", 2),
    ("users", "/settings/users", 0),
    ("costs-settings", "/settings/costs", 0),
    ("numbers-settings", "/settings/numbers-and-time", 0),
    ("connection", "/settings/connection", 0),
    ("channels", "/settings/channels", 0),
    ("products-import", "/products/import", 0),
    ("lots-import", "/lots/import", 0),
    ("receive-lot", "/lots/receive", 0),
    ("manual-sale", "/sales/manual/new", 0),
    ("new-product", "/products/new", 0),
    ("edit-user", lambda server: "/settings/users/{}".format(server.scalar("SELECT min(id) FROM users")), 0),
    ("password", "/account/password", 0),
]
WIDTHS = {"laptop": LAPTOP, "phone": PHONE}


@pytest.fixture(scope="module")
def synced(template: Template, browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module: QuickBooks and Xero connected (a few documents moved to Xero), synced,
    Xero's candle item linked after the sync, and one new invoice waiting in the sandbox."""
    live = start_server(tmp_path_factory.mktemp("tables"), template)
    try:
        watch = PageWatch()
        context, page = open_page(browser, live, watch)
        try:
            login(page)
            connect(page)
            for doc in sandbox_documents_selling(live, XERO_ITEM, also=["Shipping"])[:XERO_MOVED]:
                sandbox_move_to_xero(page, doc.entity, doc.id)
            connect_xero(page)
            sync_now(page)
            page.goto(_xero_item(live))
            page.get_by_role("button", name=f"Link to {XERO_ITEM}").click()
            expect(page.locator(".flash-success").nth(1)).to_have_text(f"Retried the waiting documents: {XERO_MOVED} applied.")
            sandbox_create_invoice(page, "Blue Heron Spa", [("Lavender Candle 8oz (CND-LAV-8)", 3)])
        finally:
            context.close()
        assert watch.errors == [] and watch.dialogs == []
        yield live
        problems = live.violations()
        assert problems == [], "partsemble check failed:\n" + "\n".join(problems)
    finally:
        live.stop()
        live.database.drop()


@pytest.fixture(scope="module")
def sessions(browser: Any, synced: LiveServer) -> Iterator[Callable[[str], Any]]:
    """A logged-in browser context per screen width, opened once for the module."""
    opened: dict[str, Any] = {}

    def get(width: str) -> Any:
        if width not in opened:
            context, page = open_page(browser, synced, PageWatch(), WIDTHS[width])
            login(page)
            page.close()
            opened[width] = context
        return opened[width]

    yield get
    for context in opened.values():
        context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize(("name", "where", "least"), PAGES, ids=[p[0] for p in PAGES])
def test_tables_keep_their_money_on_screen(
    synced: LiveServer, sessions: Callable[[str], Any], name: str, where: str | Callable[[LiveServer], str], least: int, width: str
) -> None:
    watch = PageWatch()
    page: Page = sessions(width).new_page()
    page.on("dialog", watch.on_dialog)
    page.on("console", watch.on_console)
    page.on("pageerror", watch.on_page_error)
    shot = ARTIFACTS / f"tables-{name}-{width}.png"
    try:
        answer = page.goto(where(synced) if callable(where) else where)
        assert answer is not None and answer.status == 200, (name, answer and answer.status)
        if name == "preview":
            page.get_by_role("button", name="Preview").click()
            expect(page.locator("#preview table")).to_have_count(1)
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        # And the top of each table on its own, small enough to look at.
        for i, box in enumerate(page.evaluate(FRAMES)):
            clip: Any = {**box, "height": min(box["height"], 1200)}
            page.screenshot(path=str(ARTIFACTS / f"tables-{name}-{width}-{i + 1}.png"), full_page=True, clip=clip)
        screen = WIDTHS[width]["width"]
        assert page.evaluate(OVERFLOW) <= 0, f"{name} scrolls sideways at {screen} px"
        found = page.evaluate(TABLES, MONEY_HEADERS)
        assert len(found["money"]) >= least, (name, len(found["money"]))
        assert off_screen(found["money"]) == [], f"money off screen on {name} at {screen} px"
        assert off_screen(found["links"]) == [], f"links off screen on {name} at {screen} px"
        assert found["labels"] == [], f"cells labelled with another column on {name}"
    finally:
        page.close()
    assert watch.errors == [] and watch.dialogs == []


def test_every_template_with_a_table_is_checked() -> None:
    """A new page with a table gets a row in PAGES: the templates with tables are the ones listed here."""
    templates = Path(__file__).parents[2] / "partsemble" / "templates"
    with_tables = sorted(str(p.relative_to(templates)) for p in templates.rglob("*.html") if "<table" in p.read_text())
    assert with_tables == [
        "auth/users.html",  # users
        "connections/channels.html",  # channels
        "items/index.html",  # items
        "lots/_movements.html",  # product, lot
        "lots/_table.html",  # lots, product
        "lots/detail.html",  # lot
        "products/index.html",  # products
        "reports/_monthly_chart.html",  # reports, product (the numbers behind the chart)
        "reports/margin.html",  # margin
        "reports/shortages.html",  # shortages
        "sales/_dashboard.html",  # sales
        "sales/_preview.html",  # preview
        "sales/_table.html",  # sales
        "sales/detail.html",  # sale, credit-memo
        "sales/run.html",  # run
        "sales/runs.html",  # runs
    ]
