"""Every real QuickBooks answer in ../shared/qbo_real_payloads read by the connector, through `responses`.

Each one becomes a typed record, a per-document problem, or a typed
ConnectorError: never an unexpected exception (a 500 in the app).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from qbo_doubles import COMPANY_URL

from partsemble.connectors.errors import (
    BadRequest,
    ConnectorError,
    MalformedResponse,
    NotFound,
    RateLimited,
    Transient,
)
from partsemble.connectors.qbo.client import QboSource
from partsemble.connectors.qbo.http import QboHttp
from partsemble.connectors.qbo.parse import parse_document
from partsemble.domain.documents import (
    Deletion,
    DocumentProblem,
    DocumentStatus,
    DocumentType,
    LineKind,
    SalesDocument,
)
from tests import qbo_recordings as rec

D = Decimal
# The HTTP status each recorded fault came with (from its message, or QBO.md for its code).
FAULT_STATUS = {"3001": 429, "10000": 500, "610": 400}
FAULT_ERROR = {"3001": RateLimited, "10000": Transient, "610": NotFound}


def document(name: str) -> SalesDocument | DocumentProblem:
    """A recorded document (a read answer or a bare one) parsed as the query paging would."""
    meta, payload = rec.meta(name), rec.body(name)
    entity = meta["entity"]
    return parse_document(DocumentType(entity), payload[entity] if meta["kind"] == "doc_read" else payload)


@pytest.mark.parametrize("name", rec.names("doc_read", "doc_bare"))
def test_every_recorded_document_becomes_a_typed_record_or_a_clear_problem(
    name: str, serve: Callable[..., None], source: QboSource
) -> None:
    meta = rec.meta(name)
    if name.endswith(".xml"):
        # The client asks for JSON; a document in XML is a clear, typed failure of that call.
        serve(rec.text(name), content_type="application/xml")
        with pytest.raises(MalformedResponse, match="not valid JSON"):
            source.get_documents(DocumentType(meta["entity"]), ["1"])
        return
    parsed = document(name)
    assert isinstance(parsed, (SalesDocument, DocumentProblem))
    if isinstance(parsed, DocumentProblem):
        assert parsed.message.startswith(meta["entity"])
        return
    assert parsed.type == meta["entity"] and parsed.id
    assert all(isinstance(line.amount, Decimal) for line in parsed.lines)


@pytest.mark.parametrize("name", rec.names("fault"))
def test_every_recorded_fault_is_the_typed_error_its_code_means(name: str, serve: Callable[..., None], source: QboSource) -> None:
    raw = rec.text(name)
    code = rec.body(name)["Fault"]["Error"][0]["code"] if name.endswith(".json") else _xml_code(raw)
    status = 403 if "statusCode=403" in raw else FAULT_STATUS.get(code, 400)
    serve(raw, status=status, url=f"{COMPANY_URL}/item/11", content_type="application/xml" if name.endswith(".xml") else "application/json")
    with pytest.raises(ConnectorError) as caught:
        source.get_item("11")
    assert isinstance(caught.value, FAULT_ERROR.get(code, BadRequest))
    assert caught.value.code == code


def _xml_code(raw: str) -> str:
    from partsemble.connectors.qbo.faults import fault_from_text

    fault = fault_from_text(raw)
    assert fault is not None and fault.code
    return fault.code


@pytest.mark.parametrize("name", rec.names("item_query"))
def test_recorded_item_lists_page_into_item_records(name: str, serve: Callable[..., None], source: QboSource) -> None:
    rows = rec.body(name)["QueryResponse"]["Item"]
    serve(rec.text(name))
    items = list(source.list_items())
    assert [item.id for item in items] == [row["Id"] for row in rows]
    assert {item.type for item in items} <= {"Inventory", "NonInventory", "Service", "Group", "Category"}


@pytest.mark.parametrize("name", rec.names("item_read"))
def test_recorded_item_reads_become_item_records(name: str, serve: Callable[..., None], source: QboSource) -> None:
    payload = rec.body(name)["Item"]
    serve(rec.text(name), url=f"{COMPANY_URL}/item/{payload['Id']}")
    item = source.get_item(payload["Id"])
    assert (item.id, item.name, item.type, item.active) == (payload["Id"], payload["Name"], payload["Type"], payload.get("Active", True))


@pytest.mark.parametrize("name", rec.names("cdc"))
def test_recorded_cdc_answers_give_confirmed_deletions_of_sales_documents_only(
    name: str, serve: Callable[..., None], http: QboHttp
) -> None:
    raw = rec.text(name)
    recorded_at = _answer_time(raw)
    source = QboSource(http, now=lambda: recorded_at + timedelta(hours=1))
    if name.endswith(".xml"):
        serve(raw, url=f"{COMPANY_URL}/cdc", content_type="application/xml")
        with pytest.raises(MalformedResponse):
            source.deletions(recorded_at - timedelta(days=1))
        return
    tombstones = _sales_tombstones(rec.body(name))
    serve(raw, url=f"{COMPANY_URL}/cdc")
    not_found = rec.text("exq_fault_object_not_found_610.json")
    for doc_type, doc_id in tombstones:
        path = {"Invoice": "invoice", "SalesReceipt": "salesreceipt", "CreditMemo": "creditmemo"}[doc_type]
        serve(not_found, status=400, url=f"{COMPANY_URL}/{path}/{doc_id}")
    deletions = source.deletions(recorded_at - timedelta(days=1))
    assert [(str(d.type), d.id) for d in deletions] == tombstones
    assert all(isinstance(d, Deletion) and d.deleted_at is not None for d in deletions)


def _answer_time(raw: str) -> datetime:
    import re

    match = re.search(r'time"?\s*[:=]\s*"([^"]+)"', raw)
    assert match, "a recorded CDC answer carries its time"
    return datetime.fromisoformat(match.group(1))


def _sales_tombstones(body: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for response in body["CDCResponse"]:
        for element in response["QueryResponse"]:
            for entity in ("Invoice", "SalesReceipt", "CreditMemo"):
                found += [(entity, row["Id"]) for row in element.get(entity, []) if row.get("status") == "Deleted"]
    return sorted(found)


# What the recordings teach, one behaviour each.


def test_tax_inclusive_lines_are_read_net_of_tax_so_tax_is_never_revenue() -> None:
    for name, net, gross, tax in (
        ("kotlin_au_invoice_192_taxinclusive.json", D("6000"), D("6600"), D("600")),
        ("kotlin_au_invoice_185_taxinclusive_fraction.json", D("409.09"), D("450"), D("40.91")),
    ):
        doc = document(name)
        assert isinstance(doc, SalesDocument)
        [line] = [line for line in doc.lines if line.kind is LineKind.ITEM]
        assert line.amount == net and doc.total_amount == gross == net + tax


def test_a_bundle_with_a_percent_discount_is_walked_into_its_item_lines() -> None:
    doc = document("ruby_invoice_bundle_discount_taxinclusive.derived.json")
    assert isinstance(doc, SalesDocument)
    items = [line for line in doc.lines if line.kind is LineKind.ITEM]
    assert [(line.item_id, line.quantity, line.amount, line.group_name) for line in items] == [
        ("25", D("15"), D("7.96"), "Assorted sweets"),
        ("26", D("24"), D("2.65"), "Assorted sweets"),
    ]
    assert [(d.amount, d.percent) for d in doc.discounts] == [(D("2.12"), D("20"))]


def test_a_void_is_recognised_only_once_its_amounts_are_zero() -> None:
    queried = document("exq_salesreceipt_voided.json")
    void_call_answer = document("ruby_invoice_void_response.derived.json")
    zero_priced = document("exq_salesreceipt_zero_price.json")
    assert isinstance(queried, SalesDocument) and queried.status is DocumentStatus.VOIDED
    # The void operation's own answer still shows 50.00: QBO.md's rule waits for the zeroed document.
    assert isinstance(void_call_answer, SalesDocument) and void_call_answer.status is DocumentStatus.ACTIVE
    # A sale at price 0 is a sale, not a void: no "Voided" note.
    assert isinstance(zero_priced, SalesDocument) and zero_priced.status is DocumentStatus.ACTIVE


@pytest.mark.parametrize(
    ("name", "quantities"),
    [
        ("airbyte_invoice_129_fractional_qty.json", [D(5), D(5), D("3.5"), D(1), D(1)]),
        ("airbyte_salesreceipt_11_qty_4_5.json", [D("4.5")]),
        ("airbyte_salesreceipt_38_percent_discount.json", [D("2.5")]),
        ("intuit_usecase_invoice_801_2024.json", [None]),
        ("invoiced_invoice_165_negative_noqty_desc_discount.json", [D(1), D(1), None]),
    ],
)
def test_recorded_quantities_are_decimals_and_a_missing_qty_stays_unknown(name: str, quantities: list[Any]) -> None:
    doc = document(name)
    assert isinstance(doc, SalesDocument)
    assert [line.quantity for line in doc.lines if line.kind is LineKind.ITEM] == quantities


def test_negative_amounts_description_amounts_and_nameless_item_refs_are_kept_as_sent() -> None:
    odd = document("invoiced_invoice_165_negative_noqty_desc_discount.json")
    nameless = document("invoiced_invoice_456_itemref_no_name.json")
    assert isinstance(odd, SalesDocument) and isinstance(nameless, SalesDocument)
    assert odd.lines[0].amount == D("-55.00")
    [description] = [line for line in odd.lines if line.kind is LineKind.DESCRIPTION]
    assert description.amount == D("1.00") and description.item_id is None  # text, never stock
    assert [line.item_name for line in nameless.lines if line.kind is LineKind.ITEM] == [""]


def test_a_foreign_currency_invoice_keeps_its_exchange_rate() -> None:
    doc = document("ruby_invoice_exchangerate_1_5_annotated.derived.json")
    assert isinstance(doc, SalesDocument) and doc.exchange_rate == D("1.5")
