"""Real QuickBooks documents (../shared/qbo_real_payloads) served by the sandbox as recorded, then synced:
revenue is the net line amounts, in the home currency, less discounts; tax never."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from partsemble.extensions import db
from partsemble.models.sales import Sale
from partsemble.sandbox.recorded import BadRecording
from tests import qbo_recordings as rec
from tests.integration.sandbox_app import live_sandbox, stock_and_link

pytestmark = pytest.mark.no_invariant_check  # each sync checks the ledger itself
D = Decimal

# (recording, entity, the revenue its sale must show); the comment says what makes each one worth syncing
RECORDED = [
    ("kotlin_au_invoice_192_taxinclusive.json", "Invoice", D("6000.00")),  # TaxInclusive: 6,600 with 600 tax
    ("kotlin_au_invoice_185_taxinclusive_fraction.json", "Invoice", D("409.09")),  # 450 gross, 40.91 tax
    ("kotlin_au_invoice_165_classref_paid.json", "Invoice", D("3900.00")),  # TaxExcluded: 390 tax on top
    ("ruby_invoice_bundle_discount_taxinclusive.derived.json", "Invoice", D("8.49")),  # bundle 10.61 less 20%
    ("airbyte_salesreceipt_11_qty_4_5.json", "SalesReceipt", D("337.50")),  # Qty 4.5
    ("airbyte_creditmemo_73.json", "CreditMemo", D("-100.00")),  # a return
]


def recorded_document(name: str, entity: str) -> dict[str, Any]:
    payload = rec.body(name)
    return payload[entity] if rec.meta(name)["kind"] == "doc_read" else payload


def item_refs(document: dict[str, Any]) -> dict[str, str]:
    """Item Id -> name of every sales item line, bundle components included."""
    found = {}
    for line in document["Line"]:
        for inner in [line, *line.get("GroupLineDetail", {}).get("Line", [])]:
            ref = inner.get("SalesItemLineDetail", {}).get("ItemRef")
            if ref:
                found[ref["value"]] = ref.get("name", f"Item {ref['value']}")
    return found


def test_recorded_documents_sync_end_to_end_with_tax_never_counted_as_revenue(app_config: dict[str, Any]) -> None:
    documents = [(recorded_document(name, entity), entity, revenue) for name, entity, revenue in RECORDED]
    with live_sandbox(app_config, initial_sync_date=date(2014, 1, 1)) as live:
        for document, entity, _ in documents:
            live.company.load_recorded(entity, document)
        items: dict[str, str] = {}
        for document, _, _ in documents:
            items.update(item_refs(document))
        stock_and_link(live, items, date(2010, 1, 1))

        summary = live.sync()

        assert (summary.created, summary.errors) == (len(documents), 0)
        with live.app.app_context():
            revenue = {
                (kind, doc_id): value
                for kind, doc_id, value in db.session.execute(select(Sale.external_type, Sale.external_id, Sale.revenue)).tuples()
            }
            db.session.remove()
        assert revenue == {(entity, document["Id"]): expected for document, entity, expected in documents}
        for document, _entity, expected in documents:
            tax = document.get("TxnTaxDetail", {}).get("TotalTax", 0)
            if tax:
                assert abs(expected) < document["TotalAmt"]  # the document total holds tax; the revenue does not


def test_a_recorded_document_is_served_byte_for_byte(app_config: dict[str, Any]) -> None:
    name = "kotlin_au_invoice_192_taxinclusive.json"
    document = recorded_document(name, "Invoice")
    with live_sandbox(app_config, initial_sync_date=date(2021, 1, 1)) as live:
        live.company.load_recorded("Invoice", document)
        assert live.company.get("Invoice", document["Id"]) == document
        [page] = [page for page in live.source().changed_documents(None, date(2021, 1, 1)) if page.documents]
        [parsed] = page.documents
        assert parsed.raw == document


def test_a_recording_dated_in_the_future_is_refused(app_config: dict[str, Any]) -> None:
    """The sandbox's clock never runs ahead of real time, so nothing may claim a later change."""
    document = dict(recorded_document("airbyte_creditmemo_73.json", "CreditMemo"))
    later = (date.today() + timedelta(days=2)).isoformat()
    document["MetaData"] = {"CreateTime": f"{later}T10:00:00-08:00", "LastUpdatedTime": f"{later}T10:00:00-08:00"}
    with live_sandbox(app_config) as live:
        with pytest.raises(BadRecording, match="future"):
            live.company.load_recorded("CreditMemo", document)
        assert live.company.get("CreditMemo", document["Id"]) is None
