"""Xero payloads shaped as shared/XERO.md describes them, and constants for the Xero connector tests
(imported by name: no __init__ here)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

API_BASE = "https://xero.test/api.xro/2.0"
CONNECTIONS_URL = "https://xero.test/connections"
TOKEN_URL = "https://identity.xero.test/connect/token"
TENANT = "b5d4c7a2-0c47-4f3b-9a6d-2a3c0f9e1d11"
INVOICE_ID = "4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
CREDIT_ID = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
RECEIVE_ID = "0e1d2c3b-4a59-4687-9a6b-5c4d3e2f1a0b"
ITEM_ID = "9b2f6a1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"


def ms_date(moment: datetime | date, offset: str = "+0000") -> str:
    """A Microsoft JSON date for an instant (a date is midnight UTC), with the offset written after it."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    milliseconds = (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    return f"/Date({milliseconds}{offset})/"


def line(**fields: Any) -> dict[str, Any]:
    """A sales line of 2 x 50.00 for the Rock Fountain, tax exclusive (15% GST on top)."""
    base: dict[str, Any] = {
        "LineItemID": "c1a0b2d3-0000-4000-8000-000000000001",
        "Description": "Rock Fountain",
        "Quantity": Decimal("2.0000"),
        "UnitAmount": Decimal("50.0000"),
        "ItemCode": "FOUNT-ROCK",
        "Item": {"ItemID": ITEM_ID, "Code": "FOUNT-ROCK", "Name": "Rock Fountain"},
        "TaxType": "OUTPUT2",
        "TaxAmount": Decimal("15.00"),
        "LineAmount": Decimal("100.00"),
        "AccountCode": "200",
        "Tracking": [],
    }
    base.update(fields)
    return base


def invoice(*lines: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """An AUTHORISED ACCREC invoice dated 2026-05-04 in NZD, updated 2026-05-05 09:30:00 UTC."""
    base: dict[str, Any] = {
        "Type": "ACCREC",
        "InvoiceID": INVOICE_ID,
        "InvoiceNumber": "INV-0042",
        "Reference": "PO 7781",
        "Contact": {"ContactID": "5d6e7f80-1111-4222-8333-444455556666", "Name": "Garden Centre Ltd"},
        "Date": ms_date(date(2026, 5, 4)),
        "DateString": "2026-05-04T00:00:00",
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "LineItems": list(lines) if lines else [line()],
        "SubTotal": Decimal("100.00"),
        "TotalTax": Decimal("15.00"),
        "Total": Decimal("115.00"),
        "TotalDiscount": Decimal("0.00"),
        "CurrencyCode": "NZD",
        "CurrencyRate": Decimal("1.000000"),
        "UpdatedDateUTC": ms_date(datetime(2026, 5, 5, 9, 30, tzinfo=UTC)),
    }
    base.update(fields)
    return base


def credit_note(**fields: Any) -> dict[str, Any]:
    """An AUTHORISED ACCRECCREDIT credit note with the invoice's line (credit notes carry no discounts)."""
    base = invoice()
    del base["InvoiceID"], base["InvoiceNumber"]
    base.update({"Type": "ACCRECCREDIT", "CreditNoteID": CREDIT_ID, "CreditNoteNumber": "CN-0007"}, **fields)
    return base


def receive_money(**fields: Any) -> dict[str, Any]:
    """An AUTHORISED RECEIVE bank transaction (money received on the spot): no number, a Reference."""
    base = invoice()
    del base["InvoiceID"], base["InvoiceNumber"]
    base.update({"Type": "RECEIVE", "BankTransactionID": RECEIVE_ID, "Reference": "Market stall"}, **fields)
    return base


def item(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ItemID": ITEM_ID,
        "Code": "FOUNT-ROCK",
        "Name": "Rock Fountain",
        "IsSold": True,
        "IsPurchased": False,
        "IsTrackedAsInventory": True,
        "UpdatedDateUTC": ms_date(datetime(2026, 4, 1, tzinfo=UTC)),
    }
    base.update(fields)
    return base


def page_of(collection: str, rows: list[Any], page: int = 1, page_count: int | None = None, page_size: int = 100) -> dict[str, Any]:
    """One answer of a list endpoint, with Xero's pagination block when `page_count` is given."""
    body: dict[str, Any] = {
        "Id": "d1e2f3a4-0000-4000-8000-00000000abcd",
        "Status": "OK",
        "ProviderName": "Partsemble",
        "DateTimeUTC": ms_date(datetime(2026, 5, 20, 10, 0, tzinfo=UTC)),
        collection: copy.deepcopy(rows),
    }
    if page_count is not None:
        body["pagination"] = {"page": page, "pageSize": page_size, "pageCount": page_count, "itemCount": len(rows)}
    return body
