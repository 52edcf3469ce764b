"""CDC: one QueryResponse element per entity, deletions as tombstones after the live ones."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sandbox_harness import company_today

from partsemble.sandbox import LineInput, SandboxCompany
from partsemble.sandbox.clock import MICROS, now_us, qbo_time

ALL = "Invoice,SalesReceipt,CreditMemo"


def ago(days: int) -> str:
    return qbo_time(now_us() - days * 86_400 * MICROS)


def test_recent_changes_include_the_voided_invoice_and_the_deleted_one_as_a_tombstone(api: Any, seeded: Any) -> None:
    response = api.cdc(ALL, ago(10))
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"CDCResponse", "time"} and len(body["CDCResponse"]) == 1
    elements = body["CDCResponse"][0]["QueryResponse"]
    assert isinstance(elements, list) and len(elements) == 3
    invoices = elements[0]["Invoice"]
    assert elements[0]["startPosition"] == 1 and elements[0]["maxResults"] == len(invoices)
    assert seeded.voided_invoice in [row["Id"] for row in invoices if "status" not in row]
    assert invoices[-1] == {
        "status": "Deleted",
        "domain": "QBO",
        "Id": seeded.deleted_invoice,
        "MetaData": {"LastUpdatedTime": invoices[-1]["MetaData"]["LastUpdatedTime"]},
    }


def test_tombstones_come_after_every_live_document(api: Any, company: SandboxCompany, seeded: Any) -> None:
    latest = api.rows("SELECT * FROM Invoice ORDERBY MetaData.LastUpdatedTime DESC MAXRESULTS 1", "Invoice")[0]
    company.delete_document("Invoice", latest["Id"])
    company.update_document("Invoice", seeded.edited_invoices[0], private_note="edited after the deletion")
    invoices = api.cdc("Invoice", ago(10)).json()["CDCResponse"][0]["QueryResponse"][0]["Invoice"]
    kinds = ["tombstone" if row.get("status") == "Deleted" else "live" for row in invoices]
    assert kinds == sorted(kinds)  # "live" < "tombstone": every live row first
    assert {row["Id"] for row in invoices if row.get("status")} == {seeded.deleted_invoice, latest["Id"]}
    assert invoices[kinds.index("tombstone") - 1]["Id"] == seeded.edited_invoices[0]


def test_nothing_changed_is_a_single_empty_element(api: Any, seeded: Any) -> None:
    body = api.cdc(ALL, qbo_time(now_us())).json()
    assert body["CDCResponse"] == [{"QueryResponse": [{}]}]


def test_an_entity_without_changes_is_an_empty_element(api: Any, company: SandboxCompany, seeded: Any) -> None:
    since = qbo_time(now_us())
    receipt = company.create_document("SalesReceipt", customer_id="1", txn_date=company_today(), lines=[LineInput("1", Decimal("2"))])
    elements = api.cdc(ALL, since).json()["CDCResponse"][0]["QueryResponse"]
    assert elements[0] == {} and elements[2] == {}
    assert [row["Id"] for row in elements[1]["SalesReceipt"]] == [receipt["Id"]]
    assert (elements[1]["startPosition"], elements[1]["maxResults"]) == (1, 1)


@pytest.mark.parametrize(("days", "status"), [(29, 200), (31, 400)])
def test_changed_since_may_reach_back_30_days_at_most(api: Any, seeded: Any, days: int, status: int) -> None:
    response = api.cdc(ALL, ago(days))
    assert response.status_code == status
    if status == 400:
        error = response.json()["Fault"]["Error"][0]
        assert "older than fixed days is not supported" in error["Detail"]


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"changedSince": "2026-01-01T00:00:00Z"}, "entities is required"),
        ({"entities": "Invoice,Payment", "changedSince": "2026-01-01T00:00:00Z"}, "Payment"),
        ({"entities": "Invoice"}, "changedSince"),
        ({"entities": "Invoice", "changedSince": "yesterday"}, "changedSince"),
    ],
)
def test_a_malformed_cdc_request_is_a_400_fault(api: Any, params: dict[str, str], problem: str) -> None:
    response = api.get("cdc", **params)
    assert response.status_code == 400
    assert problem in response.json()["Fault"]["Error"][0]["Detail"]


def test_at_most_1000_objects_per_entity_and_tombstones_are_cut_first(api: Any, company: SandboxCompany) -> None:
    today = company_today()
    generated = company.generate(
        1003, start=today - timedelta(days=5), end=today, seed=5, credit_memo_share=0, sales_receipt_share=0, void_share=0, unlinked_share=0
    )
    company.delete_document("Invoice", generated.first_id)
    element = api.cdc("Invoice", ago(20)).json()["CDCResponse"][0]["QueryResponse"][0]
    assert element["maxResults"] == len(element["Invoice"]) == 1000
    assert not any(row.get("status") == "Deleted" for row in element["Invoice"])


def test_deletions_fill_only_the_room_left_under_the_cap(api: Any, company: SandboxCompany) -> None:
    today = company_today()
    generated = company.generate(
        1002, start=today - timedelta(days=5), end=today, seed=5, credit_memo_share=0, sales_receipt_share=0, void_share=0, unlinked_share=0
    )
    for doc_id in range(generated.first_id, generated.first_id + 4):
        company.delete_document("Invoice", doc_id)
    rows = api.cdc("Invoice", ago(20)).json()["CDCResponse"][0]["QueryResponse"][0]["Invoice"]
    tombstones = [row["Id"] for row in rows if row.get("status") == "Deleted"]
    assert len(rows) == 1000
    assert tombstones == [str(generated.first_id), str(generated.first_id + 1)]
