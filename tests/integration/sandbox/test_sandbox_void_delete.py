"""Edits, voids and deletions change documents exactly as QBO.md says QBO does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sandbox_harness import Api, stepping_clock

from partsemble.sandbox import InvalidChange, LineInput, ObjectNotFound, SandboxCompany
from partsemble.sandbox.clock import now_us, parse_timestamp


def item_lines(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every sales item line, bundle components included."""
    found = []
    for line in doc["Line"]:
        if "SalesItemLineDetail" in line:
            found.append(line)
        for inner in line.get("GroupLineDetail", {}).get("Line", []):
            found.append(inner)
    return found


@pytest.fixture
def invoice(company: SandboxCompany, seeded: Any) -> dict[str, Any]:
    company.clock = stepping_clock()  # changes a second apart: edits and voids come strictly later
    return company.create_document(
        "Invoice",
        customer_id="2",
        txn_date=date(2026, 11, 2),
        private_note="Rush order",
        lines=[LineInput("1", Decimal("3")), LineInput("9", Decimal("1")), LineInput("8", Decimal("1"), Decimal("12.00"))],
        discount_percent=Decimal("10"),
    )


def test_a_void_keeps_the_document_with_every_amount_and_quantity_zero(api: Api, company: SandboxCompany, invoice: dict[str, Any]) -> None:
    company.void_document("Invoice", invoice["Id"])
    [voided] = api.rows(f"SELECT * FROM Invoice WHERE Id = '{invoice['Id']}'", "Invoice")
    assert voided["SyncToken"] == "1"
    assert parse_timestamp(voided["MetaData"]["LastUpdatedTime"]) > parse_timestamp(invoice["MetaData"]["LastUpdatedTime"])
    assert voided["MetaData"]["CreateTime"] == invoice["MetaData"]["CreateTime"]
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0 and voided["TxnTaxDetail"]["TotalTax"] == 0
    assert all(line.get("Amount", 0) == 0 for line in voided["Line"])
    assert [
        (line["SalesItemLineDetail"]["ItemRef"], line["SalesItemLineDetail"].get("Qty", 0), line["Amount"]) for line in item_lines(voided)
    ] == [(line["SalesItemLineDetail"]["ItemRef"], 0, 0) for line in item_lines(invoice)]
    assert voided["PrivateNote"].startswith("Voided")


def test_a_void_arrives_through_cdc_like_any_update(api: Api, company: SandboxCompany, invoice: dict[str, Any]) -> None:
    since = invoice["MetaData"]["LastUpdatedTime"]
    company.void_document("Invoice", invoice["Id"])
    rows = api.cdc("Invoice", since).json()["CDCResponse"][0]["QueryResponse"][0]["Invoice"]
    assert [(row["Id"], row["TotalAmt"], row["SyncToken"]) for row in rows] == [(invoice["Id"], 0, "1")]


def test_a_deleted_document_is_gone_from_query_and_read_and_a_tombstone_in_cdc(
    api: Api, company: SandboxCompany, invoice: dict[str, Any]
) -> None:
    since = invoice["MetaData"]["LastUpdatedTime"]
    company.delete_document("Invoice", invoice["Id"])
    assert api.rows(f"SELECT * FROM Invoice WHERE Id = '{invoice['Id']}'", "Invoice") == []
    assert invoice["Id"] not in {row["Id"] for row in api.rows("SELECT Id FROM Invoice MAXRESULTS 1000", "Invoice")}
    read = api.get(f"invoice/{invoice['Id']}")
    assert (read.status_code, read.json()["Fault"]["Error"][0]["code"]) == (400, "610")
    rows = api.cdc("Invoice", since).json()["CDCResponse"][0]["QueryResponse"][0]["Invoice"]
    assert [(row["Id"], row.get("status")) for row in rows] == [(invoice["Id"], "Deleted")]
    assert company.state("Invoice", invoice["Id"]) == "deleted"


