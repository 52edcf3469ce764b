"""The revenue a failed document would add: its tracked lines (and those waiting for their item to be
linked) less their share of the discounts, in the home currency, negative for a credit memo."""

from __future__ import annotations

from decimal import Decimal

import pytest

from partsemble.domain.documents import DocumentType, LineKind
from partsemble.domain.sale_plan import ItemLink, waiting_revenue
from tests.documents import doc, line

ITEMS = {
    "1": ItemLink("1", "Lavender Candle", "Inventory", 1, "finished_good", "Lavender Candle"),
    "2": ItemLink("2", "Oat Soap", "Inventory"),  # stock item linked to nothing: what the document waits for
    "3": ItemLink("3", "Wax", "Inventory", 3, "raw_material", "Wax"),
    "8": ItemLink("8", "Shipping", "Service"),
    "9": ItemLink("9", "Samples", "NonInventory", not_tracked=True),
}


@pytest.mark.parametrize(
    ("document", "revenue"),
    [
        # Shipping (a service), wax (a raw material) and samples (not tracked) would add nothing.
        (doc("1", [line("1", "2", "24"), line("8", None, "10"), line("3", "1", "7"), line("9", "1", "5")]), "24"),
        (
            doc(
                "2",
                [line("1", "2", "24"), line(None, None, "0", kind=LineKind.DESCRIPTION), line(None, None, "24", kind=LineKind.SUBTOTAL)],
            ),
            "24",
        ),
        # The discount is shared over every item line: the shipping line takes its part away with it.
        (doc("3", [line("1", "4", "100"), line("8", None, "25")], discounts=("10",)), "92"),
        (doc("4", [line("1", "4", "100")], currency="CAD", rate="0.74"), "74.00"),
        (doc("5", [line("1", "1", "30"), line("8", None, "6")], doc_type=DocumentType.CREDIT_MEMO), "-30"),
        # The unlinked stock item and an item not in the list yet are what the document waits for.
        (doc("6", [line("2", "3", "18"), line("77", "1", "4"), line("8", None, "10")]), "22"),
    ],
)
def test_a_failed_document_keeps_the_revenue_its_tracked_lines_would_add(document, revenue) -> None:  # type: ignore[no-untyped-def]
    assert waiting_revenue(document, ITEMS) == Decimal(revenue)
