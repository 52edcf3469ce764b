"""Documents, problems and deletions to plain JSON and back, exactly (domain/codec.py).

The sync keeps fetched records in its inbox in this form between runs, so the stored shape is
pinned as well as the round trip. Written where mutation testing found the codec guarded only
through the sync (tests/MUTATION.md)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from partsemble.domain.codec import decode, encode
from partsemble.domain.documents import (
    CustomerRef,
    Deletion,
    Discount,
    DocumentLine,
    DocumentProblem,
    DocumentStatus,
    DocumentType,
    LineKind,
    SalesDocument,
)

PACIFIC = timezone(timedelta(hours=-7))

DOCUMENT = SalesDocument(
    type=DocumentType.CREDIT_MEMO,
    id="130",
    version="3",
    number="CM-1042",
    txn_date=date(2026, 5, 4),
    customer=CustomerRef("24", "Sonnenschein"),
    lines=(
        DocumentLine("1", LineKind.ITEM, "11", "Brass Bushing", "per kg", D("4.5"), D("20.125"), D("90.5625"), "Kit"),
        DocumentLine("2", LineKind.ITEM, None, "", "", None, None, D("-3")),
        DocumentLine("3", LineKind.DESCRIPTION, description="Thanks"),
    ),
    discounts=(Discount(D("5.5"), D("10")), Discount(D("1"))),
    status=DocumentStatus.VOIDED,
    currency="EUR",
    exchange_rate=D("1.0825"),
    total_amount=D("81.56"),
    private_note="Voided",
    created_at=datetime(2026, 5, 4, 13, 16, 17, tzinfo=PACIFIC),
    updated_at=datetime(2026, 5, 6, 9, 0, tzinfo=timezone.utc),
)

ENCODED = {
    "record": "document",
    "type": "CreditMemo",
    "id": "130",
    "version": "3",
    "number": "CM-1042",
    "txn_date": "2026-05-04",
    "customer": ["24", "Sonnenschein"],
    "lines": [
        ["1", "item", "11", "Brass Bushing", "per kg", "4.5", "20.125", "90.5625", "Kit"],
        ["2", "item", None, "", "", None, None, "-3", ""],
        ["3", "description", None, "", "Thanks", None, None, "0", ""],
    ],
    "discounts": [["5.5", "10"], ["1", None]],
    "status": "voided",
    "currency": "EUR",
    "exchange_rate": "1.0825",
    "total_amount": "81.56",
    "private_note": "Voided",
    "created_at": "2026-05-04T13:16:17-07:00",
    "updated_at": "2026-05-06T09:00:00+00:00",
}


def test_a_document_is_stored_in_its_documented_shape():
    assert encode(DOCUMENT) == ENCODED


@pytest.mark.parametrize(
    "record",
    [
        DOCUMENT,
        SalesDocument(DocumentType.INVOICE, "1", "0", "", date(2026, 1, 2), CustomerRef("", ""), ()),
        DocumentProblem(DocumentType.INVOICE, "7", "1007", "Acme", date(2026, 2, 3), "Invoice 1007: Line 1 Qty is missing"),
        DocumentProblem(DocumentType.SALES_RECEIPT, "", "", "", None, "SalesReceipt (no Id): not an object"),
        Deletion(DocumentType.SALES_RECEIPT, "9", datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)),
        Deletion(DocumentType.CREDIT_MEMO, "10"),
    ],
    ids=["document", "bare document", "problem", "problem without a date", "deletion", "deletion without a time"],
)
def test_every_record_comes_back_equal_through_json(record):
    back = decode(json.loads(json.dumps(encode(record))))

    assert type(back) is type(record)
    assert back == record
    if isinstance(record, SalesDocument):
        assert back.created_at == record.created_at and back.updated_at == record.updated_at
        assert [l.quantity for l in back.lines] == [l.quantity for l in record.lines]


@pytest.mark.parametrize(
    ("record", "encoded"),
    [
        (
            DocumentProblem(DocumentType.INVOICE, "7", "1007", "Acme", date(2026, 2, 3), "bad"),
            {
                "record": "problem",
                "type": "Invoice",
                "id": "7",
                "number": "1007",
                "customer_name": "Acme",
                "txn_date": "2026-02-03",
                "message": "bad",
            },
        ),
        (
            DocumentProblem(DocumentType.INVOICE, "", "", "", None, "bad"),
            {"record": "problem", "type": "Invoice", "id": "", "number": "", "customer_name": "", "txn_date": None, "message": "bad"},
        ),
        (
            Deletion(DocumentType.SALES_RECEIPT, "9", datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)),
            {"record": "deletion", "type": "SalesReceipt", "id": "9", "deleted_at": "2026-03-04T05:06:07+00:00"},
        ),
        (
            Deletion(DocumentType.CREDIT_MEMO, "10"),
            {"record": "deletion", "type": "CreditMemo", "id": "10", "deleted_at": None},
        ),
    ],
)
def test_problems_and_deletions_are_stored_in_their_documented_shape(record, encoded):
    assert encode(record) == encoded
    assert decode(encoded) == record
