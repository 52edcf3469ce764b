"""Issue 17: QuickBooks and Xero on one Sales tab.

QuickBooks connected; four demo documents moved into the sandbox's Xero organisation on its own
Documents screen (an invoice with a shipping line, an invoice, a sales receipt and a credit memo, all
selling Lavender Candle 8oz, whose QuickBooks item the demo links); Xero connected through its card,
choosing the organisation. Sync Now reads both: QuickBooks' documents as ever (twelve wait on its
unlinked soap item), the four Xero ones wait on Xero's own Lavender Candle item, which nobody has
linked yet, and its fix link goes to /items/xero/<ItemID>. Linking it retries the four at once;
the next sync reads both channels again, and the Sales list shows both, the channel filter only Xero's.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.flows import (
    XERO_ORGANISATION,
    connect,
    connect_xero,
    count,
    db_money,
    formatted_money,
    login,
    press_sync_now,
    sandbox_documents_selling,
    sandbox_move_to_xero,
)
from tests.e2e.server import LiveServer

pytestmark = pytest.mark.e2e

CANDLE = "Lavender Candle 8oz"
SHIPPING = "Shipping"
SOAP_WAITING = 12  # QuickBooks documents waiting on the unlinked Lavender Soap item (test_fix_error)


def _documents_to_move(server: LiveServer) -> list[tuple[str, str, str]]:
    """(entity, Id, DocNumber) of the newest live QuickBooks documents that sell only Lavender Candle
    (and shipping): an invoice with a shipping line, one without, a sales receipt and a credit memo."""
    wanted = {("Invoice", True), ("Invoice", False), ("SalesReceipt", False), ("CreditMemo", False)}
    chosen: dict[tuple[str, bool], tuple[str, str, str]] = {}
    for doc in sandbox_documents_selling(server, CANDLE, also=[SHIPPING]):
        key = (doc.entity, SHIPPING in doc.items)
        if key in wanted and key not in chosen:
            chosen[key] = (doc.entity, doc.id, doc.number)
    assert set(chosen) == wanted, f"the demo company lacks a document of {wanted - set(chosen)}"
    return sorted(chosen.values())


def _channels(server: LiveServer, run_id: int) -> dict[str, tuple[int, ...]]:
    """A run's sync_run_channels rows: source -> (fetched, created, updated, voided, skipped, errors)."""
    return {
        r.source: (r.fetched, r.created, r.updated, r.voided, r.skipped, r.errors)
        for r in server.rows(
            "SELECT source, fetched, created, updated, voided, skipped, errors FROM sync_run_channels WHERE run_id = :r", r=run_id
        )
    }


