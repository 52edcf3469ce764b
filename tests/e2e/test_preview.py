"""Scenario 6: Preview shows the lots a pending sale would take, and changes nothing until Sync Now."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.flows import (
    connect,
    count,
    db_quantity,
    login,
    press_sync_now,
    sandbox_create_invoice,
    sync_now,
)
from tests.e2e.server import LiveServer

pytestmark = pytest.mark.e2e

STATE = {
    "sales": "SELECT count(*) FROM sales",
    "sale_lines": "SELECT count(*) FROM sale_lines",
    "sync_runs": "SELECT count(*) FROM sync_runs",
    "stock_transactions": "SELECT count(*) FROM stock_transactions",
    "lot_consumptions": "SELECT count(*) FROM lot_consumptions",
    "lots remaining": "SELECT sum(quantity_remaining) FROM lots",
    "stock on hand": "SELECT sum(stock_on_hand) FROM products",
    "failed_documents": "SELECT count(*) FROM failed_documents",
    "sync inbox": "SELECT count(*) FROM sync_inbox",
    "synced through": "SELECT synced_through FROM connections",
}


def database_state(server: LiveServer) -> dict[str, object]:
    return {name: server.scalar(sql) for name, sql in STATE.items()}


def fifo_draws(server: LiveServer, sku: str, needed: Decimal) -> list[tuple[str, Decimal]]:
    """What FIFO should take: oldest active lots first, by received date then id."""
    draws = []
    for lot in server.rows(
        "SELECT l.lot_number, l.quantity_remaining FROM lots l JOIN products p ON p.id = l.product_id "
        "WHERE p.sku = :sku AND l.status = 'active' AND l.quantity_remaining > 0 "
        "ORDER BY l.received_date, l.id",
        sku=sku,
    ):
        take = min(needed, db_quantity(lot.quantity_remaining))
        draws.append((lot.lot_number, take))
        needed -= take
        if needed == 0:
            return draws
    raise AssertionError(f"not enough {sku} in stock for the test")


def test_preview_shows_the_lots_a_new_invoice_would_take_and_changes_nothing(page: Page, server: LiveServer, shot) -> None:  # type: ignore[no-untyped-def]
    login(page)
    connect(page)
    sync_now(page)
    doc_id, number = sandbox_create_invoice(page, "Blue Heron Spa", [("Lavender Candle 8oz (CND-LAV-8)", 3)])
    expected = fifo_draws(server, "CND-LAV-8", Decimal(3))
    before = database_state(server)

    page.goto("/sales/")
    with page.expect_response(lambda r: r.url.endswith("/sales/preview")) as answer:
        page.get_by_role("button", name="Preview").click()
    assert answer.value.status == 200
    preview = page.locator("#preview")
    expect(preview.get_by_role("heading", name="Preview: what Sync Now would do")).to_be_visible()
    expect(preview).to_contain_text("Nothing has changed yet. 1 to create")
    row = preview.locator("tbody tr").filter(has_text=f"Invoice {number}")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Blue Heron Spa")
    expect(row.locator(".badge").first).to_have_text("Create")
    expect(row).to_contain_text("Lavender Candle 8oz × 3:")
    for lot_number, qty in expected:
        expect(row).to_contain_text(f"{lot_number} {qty.normalize():f} @ $")
    shot(page, "preview")
    assert database_state(server) == before
    page.reload()
    expect(page.locator("#preview")).to_be_empty()
    assert database_state(server) == before

    press_sync_now(page)
    assert count(page, "created") == 1
    sale_id = server.scalar("SELECT id FROM sales WHERE external_id = :x AND external_type = 'Invoice'", x=doc_id)
    taken = [
        (r.lot_number, db_quantity(r.quantity))
        for r in server.rows(
            "SELECT l.lot_number, c.quantity FROM lot_consumptions c JOIN lots l ON l.id = c.lot_id WHERE c.sale_id = :s ORDER BY c.id",
            s=sale_id,
        )
    ]
    assert taken == expected
    after = database_state(server)
    assert after["sales"] == before["sales"] + 1 and after["sync_runs"] == before["sync_runs"] + 1
    expect(page.locator("#sales-table")).to_contain_text(number)
