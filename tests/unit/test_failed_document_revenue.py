"""The revenue a failed document would add: item lines less discounts, in the home currency, negative for a credit memo."""
from __future__ import annotations

from decimal import Decimal

import pytest

from partsemble.domain.documents import DocumentType, LineKind
from partsemble.sync.problems import document_revenue
from tests.documents import doc, line


@pytest.mark.parametrize(("document", "revenue"), [
    (doc("1", [line("1", "2", "24"), line("8", None, "10")]), "34"),
    (doc("2", [line("1", "2", "24"), line(None, None, "0", kind=LineKind.DESCRIPTION), line(None, None, "24", kind=LineKind.SUBTOTAL)]), "24"),
    (doc("3", [line("1", "4", "100")], discounts=("10",)), "90"),
    (doc("4", [line("1", "4", "100")], currency="CAD", rate="0.74"), "74.00"),
    (doc("5", [line("1", "1", "30")], doc_type=DocumentType.CREDIT_MEMO), "-30"),
])
def test_a_failed_document_keeps_the_revenue_it_would_add(document, revenue) -> None:  # type: ignore[no-untyped-def]
    assert document_revenue(document) == Decimal(revenue)
