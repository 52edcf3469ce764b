"""The demo company: fixed items, realistic customers, ~300 documents with every special case."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sandbox_harness import Api

from partsemble.sandbox import SandboxCompany
from partsemble.sandbox.clock import now_us, parse_timestamp, qbo_time
from partsemble.sandbox.seed import CompanyNotEmpty, import_stamp

TODAY = date(2026, 6, 15)


@pytest.fixture
def demo(company: SandboxCompany) -> Any:
    return company.seed_demo(TODAY)


def documents(api: Api, entity: str) -> list[dict[str, Any]]:
    return api.rows(f"SELECT * FROM {entity} MAXRESULTS 1000", entity)


@pytest.fixture
def all_documents(api: Api, demo: Any) -> list[dict[str, Any]]:
    return [doc for entity in ("Invoice", "SalesReceipt", "CreditMemo") for doc in documents(api, entity)]


def lines_of(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for line in doc["Line"]:
        yield line
        yield from line.get("GroupLineDetail", {}).get("Line", [])


@pytest.mark.parametrize(
    ("item_id", "name", "sku", "item_type", "active"),
    [
        ("1", "Lavender Candle 8oz", "CND-LAV-8", "Inventory", True),
        ("2", "Cedar Candle 8oz", "CND-CED-8", "Inventory", True),
        ("3", "Citrus Candle 16oz", "CND-CIT-16", "Inventory", True),
        ("4", "Lavender Soap 200g", None, "Inventory", True),
        ("5", "Oatmeal Soap 200g", "SOAP-OAT-200", "Inventory", True),
        ("6", "Relaxation Gift Set", "GIFT-RELAX", "NonInventory", True),
        ("7", "Soy Wax 1kg", "WAX-SOY", "Inventory", True),
        ("8", "Shipping", None, "Service", True),
        ("9", "Candle Trio", None, "Group", True),
        ("10", "Gift Wrap", None, "Service", True),
        ("11", "Candles", None, "Category", True),
        ("12", "Old Beeswax Taper", "CND-BEE-OLD", "Inventory", False),
    ],
)
def test_demo_items_have_the_fixed_ids_names_skus_and_types(
    company: SandboxCompany, demo: Any, item_id: str, name: str, sku: str | None, item_type: str, active: bool
) -> None:
    item = company.get("Item", item_id)
    assert item is not None
    assert (item["Name"], item.get("Sku"), item["Type"], item["Active"]) == (name, sku, item_type, active)


def test_the_candle_trio_bundles_one_of_each_candle(company: SandboxCompany, demo: Any) -> None:
    group = company.get("Item", "9")["ItemGroupDetail"]["ItemGroupLine"]
    assert [(line["ItemRef"]["value"], line["Qty"]) for line in group] == [("1", 1), ("2", 1), ("3", 1)]


def test_there_are_twelve_customers_including_awkward_names(company: SandboxCompany, demo: Any) -> None:
    names = [customer["DisplayName"] for customer in company.customers()]
    assert len(names) == 12
    assert any("&" in name and '"' in name for name in names)
    assert max(len(name) for name in names) >= 60


def test_about_300_documents_mostly_invoices_and_5_percent_credit_memos(company: SandboxCompany, demo: Any) -> None:
    counts = {entity: company.count(entity, state="all") for entity in ("Invoice", "SalesReceipt", "CreditMemo")}
    assert sum(counts.values()) == 300
    assert counts["Invoice"] > counts["SalesReceipt"] > counts["CreditMemo"] == 15
    assert demo.documents == {"Invoice": counts["Invoice"] - 1, "SalesReceipt": counts["SalesReceipt"], "CreditMemo": 15}


def test_documents_fall_in_the_90_days_before_today(all_documents: list[dict[str, Any]]) -> None:
    days = sorted(doc["TxnDate"] for doc in all_documents)
    assert days[0] >= "2026-03-17" and days[-1] < TODAY.isoformat()


def test_lavender_soap_appears_on_10_to_15_documents(all_documents: list[dict[str, Any]], demo: Any) -> None:
    with_soap = {
        doc["Id"]
        for doc in all_documents
        if any(line.get("SalesItemLineDetail", {}).get("ItemRef", {}).get("value") == "4" for line in lines_of(doc))
    }
    assert 10 <= len(with_soap) <= 15
    assert with_soap <= set(demo.lavender_soap_documents)


@pytest.mark.parametrize(
    ("detail", "minimum"),
    [
        ("GroupLineDetail", 5),
        ("DiscountLineDetail", 10),
        ("SubTotalLineDetail", 290),
        ("DescriptionLineDetail", 5),
    ],
)
def test_every_kind_of_line_occurs(all_documents: list[dict[str, Any]], detail: str, minimum: int) -> None:
    assert sum(1 for doc in all_documents if any(detail in line for line in doc["Line"])) >= minimum


def test_some_discounts_are_percent_based_and_some_are_not(all_documents: list[dict[str, Any]]) -> None:
    kinds = {line["DiscountLineDetail"]["PercentBased"] for doc in all_documents for line in doc["Line"] if "DiscountLineDetail" in line}
    assert kinds == {True, False}


def test_decimal_quantities_occur(all_documents: list[dict[str, Any]]) -> None:
    quantities = [line["SalesItemLineDetail"]["Qty"] for doc in all_documents for line in lines_of(doc) if "SalesItemLineDetail" in line]
    assert Decimal("4.5") in quantities and all(isinstance(q, (int, Decimal)) for q in quantities)


def test_tax_is_never_in_line_amounts(all_documents: list[dict[str, Any]]) -> None:
    for doc in all_documents:
        items = sum(line["Amount"] for line in doc["Line"] if "SalesItemLineDetail" in line or "GroupLineDetail" in line)
        discount = sum(line["Amount"] for line in doc["Line"] if "DiscountLineDetail" in line)
        assert doc["TotalAmt"] == items - discount + doc["TxnTaxDetail"]["TotalTax"], doc["Id"]


def test_credit_memos_have_positive_lines_and_some_price_adjustments(api: Api, demo: Any) -> None:
    memos = documents(api, "CreditMemo")
    lines = [line for memo in memos for line in memo["Line"] if "SalesItemLineDetail" in line]
    assert all(line["Amount"] > 0 and line["SalesItemLineDetail"]["Qty"] >= 0 for line in lines)
    assert sum(1 for line in lines if line["SalesItemLineDetail"]["Qty"] == 0) >= 2
    assert all(memo["RemainingCredit"] == memo["TotalAmt"] > 0 for memo in memos)


def test_the_cad_sales_receipt_carries_exchange_rate_and_home_total(company: SandboxCompany, demo: Any) -> None:
    receipt = company.get("SalesReceipt", demo.cad_sales_receipt)
    assert receipt["CurrencyRef"] == {"value": "CAD", "name": "Canadian Dollar"}
    assert receipt["ExchangeRate"] == Decimal("0.74")
    assert receipt["HomeTotalAmt"] == (receipt["TotalAmt"] * Decimal("0.74")).quantize(Decimal("0.01"))


def test_edited_invoices_have_sync_tokens_above_zero_and_later_update_times(company: SandboxCompany, demo: Any) -> None:
    assert len(demo.edited_invoices) >= 5
    for doc_id in demo.edited_invoices:
        doc = company.get("Invoice", doc_id)
        assert int(doc["SyncToken"]) > 0
        assert doc["MetaData"]["LastUpdatedTime"] > doc["MetaData"]["CreateTime"]


def test_one_voided_invoice_looks_exactly_voided(company: SandboxCompany, demo: Any) -> None:
    doc = company.get("Invoice", demo.voided_invoice)
    assert company.state("Invoice", demo.voided_invoice) == "voided"
    assert doc["TotalAmt"] == 0 and doc["PrivateNote"].startswith("Voided") and int(doc["SyncToken"]) >= 1
    assert all(line.get("Amount", 0) == 0 for line in lines_of(doc))
    assert all(line["SalesItemLineDetail"]["ItemRef"]["value"] for line in lines_of(doc) if "SalesItemLineDetail" in line)


def test_one_deleted_invoice_is_only_a_tombstone(api: Api, company: SandboxCompany, demo: Any) -> None:
    assert company.state("Invoice", demo.deleted_invoice) == "deleted"
    assert api.get(f"invoice/{demo.deleted_invoice}").status_code == 400
    assert company.count("Invoice", state="deleted") == 1 and company.count("Invoice", state="voided") == 1


def test_the_imported_history_shares_one_time_and_every_later_change_has_its_own(all_documents: list[dict[str, Any]]) -> None:
    imported = qbo_time(import_stamp(TODAY))
    times = Counter(doc["MetaData"]["LastUpdatedTime"] for doc in all_documents)
    untouched = [doc for doc in all_documents if doc["MetaData"]["CreateTime"] == imported and doc["SyncToken"] == "0"]
    assert times[imported] == len(untouched) >= 150  # most of the 90 days came in with the import
    assert all(count == 1 for time, count in times.items() if time != imported)
    assert all(parse_timestamp(doc["MetaData"]["CreateTime"]) >= import_stamp(TODAY) for doc in all_documents)
    assert max(parse_timestamp(time) for time in times) <= now_us()


def test_seeding_again_changes_nothing(company: SandboxCompany, demo: Any) -> None:
    again = company.seed_demo(TODAY)
    assert again.created is False and demo.created is True
    assert (again.voided_invoice, again.documents) == (demo.voided_invoice, demo.documents)
    assert company.count("Invoice", state="all") + company.count("SalesReceipt") + company.count("CreditMemo") == 300


def test_the_seed_is_deterministic(tmp_path: Path, company: SandboxCompany, demo: Any) -> None:
    other = SandboxCompany.open(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        other.seed_demo(TODAY)
        for doc_id in ("101", "150", demo.voided_invoice, demo.cad_sales_receipt, "400"):
            entity = next(e for e in ("Invoice", "SalesReceipt", "CreditMemo") if company.get(e, doc_id))
            assert other.get(entity, doc_id) == company.get(entity, doc_id)
    finally:
        other.close()


def test_the_demo_needs_an_empty_company(company: SandboxCompany) -> None:
    company.create_customer("Someone Already Here")
    with pytest.raises(CompanyNotEmpty):
        company.seed_demo(TODAY)
