"""The Xero parser on payload shapes from shared/XERO.md: statuses, tax, discounts, rates, dates, items."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from xero_doubles import CREDIT_ID, ITEM_ID, RECEIVE_ID, credit_note, invoice, item, line, ms_date, receive_money

from partsemble.connectors.errors import MalformedResponse
from partsemble.connectors.xero.parse import parse_document, parse_item
from partsemble.domain.documents import DocumentLine, DocumentProblem, DocumentStatus, DocumentType, LineKind, SalesDocument
from partsemble.domain.sale_plan import waiting_revenue

CODES = {"FOUNT-ROCK": ITEM_ID, "PUMP-S": "1c2d3e4f-aaaa-4bbb-8ccc-ddddeeeeffff"}


def parsed(payload: Any, doc_type: DocumentType = DocumentType.INVOICE, codes: dict[str, str] = CODES) -> SalesDocument:
    result = parse_document(doc_type, payload, codes)
    assert isinstance(result, SalesDocument), result
    return result


def problem(payload: Any, doc_type: DocumentType = DocumentType.INVOICE, codes: dict[str, str] = CODES) -> str:
    result = parse_document(doc_type, payload, codes)
    assert isinstance(result, DocumentProblem), result
    return result.message


def only_line(doc: SalesDocument) -> DocumentLine:
    assert len(doc.lines) == 1
    return doc.lines[0]


def test_authorised_invoice_reads_every_field() -> None:
    doc = parsed(invoice())
    assert (doc.type, doc.id, doc.number, doc.txn_date) == (
        DocumentType.INVOICE,
        "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
        "INV-0042",
        date(2026, 5, 4),
    )
    assert (doc.customer.name, doc.currency, doc.total_amount, doc.private_note) == (
        "Garden Centre Ltd",
        "NZD",
        Decimal("115.00"),
        "PO 7781",
    )
    assert doc.status is DocumentStatus.ACTIVE and doc.discounts == ()
    assert doc.updated_at == datetime(2026, 5, 5, 9, 30, tzinfo=UTC)
    assert only_line(doc) == DocumentLine(
        line_id="c1a0b2d3-0000-4000-8000-000000000001",
        kind=LineKind.ITEM,
        item_id=ITEM_ID,
        item_name="Rock Fountain",
        description="Rock Fountain",
        quantity=Decimal(2),
        unit_price=Decimal(50),
        amount=Decimal(100),
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("AUTHORISED", DocumentStatus.ACTIVE),
        ("PAID", DocumentStatus.ACTIVE),
        ("DRAFT", DocumentStatus.DRAFT),  # not yet a sale: never recorded; one synced earlier is undone
        ("SUBMITTED", DocumentStatus.DRAFT),
        ("VOIDED", DocumentStatus.VOIDED),
        ("DELETED", DocumentStatus.VOIDED),
    ],
)
def test_only_authorised_and_paid_documents_are_sales(status: str, expected: DocumentStatus) -> None:
    assert parsed(invoice(Status=status)).status is expected


def test_a_voided_invoice_keeps_its_amounts_and_is_still_a_reversal() -> None:
    doc = parsed(invoice(Status="VOIDED"))
    # Xero does not zero a voided invoice (QBO does): the status alone must say so.
    assert doc.total_amount == Decimal("115.00") and only_line(doc).amount == Decimal(100)
    assert doc.status is DocumentStatus.VOIDED


def test_draft_after_authorised_is_a_new_version_that_reverses_the_sale() -> None:
    authorised = parsed(invoice(Status="AUTHORISED", UpdatedDateUTC=ms_date(datetime(2026, 5, 5, 9, 30, tzinfo=UTC))))
    draft = parsed(invoice(Status="DRAFT", UpdatedDateUTC=ms_date(datetime(2026, 5, 6, 8, 0, 0, 250000, tzinfo=UTC))))
    assert authorised.status is DocumentStatus.ACTIVE and draft.status is DocumentStatus.DRAFT
    # The sync skips a document whose version it has already applied: going back to draft must not look unchanged.
    assert (authorised.version, draft.version) == ("1777973400000", "1778054400250")


@pytest.mark.parametrize(
    ("amount_types", "line_fields", "revenue"),
    [
        ("Exclusive", {"LineAmount": Decimal("100.00"), "TaxAmount": Decimal("15.00")}, Decimal("100.00")),
        # The amount includes the tax: revenue is what is left once the tax is taken out.
        ("Inclusive", {"LineAmount": Decimal("115.00"), "TaxAmount": Decimal("15.00")}, Decimal("100.00")),
        ("Inclusive", {"LineAmount": Decimal("99.99"), "TaxAmount": Decimal("13.04")}, Decimal("86.95")),
        ("NoTax", {"LineAmount": Decimal("100.00"), "TaxAmount": Decimal("0.00")}, Decimal("100.00")),
    ],
)
def test_tax_is_never_revenue(amount_types: str, line_fields: dict[str, Any], revenue: Decimal) -> None:
    assert only_line(parsed(invoice(line(**line_fields), LineAmountTypes=amount_types))).amount == revenue


@pytest.mark.parametrize(
    ("line_fields", "revenue"),
    [
        # Xero's LineAmount already has the discount off: 3 x 20.00 less 10% is 54.00, not 60.00.
        ({"Quantity": 3, "UnitAmount": 20, "DiscountRate": 10, "LineAmount": Decimal("54.00")}, Decimal("54.00")),
        ({"Quantity": 3, "UnitAmount": 20, "DiscountAmount": 5, "LineAmount": Decimal("55.00")}, Decimal("55.00")),
        # Without a LineAmount the line is worked out the way Xero works it out.
        ({"Quantity": 3, "UnitAmount": 20, "DiscountRate": Decimal("12.5"), "LineAmount": None}, Decimal("52.5")),
        ({"Quantity": 3, "UnitAmount": 20, "DiscountAmount": Decimal("7.25"), "LineAmount": None}, Decimal("52.75")),
        ({"Quantity": 3, "UnitAmount": 20, "LineAmount": None}, Decimal("60")),
    ],
)
def test_line_discounts_by_rate_and_by_amount(line_fields: dict[str, Any], revenue: Decimal) -> None:
    assert only_line(parsed(invoice(line(**line_fields), LineAmountTypes="NoTax"))).amount == revenue


def test_inclusive_discounted_line_without_line_amount_takes_the_tax_out() -> None:
    fields = {"Quantity": 2, "UnitAmount": Decimal("57.50"), "DiscountRate": 20, "LineAmount": None, "TaxAmount": Decimal("12.00")}
    assert only_line(parsed(invoice(line(**fields), LineAmountTypes="Inclusive"))).amount == Decimal("80.00")


def test_currency_rate_divides_into_the_home_currency() -> None:
    # 1.6 euros to the New Zealand dollar: 100.00 EUR is 62.50 NZD (multiplying, QBO's way, would say 160.00).
    doc = parsed(invoice(CurrencyCode="EUR", CurrencyRate=Decimal("1.6")))
    assert doc.exchange_rate == Decimal("0.625")
    assert only_line(doc).amount * doc.exchange_rate == Decimal("62.5")


def test_the_domain_books_the_divided_amount() -> None:
    # 57.50 EUR at 1.15 EUR per home unit: 50.00 at home, where multiplying would book 66.13.
    doc = parsed(invoice(line(LineAmount=Decimal("57.50"), TaxAmount=0), CurrencyCode="EUR", CurrencyRate=Decimal("1.15")))
    assert waiting_revenue(doc, {}) == Decimal("50.00")


def test_missing_currency_rate_is_one() -> None:
    payload = invoice()
    del payload["CurrencyRate"]
    assert parsed(payload).exchange_rate == Decimal(1)


@pytest.mark.parametrize(
    ("fields", "day"),
    [
        ({"Date": "/Date(1777852800000+0000)/"}, date(2026, 5, 4)),
        ({"Date": "/Date(1777852800000)/"}, date(2026, 5, 4)),
        # 2026-05-04 11:00 UTC written from New Zealand (+13:00) is already the 5th there.
        ({"Date": "/Date(1777892400000+1300)/"}, date(2026, 5, 5)),
        ({"Date": "/Date(1777852800000-0500)/"}, date(2026, 5, 3)),
        ({"Date": None, "DateString": "2026-05-04T00:00:00"}, date(2026, 5, 4)),
        ({"Date": "2026-05-07T00:00:00"}, date(2026, 5, 7)),
    ],
)
def test_microsoft_and_iso_dates(fields: dict[str, Any], day: date) -> None:
    assert parsed(invoice(**fields)).txn_date == day


def test_updated_time_from_the_iso_string_when_the_microsoft_one_is_absent() -> None:
    doc = parsed(invoice(UpdatedDateUTC=None, UpdatedDateUTCString="2026-05-05T09:30:00.120"))
    assert doc.updated_at == datetime(2026, 5, 5, 9, 30, 0, 120000, tzinfo=UTC) and doc.version == "1777973400120"


def test_lines_match_on_item_id_first_then_on_item_code() -> None:
    by_id = line(Item={"ItemID": "ffff0000-0000-4000-8000-000000000001", "Code": "PUMP-S"}, ItemCode="PUMP-S")
    by_code = line(Item=None, ItemCode="PUMP-S")
    description = line(Item=None, ItemCode=None, Quantity=None, UnitAmount=None, LineAmount=0, TaxAmount=0, Description="Thanks!")
    doc = parsed(invoice(by_id, by_code, description))
    assert [(l.kind, l.item_id) for l in doc.lines] == [
        (LineKind.ITEM, "ffff0000-0000-4000-8000-000000000001"),
        (LineKind.ITEM, CODES["PUMP-S"]),
        (LineKind.DESCRIPTION, None),
    ]


def test_a_sale_naming_an_unknown_item_code_fails_but_its_void_goes_through() -> None:
    orphan = line(Item=None, ItemCode="GONE-1")
    assert "Line 1 ItemCode 'GONE-1' matches no Xero item" in problem(invoice(orphan))
    assert parsed(invoice(orphan, Status="VOIDED")).status is DocumentStatus.VOIDED


def test_credit_note_and_receive_money_map_to_credit_memo_and_sales_receipt() -> None:
    credit = parsed(credit_note(), DocumentType.CREDIT_MEMO)
    receipt = parsed(receive_money(Contact=None), DocumentType.SALES_RECEIPT)
    assert (credit.type, credit.id, credit.number) == (DocumentType.CREDIT_MEMO, CREDIT_ID, "CN-0007")
    assert (receipt.type, receipt.id, receipt.number, receipt.customer.name) == (DocumentType.SALES_RECEIPT, RECEIVE_ID, "Market stall", "")


@pytest.mark.parametrize(
    ("doc_type", "payload", "named"),
    [
        (DocumentType.INVOICE, invoice(Type="ACCPAY"), "Type is 'ACCPAY', not ACCREC"),
        (DocumentType.CREDIT_MEMO, credit_note(Type="ACCPAYCREDIT"), "Type is 'ACCPAYCREDIT'"),
        (DocumentType.SALES_RECEIPT, receive_money(Type="SPEND"), "Type is 'SPEND', not RECEIVE"),
        (DocumentType.INVOICE, invoice(Status="ARCHIVED"), "Status is 'ARCHIVED'"),
        (DocumentType.INVOICE, invoice(InvoiceID=None), "InvoiceID is missing"),
        (DocumentType.INVOICE, invoice(LineAmountTypes="Gross"), "LineAmountTypes is 'Gross'"),
        (DocumentType.INVOICE, invoice(LineAmountTypes=None), "LineAmountTypes is missing"),
        (DocumentType.INVOICE, invoice(CurrencyRate=0), "CurrencyRate is not a rate"),
        (DocumentType.INVOICE, invoice(Date="/Date(abc)/", DateString=None), "Date is not a date"),
        (DocumentType.INVOICE, invoice(Date=None, DateString=None), "Date is missing"),
        (DocumentType.INVOICE, invoice(Date="/Date(1777852800000+2500)/"), "Date has an impossible UTC offset"),
        (DocumentType.INVOICE, invoice(Date="/Date(999999999999999)/"), "Date is outside the calendar"),
        (DocumentType.INVOICE, invoice(UpdatedDateUTC=None), "UpdatedDateUTC is missing"),
        (DocumentType.INVOICE, invoice(Total="115.00"), "Total is not a number"),
        (DocumentType.INVOICE, invoice(line(LineAmount="100")), "Line 1 LineAmount is not a number"),
        (DocumentType.INVOICE, invoice(line(DiscountRate=120)), "Line 1 DiscountRate is not a percentage"),
        (DocumentType.INVOICE, invoice(line(DiscountRate=10, DiscountAmount=5)), "Line 1 DiscountAmount is given beside a DiscountRate"),
        (DocumentType.INVOICE, invoice(line(TaxAmount=None), LineAmountTypes="Inclusive"), "Line 1 TaxAmount is missing"),
        (DocumentType.INVOICE, invoice(line(Item=[1])), "Line 1 Item is not an object"),
        (DocumentType.INVOICE, invoice(LineItems=[line(), "x"]), "Line 2 is not an object"),
    ],
)
def test_a_bad_field_becomes_a_problem_that_names_it(doc_type: DocumentType, payload: dict[str, Any], named: str) -> None:
    message = problem(payload, doc_type)
    assert named in message
    assert message.startswith(f"{doc_type} ")


def test_a_problem_keeps_what_can_still_be_read() -> None:
    result = parse_document(DocumentType.INVOICE, invoice(Total=None), CODES)
    assert isinstance(result, DocumentProblem)
    assert (result.id, result.number, result.customer_name, result.txn_date) == (
        "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
        "INV-0042",
        "Garden Centre Ltd",
        date(2026, 5, 4),
    )
    assert result.message == "Invoice INV-0042: Total is missing"


@pytest.mark.parametrize(
    ("fields", "kind", "name"),
    [
        ({}, "Inventory", "Rock Fountain"),
        ({"IsTrackedAsInventory": False}, "Service", "Rock Fountain"),
        ({"Name": None}, "Inventory", "FOUNT-ROCK"),
    ],
)
def test_items_by_item_id_with_code_as_sku(fields: dict[str, Any], kind: str, name: str) -> None:
    record = parse_item(item(**fields))
    assert (record.id, record.sku, record.type, record.name, record.active) == (ITEM_ID, "FOUNT-ROCK", kind, name, True)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"ItemID": None}, "ItemID is missing"),
        ({"Code": None}, "Code is missing"),
        ({"IsTrackedAsInventory": "yes"}, "IsTrackedAsInventory"),
    ],
)
def test_an_unreadable_item_is_a_malformed_response_naming_the_field(fields: dict[str, Any], named: str) -> None:
    with pytest.raises(MalformedResponse, match=named):
        parse_item(item(**fields))