def test_a_voided_document_can_still_be_deleted(company: SandboxCompany, invoice: dict[str, Any]) -> None:
    company.void_document("Invoice", invoice["Id"])
    company.delete_document("Invoice", invoice["Id"])
    assert company.state("Invoice", invoice["Id"]) == "deleted"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("void", "void"),
        ("void", "update"),
        ("delete", "void"),
        ("delete", "delete"),
        ("delete", "update"),
    ],
)
def test_a_voided_or_deleted_document_refuses_further_changes(
    company: SandboxCompany, invoice: dict[str, Any], first: str, second: str
) -> None:
    actions = {
        "void": lambda: company.void_document("Invoice", invoice["Id"]),
        "delete": lambda: company.delete_document("Invoice", invoice["Id"]),
        "update": lambda: company.update_document("Invoice", invoice["Id"], private_note="late edit"),
    }
    actions[first]()
    with pytest.raises(InvalidChange):
        actions[second]()


def test_an_edit_bumps_sync_token_and_last_updated_time_and_keeps_create_time(company: SandboxCompany, invoice: dict[str, Any]) -> None:
    edited = company.update_document("Invoice", invoice["Id"], lines=[LineInput("2", Decimal("4.5"))])
    assert edited["SyncToken"] == "1"
    assert edited["MetaData"]["CreateTime"] == invoice["MetaData"]["CreateTime"]
    assert parse_timestamp(edited["MetaData"]["LastUpdatedTime"]) > parse_timestamp(invoice["MetaData"]["LastUpdatedTime"])
    [line] = item_lines(edited)
    assert (line["SalesItemLineDetail"]["ItemRef"]["value"], line["SalesItemLineDetail"]["Qty"]) == ("2", Decimal("4.5"))
    assert edited["PrivateNote"] == "Rush order"


def test_rapid_changes_share_the_second_never_run_ahead_and_always_move_the_sync_token(
    company: SandboxCompany, invoice: dict[str, Any]
) -> None:
    company.clock = None  # the real clock: QBO stamps to the second, so quick edits tie
    stamps = [parse_timestamp(invoice["MetaData"]["LastUpdatedTime"])]
    tokens = []
    for n in range(5):
        doc = company.update_document("Invoice", invoice["Id"], private_note=f"edit {n}")
        stamps.append(parse_timestamp(doc["MetaData"]["LastUpdatedTime"]))
        tokens.append(int(doc["SyncToken"]))
    assert stamps == sorted(stamps) and stamps[-1] <= now_us()
    assert len(set(stamps)) < len(stamps)  # five edits in well under five seconds
    assert tokens == [1, 2, 3, 4, 5]


def test_tax_stays_out_of_line_amounts(invoice: dict[str, Any]) -> None:
    lines = [line for line in invoice["Line"] if "SalesItemLineDetail" in line or "GroupLineDetail" in line]
    discount = next(line["Amount"] for line in invoice["Line"] if "DiscountLineDetail" in line)
    subtotal = sum(line["Amount"] for line in lines)
    assert invoice["TxnTaxDetail"]["TotalTax"] > 0
    assert invoice["TotalAmt"] == subtotal - discount + invoice["TxnTaxDetail"]["TotalTax"]


@pytest.mark.parametrize(
    ("lines", "customer"),
    [
        ([LineInput("999", Decimal("1"))], "1"),
        ([LineInput("12", Decimal("1"))], "1"),
        ([LineInput("11", Decimal("1"))], "1"),
        ([LineInput("1", Decimal("1"))], "999"),
    ],
)
def test_documents_with_unknown_inactive_or_category_things_are_refused(
    company: SandboxCompany, seeded: Any, lines: list[LineInput], customer: str
) -> None:
    with pytest.raises(InvalidChange):
        company.create_document("Invoice", customer_id=customer, txn_date=date(2026, 11, 1), lines=lines)


def test_changing_a_missing_document_is_object_not_found(company: SandboxCompany, seeded: Any) -> None:
    with pytest.raises(ObjectNotFound):
        company.void_document("Invoice", "424242")


def test_deleting_an_item_makes_it_inactive_as_qbo_does(api: Api, company: SandboxCompany, seeded: Any) -> None:
    company.delete_item("5")
    assert api.get("item/5").json()["Item"]["Active"] is False
    assert "5" not in {row["Id"] for row in api.rows("SELECT * FROM Item", "Item")}
    assert "5" in {row["Id"] for row in api.rows("SELECT * FROM Item WHERE Active = false", "Item")}
