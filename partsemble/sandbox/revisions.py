"""What becomes of a document after it is made: voided, deleted, or read back as a draft to edit.

A void keeps the document with every amount and quantity 0, as QBO does; a
deletion leaves only a CDC tombstone; an edit starts from the draft the
payload was built from, tax-inclusive prices read back from TaxInclusiveAmt.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date
from typing import Any

from partsemble.sandbox.clock import qbo_time
from partsemble.sandbox.payloads import HOME_CURRENCY, ZERO, DocumentDraft, LineInput, money, number


def _zero_line(line: dict[str, Any]) -> None:
    if "Amount" in line:
        line["Amount"] = ZERO
    if "SalesItemLineDetail" in line:
        detail = line["SalesItemLineDetail"]
        detail["Qty"] = ZERO
        for key in ("UnitPrice", "TaxInclusiveAmt"):
            if key in detail:
                detail[key] = ZERO
    if "GroupLineDetail" in line:
        line["GroupLineDetail"]["Quantity"] = ZERO
        for inner in line["GroupLineDetail"]["Line"]:
            _zero_line(inner)


def void_payload(payload: Mapping[str, Any], *, sync_token: int, updated: int) -> dict[str, Any]:
    """The document as QBO shows it once voided: it stays, with every amount and quantity 0.

    ItemRefs are kept, "Voided" is put before the private note, payments are unlinked.
    """
    voided = copy.deepcopy(dict(payload))
    for line in voided["Line"]:
        _zero_line(line)
    tax = voided.get("TxnTaxDetail", {})
    tax["TotalTax"] = ZERO
    for tax_line in tax.get("TaxLine", []):
        tax_line["Amount"] = ZERO
        tax_line["TaxLineDetail"]["NetAmountTaxable"] = ZERO
    for key in ("TotalAmt", "HomeTotalAmt", "Balance", "HomeBalance", "RemainingCredit"):
        if key in voided:
            voided[key] = ZERO
    note = voided.get("PrivateNote") or ""
    voided["PrivateNote"] = f"Voided - {note}" if note else "Voided"
    voided["LinkedTxn"] = []
    voided["SyncToken"] = str(sync_token)
    voided["MetaData"] = {**voided["MetaData"], "LastUpdatedTime": qbo_time(updated)}
    return voided


def tombstone(doc_id: int, deleted_at: int) -> dict[str, Any]:
    """How CDC reports a deleted document."""
    return {"status": "Deleted", "domain": "QBO", "Id": str(doc_id), "MetaData": {"LastUpdatedTime": qbo_time(deleted_at)}}


def draft_from_payload(payload: Mapping[str, Any]) -> DocumentDraft:
    """The draft a document payload was built from, so an edit can change part of it."""
    lines: list[LineInput] = []
    discount_percent = discount_amount = None
    inclusive = payload.get("GlobalTaxCalculation") == "TaxInclusive"
    for line in payload["Line"]:
        if "SalesItemLineDetail" in line:
            detail = line["SalesItemLineDetail"]
            qty = number(detail.get("Qty", 1))
            price = number(detail["UnitPrice"]) if "UnitPrice" in detail else None
            amount = number(line["Amount"])
            if inclusive and "TaxInclusiveAmt" in detail:
                # What was typed is the gross; the net price and amount are derived from it.
                amount = number(detail["TaxInclusiveAmt"])
                price = amount / qty if price is not None and qty else None
            explicit = None if price is not None and money(qty * price) == amount else amount
            lines.append(LineInput(detail["ItemRef"]["value"], qty, price, line.get("Description"), explicit))
        elif "GroupLineDetail" in line:
            group = line["GroupLineDetail"]
            lines.append(LineInput(group["GroupItemRef"]["value"], number(group["Quantity"]), None, line.get("Description")))
        elif "DescriptionLineDetail" in line:
            lines.append(LineInput(None, description=line.get("Description", "")))
        elif "DiscountLineDetail" in line:
            detail = line["DiscountLineDetail"]
            if detail.get("PercentBased"):
                discount_percent = number(detail["DiscountPercent"])
            else:
                discount_amount = number(line["Amount"])
    tax_lines = payload.get("TxnTaxDetail", {}).get("TaxLine", [])
    tax_percent = number(tax_lines[0]["TaxLineDetail"]["TaxPercent"]) if tax_lines else ZERO
    currency = payload["CurrencyRef"]["value"]
    return DocumentDraft(
        customer_id=payload["CustomerRef"]["value"],
        txn_date=date.fromisoformat(payload["TxnDate"]),
        lines=tuple(lines),
        doc_number=payload.get("DocNumber"),
        private_note=payload.get("PrivateNote", ""),
        currency=currency,
        exchange_rate=number(payload["ExchangeRate"]) if currency != HOME_CURRENCY else None,
        discount_percent=discount_percent,
        discount_amount=discount_amount,
        tax_percent=tax_percent,
        tax_inclusive=inclusive,
        paid=bool(payload.get("LinkedTxn")) or (payload.get("RemainingCredit") == 0 and number(payload["TotalAmt"]) > 0),
    )
