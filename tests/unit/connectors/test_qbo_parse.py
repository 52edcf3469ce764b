"""Parsing QBO sales documents and items into the house's records."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from partsemble.connectors.errors import MalformedResponse
from partsemble.connectors.qbo.parse import parse_document, parse_item, parse_server_time
from partsemble.domain.documents import (
    CustomerRef,
    Discount,
    DocumentLine,
    DocumentProblem,
    DocumentStatus,
    DocumentType,
    ItemRecord,
    LineKind,
    SalesDocument,
)

PACIFIC = timezone(timedelta(hours=-7))


def parsed(doc_type: DocumentType, payload: Any) -> SalesDocument:
    result = parse_document(doc_type, payload)
    assert isinstance(result, SalesDocument), getattr(result, "message", result)
    return result


def test_invoice_parses_items_subtotal_discount_and_metadata(qbo_json):
    payload = qbo_json("invoice.json")["Invoice"]

    doc = parsed(DocumentType.INVOICE, payload)

    assert doc.type is DocumentType.INVOICE
    assert (doc.id, doc.version, doc.number) == ("130", "3", "1042")
    assert doc.txn_date == date(2026, 5, 4)
    assert doc.customer == CustomerRef(id="24", name="Sonnenschein Family Store")
    assert doc.lines == (
        DocumentLine(
            line_id="1",
            kind=LineKind.ITEM,
            item_id="11",
            item_name="Brass Bushing 12mm",
            description="Brass bushing 12 mm, per kg",
            quantity=Decimal("4.5"),
            unit_price=Decimal(20),
            amount=Decimal("90.00"),
        ),
        DocumentLine(
            line_id="2",
            kind=LineKind.ITEM,
            item_id="5",
            item_name="Rock Fountain",
            description="Rock Fountain",
            quantity=Decimal(1),
            unit_price=Decimal(275),
            amount=Decimal("275.00"),
        ),
        DocumentLine(line_id="", kind=LineKind.SUBTOTAL, amount=Decimal("365.00")),
    )
    assert doc.discounts == (Discount(amount=Decimal("36.50"), percent=Decimal(10)),)
    assert doc.status is DocumentStatus.ACTIVE
    assert (doc.currency, doc.exchange_rate) == ("USD", Decimal(1))
    assert doc.total_amount == Decimal("354.78")
    assert doc.private_note == "Collect at the loading dock"
    assert doc.created_at == datetime(2026, 5, 4, 13, 16, 17, tzinfo=PACIFIC)
    assert doc.updated_at == datetime(2026, 5, 6, 9, 2, 44, tzinfo=PACIFIC)
    assert doc.raw is payload


def test_voided_invoice_in_intuits_sample_shape_is_voided(qbo_json):
    doc = parsed(DocumentType.INVOICE, qbo_json("invoice_voided.json")["Invoice"])

    assert doc.status is DocumentStatus.VOIDED
    # DetailType says SALES_ITEM_LINE_DETAIL; the detail key still makes it an item line.
    assert doc.lines[0].kind is LineKind.ITEM
    assert doc.lines[0].item_id == "1"
    assert doc.lines[0].quantity is None
    assert doc.lines[0].amount == 0
    assert doc.total_amount == 0


@pytest.mark.parametrize(
    ("total", "note", "item_amount", "status"),
    [
        (Decimal(0), "Voided", Decimal(0), DocumentStatus.VOIDED),
        (Decimal(0), "Voided - wrong customer", Decimal(0), DocumentStatus.VOIDED),
        (Decimal(0), "voided", Decimal(0), DocumentStatus.ACTIVE),
        (Decimal(0), "Sample, no charge", Decimal(0), DocumentStatus.ACTIVE),
        (Decimal("10.00"), "Voided", Decimal(0), DocumentStatus.ACTIVE),
        (Decimal(0), "Voided", Decimal("5.00"), DocumentStatus.ACTIVE),
    ],
)
def test_void_needs_zero_total_zero_item_amounts_and_a_voided_note(qbo_json, total, note, item_amount, status):
    payload = qbo_json("invoice_voided.json")["Invoice"]
    payload["TotalAmt"] = total
    payload["PrivateNote"] = note
    payload["Line"][0]["Amount"] = item_amount

    assert parsed(DocumentType.INVOICE, payload).status is status


def test_bundle_expands_into_its_item_lines_named_after_the_bundle(qbo_json):
    doc = parsed(DocumentType.INVOICE, qbo_json("invoice_bundle.json")["Invoice"])

    assert [(line.kind, line.item_id, line.quantity, line.amount, line.group_name) for line in doc.lines] == [
        (LineKind.ITEM, "5", Decimal(2), Decimal("550.00"), "Garden Starter Kit"),
        (LineKind.ITEM, "11", Decimal(2), Decimal("25.50"), "Garden Starter Kit"),
        (LineKind.DESCRIPTION, None, None, Decimal(0), ""),
        (LineKind.SUBTOTAL, None, None, Decimal("575.50"), ""),
    ]
    assert doc.lines[2].description == "Delivery Tuesday morning"


def test_multicurrency_sales_receipt_keeps_currency_and_rate(qbo_json):
    doc = parsed(DocumentType.SALES_RECEIPT, qbo_json("sales_receipt_cad.json")["SalesReceipt"])

    assert doc.type is DocumentType.SALES_RECEIPT
    assert (doc.currency, doc.exchange_rate) == ("CAD", Decimal("0.74"))
    assert doc.total_amount == Decimal("187.50")
    assert doc.number == "SR-0412"
    assert doc.lines[0].quantity == Decimal(15)
    assert doc.lines[0].unit_price == Decimal("12.5")


def test_credit_memo_keeps_its_positive_quantities_and_amounts(qbo_json):
    doc = parsed(DocumentType.CREDIT_MEMO, qbo_json("credit_memo.json")["CreditMemo"])

    assert doc.type is DocumentType.CREDIT_MEMO
    assert doc.key == ("CreditMemo", "312")
    assert [(line.item_id, line.quantity, line.amount) for line in doc.lines if line.kind is LineKind.ITEM] == [
        ("11", Decimal(2), Decimal("25.50"))
    ]
    assert doc.total_amount == Decimal("27.54")
    assert doc.status is DocumentStatus.ACTIVE


@pytest.mark.parametrize(
    ("detail", "percent"),
    [
        ({"PercentBased": True, "DiscountPercent": Decimal("12.5")}, Decimal("12.5")),
        ({"PercentBased": False, "DiscountAccountRef": {"value": "86"}}, None),
        ({}, None),
    ],
)
def test_discount_line_becomes_a_positive_document_discount(qbo_json, detail, percent):
    payload = qbo_json("invoice.json")["Invoice"]
    payload["Line"][3] = {"Amount": Decimal("-20.00"), "DetailType": "DiscountLineDetail", "DiscountLineDetail": detail}

    doc = parsed(DocumentType.INVOICE, payload)

    assert doc.discounts == (Discount(amount=Decimal("20.00"), percent=percent),)
    assert all(line.kind is not LineKind.OTHER for line in doc.lines)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (
            {"Id": "9", "Amount": 1, "DetailType": "DescriptionOnly", "SalesItemLineDetail": {"ItemRef": {"value": "3"}}},
            LineKind.ITEM,
        ),
        ({"Id": "9", "DetailType": "SalesItemLineDetail", "DescriptionLineDetail": {}}, LineKind.DESCRIPTION),
        ({"Id": "9", "DetailType": "DescriptionOnly", "DescriptionOnly": {}}, LineKind.DESCRIPTION),
        ({"Amount": 5, "DetailType": "SalesItemLineDetail", "SubTotalLineDetail": {}}, LineKind.SUBTOTAL),
        ({"Id": "9", "Amount": 5, "DetailType": "SalesItemLineDetail"}, LineKind.OTHER),
        ({"Id": "9", "Amount": 5, "DetailType": "DepositLineDetail", "DepositLineDetail": {}}, LineKind.OTHER),
    ],
)
def test_line_kind_comes_from_the_detail_key_not_detail_type(qbo_json, line, kind):
    payload = qbo_json("invoice.json")["Invoice"]
    payload["Line"] = [line]

    assert parsed(DocumentType.INVOICE, payload).lines[0].kind is kind


@pytest.mark.parametrize(
    ("qty", "expected"),
    [(Decimal("4.5"), Decimal("4.5")), (-3, Decimal(-3)), (Decimal("0.0001"), Decimal("0.0001")), (None, None)],
)
def test_quantities_may_be_decimal_negative_or_absent(qbo_json, qty, expected):
    payload = qbo_json("invoice.json")["Invoice"]
    detail = payload["Line"][0]["SalesItemLineDetail"]
    if qty is None:
        del detail["Qty"]
    else:
        detail["Qty"] = qty

    assert parsed(DocumentType.INVOICE, payload).lines[0].quantity == expected


def test_optional_fields_may_be_absent(qbo_json):
    payload = qbo_json("sales_receipt_cad.json")["SalesReceipt"]
    payload["PrivateNote"] = "Paid cash"
    for key in ("DocNumber", "CustomerRef", "CurrencyRef", "ExchangeRate", "PrivateNote", "MetaData", "Line"):
        payload.pop(key, None)

    doc = parsed(DocumentType.SALES_RECEIPT, payload)

    assert (doc.number, doc.customer, doc.currency, doc.exchange_rate) == ("", CustomerRef("", ""), "", Decimal(1))
    assert (doc.lines, doc.created_at, doc.updated_at, doc.private_note) == ((), None, None, "")


def test_document_with_750_lines_parses_them_all(qbo_json):
    payload = qbo_json("invoice.json")["Invoice"]
    template = payload["Line"][0]
    payload["Line"] = [{**copy.deepcopy(template), "Id": str(n), "LineNum": n} for n in range(1, 751)]

    doc = parsed(DocumentType.INVOICE, payload)

    assert len(doc.lines) == 750
    assert doc.lines[-1].line_id == "750"


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _delete(path: tuple[Any, ...]) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_delete(("Id",)), "Invoice 1042: Id is missing"),
        (_set(("Id",), 130), "Invoice 1042: Id is not text (130)"),
        (_delete(("SyncToken",)), "Invoice 1042: SyncToken is missing"),
        (_delete(("TxnDate",)), "Invoice 1042: TxnDate is missing"),
        (_set(("TxnDate",), "2026-02-30"), "Invoice 1042: TxnDate is not a date ('2026-02-30')"),
        (_set(("TxnDate",), "05/04/2026"), "Invoice 1042: TxnDate is not a date ('05/04/2026')"),
        (_set(("Line",), {"Id": "1"}), "Invoice 1042: Line is not a list ({'Id': '1'})"),
        (_set(("Line", 1), "oops"), "Invoice 1042: Line 2 is not an object ('oops')"),
        (_set(("Line", 0, "SalesItemLineDetail", "Qty"), "abc"), "Invoice 1042: Line 1 Qty is not a number ('abc')"),
        (_set(("Line", 0, "SalesItemLineDetail", "Qty"), "4.5"), "Invoice 1042: Line 1 Qty is not a number ('4.5')"),
        (_set(("Line", 0, "SalesItemLineDetail", "Qty"), True), "Invoice 1042: Line 1 Qty is not a number (True)"),
        (
            _set(("Line", 1, "SalesItemLineDetail", "UnitPrice"), Decimal("NaN")),
            "Invoice 1042: Line 2 UnitPrice is not a finite number (Decimal('NaN'))",
        ),
        (
            _set(("Line", 1, "Amount"), Decimal("Infinity")),
            "Invoice 1042: Line 2 Amount is not a finite number (Decimal('Infinity'))",
        ),
        (
            _set(("Line", 1, "Amount"), Decimal("1E+400")),
            "Invoice 1042: Line 2 Amount is out of range (Decimal('1E+400'))",
        ),
        (_delete(("Line", 0, "Amount")), "Invoice 1042: Line 1 Amount is missing"),
        (
            _set(("Line", 0, "SalesItemLineDetail"), []),
            "Invoice 1042: Line 1 SalesItemLineDetail is not an object ([])",
        ),
        (
            _set(("Line", 0, "SalesItemLineDetail", "ItemRef", "value"), 11),
            "Invoice 1042: Line 1 ItemRef.value is not text (11)",
        ),
        (_set(("Line", 3, "Amount"), "36.50"), "Invoice 1042: Line 4 Amount is not a number ('36.50')"),
        (_set(("TotalAmt",), None), "Invoice 1042: TotalAmt is missing"),
        (_set(("ExchangeRate",), 0), "Invoice 1042: ExchangeRate is not a rate between 0 and 1000000 (Decimal('0'))"),
        (_set(("ExchangeRate",), 10**7), "Invoice 1042: ExchangeRate is not a rate between 0 and 1000000 (Decimal('10000000'))"),
        (_set(("Id",), "9" * 65), "Invoice 1042: Id is longer than 64 characters ('999999999999999999999999999999999999...)"),
        (_set(("CustomerRef",), "24"), "Invoice 1042: CustomerRef is not an object ('24')"),
        (_set(("CurrencyRef", "value"), ["USD"]), "Invoice 1042: CurrencyRef.value is not text (['USD'])"),
        (
            _set(("MetaData", "LastUpdatedTime"), "yesterday"),
            "Invoice 1042: MetaData.LastUpdatedTime is not a date-time ('yesterday')",
        ),
        (
            _set(("MetaData", "CreateTime"), "2026-05-04T13:16:17"),
            "Invoice 1042: MetaData.CreateTime has no UTC offset ('2026-05-04T13:16:17')",
        ),
    ],
)
def test_malformed_invoice_becomes_a_problem_naming_the_field(qbo_json, mutate, message):
    payload = qbo_json("invoice.json")["Invoice"]
    mutate(payload)

    problem = parse_document(DocumentType.INVOICE, payload)

    assert isinstance(problem, DocumentProblem)
    assert problem.message == message
    assert problem.type is DocumentType.INVOICE
    assert problem.number == "1042"
    assert problem.customer_name == ("" if "CustomerRef" in message else "Sonnenschein Family Store")
    assert problem.txn_date == (None if "TxnDate" in message else date(2026, 5, 4))
    assert problem.raw is payload


def test_problem_without_doc_number_is_labelled_by_id(qbo_json):
    payload = qbo_json("invoice.json")["Invoice"]
    del payload["DocNumber"]
    payload["Line"][0]["SalesItemLineDetail"]["Qty"] = "abc"

    problem = parse_document(DocumentType.INVOICE, payload)

    assert isinstance(problem, DocumentProblem)
    assert problem.message == "Invoice (Id 130): Line 1 Qty is not a number ('abc')"
    assert (problem.id, problem.number) == ("130", "")


def test_bad_line_inside_a_bundle_is_named_by_its_position_in_the_bundle(qbo_json):
    payload = qbo_json("invoice_bundle.json")["Invoice"]
    payload["Line"][0]["GroupLineDetail"]["Line"][1]["SalesItemLineDetail"]["Qty"] = "two"

    problem = parse_document(DocumentType.INVOICE, payload)

    assert isinstance(problem, DocumentProblem)
    assert problem.message == "Invoice 1061: Line 1.2 Qty is not a number ('two')"


@pytest.mark.parametrize("payload", [None, "Invoice", [1, 2], Decimal(3)])
def test_document_that_is_not_an_object_becomes_a_problem(payload):
    problem = parse_document(DocumentType.INVOICE, payload)

    assert isinstance(problem, DocumentProblem)
    assert problem.message.startswith("Invoice (no Id): the document is not an object")


def test_huge_integer_is_reported_without_crashing_repr(qbo_json):
    payload = qbo_json("invoice.json")["Invoice"]
    payload["TotalAmt"] = 10**5000

    problem = parse_document(DocumentType.INVOICE, payload)

    assert isinstance(problem, DocumentProblem)
    assert problem.message == "Invoice 1042: TotalAmt is out of range (<int>)"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"Id": "11", "Name": "Brass Bushing 12mm", "Type": "Inventory", "Active": True, "Sku": "BB-12-KG"},
            ItemRecord(id="11", name="Brass Bushing 12mm", type="Inventory", active=True, sku="BB-12-KG"),
        ),
        (
            {"Id": "7", "Name": "Old kit", "Type": "Group", "Active": False},
            ItemRecord("7", "Old kit", "Group", False, None),
        ),
        ({"Id": "8", "Name": "Labour", "Type": "Service", "Sku": ""}, ItemRecord("8", "Labour", "Service", True, None)),
    ],
)
def test_items_parse_with_optional_sku_and_active_flag(payload, expected):
    assert parse_item(payload) == expected


def test_item_fixture_parses(qbo_json):
    expected = ItemRecord("11", "Brass Bushing 12mm", "Inventory", True, "BB-12-KG")
    assert parse_item(qbo_json("item.json")["Item"]) == expected


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"Name": "x", "Type": "Service"}, "Item (no Id): Id is missing"),
        ({"Id": "3", "Type": "Service"}, "Item 3: Name is missing"),
        ({"Id": "3", "Name": "x", "Active": "yes"}, "Item 3: Active is not true or false ('yes')"),
        ("Item", "Item is not an object ('Item')"),
    ],
)
def test_malformed_item_raises_malformed_response_naming_the_field(payload, message):
    with pytest.raises(MalformedResponse) as raised:
        parse_item(payload)

    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"time": "2026-05-20T10:00:00.123-07:00"}, datetime(2026, 5, 20, 10, 0, 0, 123000, tzinfo=PACIFIC)),
        ({"time": "2026-05-20T17:00:00Z"}, datetime(2026, 5, 20, 17, tzinfo=timezone.utc)),
        ({"time": "2026-05-20T10:00:00"}, None),
        ({"time": 1747760400000}, None),
        ({}, None),
    ],
)
def test_server_time_is_an_aware_datetime_or_none(body, expected):
    assert parse_server_time(body) == expected
