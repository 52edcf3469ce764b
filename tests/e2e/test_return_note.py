"""A late invoice can become the customer's last sale before a return. The return lot is then costed at
that sale, and its page names it: the note follows the date-order replay, not the order of syncing."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.flows import INITIAL_SYNC_DATE, connect, login, sandbox_create_invoice, sync_now
from tests.e2e.server import LiveServer

pytestmark = pytest.mark.e2e
BASIS = re.compile(r"\(cost of sale (\S+) on (\d{4}-\d{2}-\d{2})\)$")


def _day(raw: object) -> date:
    return raw if isinstance(raw, date) else date.fromisoformat(str(raw))


def test_a_late_invoice_becomes_the_basis_of_a_return_and_the_lot_page_names_it(page: Page, server: LiveServer, shot) -> None:  # type: ignore[no-untyped-def]
    login(page)
    connect(page)
    sync_now(page)
    returns = server.rows(
        "SELECT l.id, l.note, s.customer_name, s.doc_number, s.txn_date, sl.item_external_id FROM lots l "
        "JOIN sales s ON s.id = l.sale_id JOIN sale_lines sl ON sl.return_lot_id = l.id "
        "WHERE l.source = 'return' AND s.status = 'active' ORDER BY s.txn_date DESC, l.id"
    )
    # A return costed at an earlier sale of a day before the memo's: an invoice the day before the memo,
    # entered now, is the customer's last sale before it.
    found = [
        r
        for r in returns
        if (m := BASIS.search(r.note)) and date.fromisoformat(m.group(2)) < _day(r.txn_date) and _day(r.txn_date) > INITIAL_SYNC_DATE
    ]
    assert found, [r.note for r in returns]
    lot = found[0]
    with server.sandbox() as sandbox:
        item = json.loads(
            sandbox.exec_driver_sql(
                f"SELECT payload FROM sandbox_object WHERE entity = 'Item' AND id = {int(lot.item_external_id)}"
            ).scalar_one()
        )
    label = f"{item['Name']} ({item['Sku']})" if item.get("Sku") else item["Name"]
    day = _day(lot.txn_date) - timedelta(days=1)
    _, number = sandbox_create_invoice(page, lot.customer_name, [(label, 1)], day)
    sync_now(page)
    page.goto(f"/lots/{lot.id}")
    note = f"Returned on Credit memo {lot.doc_number} (cost of sale {number} on {day.isoformat()})"
    expect(page.locator("dd").filter(has_text=re.compile("^Returned on"))).to_have_text(note)
    assert server.scalar(f"SELECT note FROM lots WHERE id = {int(lot.id)}") == note
    shot(page, "return-lot-note")
