"""A lot's trace lists the sales that drew it on or after it was received; a sale dated before
it appears only as settled (it was short, and this lot covered it when it arrived)."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.flows import connect, login, sync_now
from tests.e2e.server import LiveServer

pytestmark = pytest.mark.e2e


def test_no_lot_trace_lists_an_unsettled_sale_dated_before_the_lot(page: Page, server: LiveServer, shot) -> None:  # type: ignore[no-untyped-def]
    login(page)
    connect(page)
    sync_now(page)
    lots = server.rows(
        "SELECT l.id, l.lot_number, l.received_date, count(*) AS draws FROM lots l JOIN lot_consumptions c ON c.lot_id = l.id "
        "GROUP BY l.id, l.lot_number, l.received_date ORDER BY count(*) DESC, l.id LIMIT 4"
    )
    assert lots
    settled_seen = 0
    for lot in lots:
        page.goto(f"/lots/{lot.id}")
        rows = page.locator("#sales + .table-wrap tbody tr")
        expect(rows).to_have_count(lot.draws)
        received = lot.received_date if isinstance(lot.received_date, date) else date.fromisoformat(str(lot.received_date))
        for cells in rows.evaluate_all("rows => rows.map(r => [r.cells[0].innerText.trim(), r.cells[1].innerText])"):
            sold_on, document = date.fromisoformat(cells[0]), cells[1]
            if "settled" in document:
                settled_seen += 1
                assert sold_on <= received, (lot.lot_number, cells)
            else:
                assert sold_on >= received, (lot.lot_number, cells)
        shot(page, f"lot-{lot.lot_number}")
    settled = server.scalar(
        f"SELECT count(*) FROM lot_consumptions c WHERE c.settled = :yes AND c.lot_id IN ({', '.join(str(lot.id) for lot in lots)})",
        yes=True,
    )
    assert settled_seen == settled