def test_xero_documents_sync_beside_quickbooks_and_show_on_one_sales_tab(page: Page, server: LiveServer, shot) -> None:  # type: ignore[no-untyped-def]
    login(page)
    connect(page)

    # -- move four documents into the Xero organisation, on the sandbox's own screen --------------------
    moved = _documents_to_move(server)
    for entity, doc_id, _ in moved:
        sandbox_move_to_xero(page, entity, doc_id)
    page.locator("#type").select_option("")
    page.locator("#system").select_option("xero")
    page.locator("#filter").click()
    page.wait_for_url(re.compile(r"system=xero"))
    in_xero = page.locator("#documents tbody tr")
    expect(in_xero).to_have_count(len(moved))
    assert {(r.get_attribute("data-entity"), r.get_attribute("data-id")) for r in in_xero.all()} == {(e, i) for e, i, _ in moved}
    expect(page.locator("#documents td.system")).to_have_text(["Xero"] * len(moved))
    shot(page, "sandbox-xero-documents")
    with server.sandbox() as sandbox:
        assert sandbox.exec_driver_sql("SELECT count(*) FROM sandbox_object WHERE system = 'xero'").scalar() == len(moved)

    # -- connect the Xero organisation through the Xero card ---------------------------------------------
    connect_xero(page)
    card = page.locator('[data-provider="xero"]')
    expect(card).to_contain_text(re.compile(rf"Connected\s+to {re.escape(XERO_ORGANISATION)}"))
    shot(page, "connected")
    xero = server.one("SELECT status, company_name, realm_id FROM connections WHERE provider = 'xero'")
    assert (xero.status, xero.company_name) == ("connected", XERO_ORGANISATION)
    candle = server.one("SELECT external_id, product_id FROM accounting_items WHERE source = 'xero' AND name = :n", n=CANDLE)
    assert candle.product_id is None  # Xero's item is its own, unlinked though QuickBooks' candle is linked
    assert server.scalar("SELECT product_id FROM accounting_items WHERE source = 'qbo' AND name = :n", n=CANDLE) is not None

    # -- Sync Now reads both channels; the Xero documents wait on Xero's candle item ------------------
    page.goto("/sales/")
    press_sync_now(page)
    first = server.one("SELECT id, fetched, created, errors, status FROM sync_runs ORDER BY id DESC LIMIT 1")
    channels = _channels(server, first.id)
    assert set(channels) == {"qbo", "xero"}
    assert channels["xero"] == (len(moved), 0, 0, 0, 0, len(moved))
    assert channels["qbo"][5] == SOAP_WAITING and channels["qbo"][1] > 0
    assert (first.fetched, first.created, first.errors) == tuple(sum(c[k] for c in channels.values()) for k in (0, 1, 5))
    assert server.scalar("SELECT count(*) FROM sales WHERE source = 'xero'") == 0
    expect(page.locator("#sync-panel [data-count=errors]")).to_have_text(str(SOAP_WAITING + len(moved)))
    assert count(page, "created") == first.created
    for source, name in (("qbo", "QuickBooks"), ("xero", "Xero")):
        read, created, updated, voided, skipped, errors = channels[source]
        expect(page.locator(f"#sync-panel .channel-counts li[data-channel={source}]")).to_have_text(
            f"{name}: {read} read, created {created}, updated {updated}, voided {voided}, skipped {skipped}, errors {errors}"
        )
    waiting = {
        r.doc_number
        for r in server.rows(
            "SELECT doc_number FROM failed_documents WHERE source = 'xero' AND item_external_id = :i", i=candle.external_id
        )
    }
    assert waiting == {number for _, _, number in moved}
    assert server.scalar("SELECT count(*) FROM failed_documents WHERE source = 'xero'") == len(moved)
    problem = page.locator(f"#problem-item-xero-{candle.external_id}")
    expect(problem).to_contain_text(f"Item '{CANDLE}' is not linked to a product")
    expect(problem).to_contain_text(f"{len(moved)} sales wait on it")
    expect(page.locator("#problem-item-qbo-4")).to_contain_text(f"{SOAP_WAITING} sales wait on it")
    fix = problem.get_by_role("link", name=f"Link '{CANDLE}' to a product")
    expect(fix).to_have_attribute("href", f"/items/xero/{candle.external_id}")
    shot(page, "sync-panel-both-channels")
    page.locator("#sync-panel").scroll_into_view_if_needed()
    shot(page, "sync-panel-both-channels-close", full_page=False)

    # -- the run's page: a By channel table and the failed documents with their channel ---------------
    page.get_by_role("link", name="Sync history").click()
    page.locator(f'a[href="/sales/runs/{first.id}"]').first.click()
    page.wait_for_url(re.compile(rf"/sales/runs/{first.id}$"))
    by_channel = page.locator("table tr[data-channel]")
    expect(by_channel).to_have_count(2)
    for i, (source, name) in enumerate((("qbo", "QuickBooks"), ("xero", "Xero"))):  # in the order the sync reads them
        row = by_channel.nth(i)
        expect(row).to_have_attribute("data-channel", source)
        cells = [
            row.locator(f'td[data-label="{label}"]') for label in ("Channel", "Read", "Created", "Updated", "Voided", "Skipped", "Errors")
        ]
        expect(cells[0]).to_have_text(name)
        for cell, value in zip(cells[1:], channels[source]):
            expect(cell).to_have_text(str(value))
    failed_in_xero = (
        page.locator("table tbody tr")
        .filter(has=page.locator('td[data-label="Channel"]', has_text="Xero"))
        .filter(has=page.locator('td[data-label="Code"]'))
    )
    expect(failed_in_xero).to_have_count(len(moved))
    shot(page, "run")

    # -- link Xero's candle item: the waiting Xero documents are retried at once ----------------------
    page.goto("/sales/")
    page.locator(f"#problem-item-xero-{candle.external_id}").get_by_role("link", name=f"Link '{CANDLE}' to a product").click()
    page.wait_for_url(re.compile(rf"/items/xero/{candle.external_id}$"))
    expect(page.get_by_role("heading", name=CANDLE, level=1)).to_be_visible()
    expect(page.locator(".page-head [data-channel=xero]")).to_have_text("Xero")
    expect(page.locator(".alert-warn")).to_contain_text(f"{len(moved)} sales wait on this item")
    shot(page, "xero-item")
    page.get_by_role("button", name=f"Link to {CANDLE}").click()  # suggested: the Code is the product's SKU
    page.wait_for_url(re.compile(rf"/items/xero/{candle.external_id}$"))
    expect(page.locator(".flash-success").first).to_have_text(f"'{CANDLE}' is linked to {CANDLE}.")
    expect(page.locator(".flash-success").nth(1)).to_have_text(f"Retried the waiting documents: {len(moved)} applied.")
    product = server.scalar("SELECT id FROM products WHERE sku = 'CND-LAV-8'")
    assert (
        server.scalar("SELECT product_id FROM accounting_items WHERE source = 'xero' AND external_id = :i", i=candle.external_id) == product
    )
    assert server.scalar("SELECT count(*) FROM failed_documents WHERE source = 'xero'") == 0
    assert server.scalar("SELECT count(*) FROM failed_documents WHERE source = 'qbo'") == SOAP_WAITING

    # -- the Xero sales: the moved documents, each costed from the candle's lots -----------------------
    sales = server.rows("SELECT external_type, doc_number, status, revenue, cost FROM sales WHERE source = 'xero'")
    assert sorted((s.external_type, s.doc_number) for s in sales) == sorted((e, n) for e, _, n in moved)
    assert {s.status for s in sales} == {"active"}
    for sale in sales:
        cost = db_money(sale.cost)
        assert cost != 0, sale
        assert (cost < 0) == (sale.external_type == "CreditMemo"), sale
    drawn = server.scalar(
        "SELECT count(*) FROM lot_consumptions c JOIN sale_lines l ON l.id = c.sale_line_id JOIN sales s ON s.id = l.sale_id "
        "WHERE s.source = 'xero' AND l.product_id = :p",
        p=product,
    )
    assert drawn >= len(moved) - 1  # every sale drew lots; the credit memo's return may go back as its own lot

    # -- sync again: both channels read, nothing new --------------------------------------------------
    page.goto("/sales/")
    press_sync_now(page)
    second = server.one("SELECT id, created, errors FROM sync_runs ORDER BY id DESC LIMIT 1")
    assert second.id > first.id
    again = _channels(server, second.id)
    assert set(again) == {"qbo", "xero"}
    assert again["xero"][1] == again["xero"][5] == 0
    assert again["qbo"][5] == SOAP_WAITING  # the soap documents are retried on every sync and still wait
    assert server.scalar("SELECT count(*) FROM sales WHERE source = 'xero'") == len(moved)
    expect(page.locator("#sync-panel .channel-counts li")).to_have_count(2)
    shot(page, "sales-both-channels")
    page.locator("#sales-table").scroll_into_view_if_needed()
    shot(page, "sales-both-channels-close", full_page=False)
    table = page.locator("#sales-table")
    expect(table.locator("[data-waiting]")).to_contain_text(f"in {SOAP_WAITING} documents that failed to sync")
    # Page one (the newest 50) holds sales of both channels: the newest moved documents are among them.
    expect(table.locator("tbody [data-channel=xero]").first).to_have_text("Xero")
    expect(table.locator("tbody [data-channel=qbo]").first).to_have_text("QuickBooks")

    # -- the channel filter: Xero's sales only -----------------------------------------------------------
    page.get_by_label("Channel").select_option(label="Xero")  # the filter submits itself
    page.wait_for_url(re.compile(r"channel=xero"))
    rows = page.locator("#sales-table tbody tr")
    expect(rows).to_have_count(len(moved))
    expect(rows.locator("[data-channel]")).to_have_text(["Xero"] * len(moved))
    numbers = {rows.nth(i).locator("td.c-number").inner_text().strip() for i in range(len(moved))}
    assert numbers == {n for _, _, n in moved}
    expect(page.locator("#sales-table [data-waiting]")).to_have_count(0)  # QuickBooks' waiting documents are not Xero's
    cost_total = sum((db_money(s.cost) for s in sales), Decimal(0))
    expect(page.locator("#sales-table [data-total=cost]")).to_have_text(formatted_money(cost_total))
    shot(page, "sales-xero-only")
