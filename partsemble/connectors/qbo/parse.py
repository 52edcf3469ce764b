"""QBO JSON (already decoded with Decimal numbers) into the house's frozen records.

A sales document that cannot be read never raises: it becomes a DocumentProblem
that names the field, so that one bad document fails alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from partsemble.connectors.errors import MalformedResponse
from partsemble.connectors.qbo.fields import (
    FieldProblem,
    get_day,
    get_list,
    get_moment,
    get_number,
    get_object,
    get_text,
    require_number,
    require_object,
    shown,
    to_moment,
)
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

# Home units per foreign unit: wide enough for any real currency pair.
MAX_EXCHANGE_RATE = Decimal(10) ** 6

logger = logging.getLogger(__name__)

_DESCRIPTION_KEYS = ("DescriptionLineDetail", "DescriptionOnly")


def parse_document(doc_type: DocumentType, payload: object) -> SalesDocument | DocumentProblem:
    """One Invoice, SalesReceipt or CreditMemo as a SalesDocument, or a DocumentProblem naming its first bad field.

    Never raises.
    """
    if not isinstance(payload, Mapping):
        message = f"{doc_type} (no Id): the document is not an object ({shown(payload)})"
        return DocumentProblem(doc_type, "", "", "", None, message, raw=None)
    try:
        return _document(doc_type, payload)
    except FieldProblem as problem:
        return _problem(doc_type, payload, str(problem))
    except Exception as exc:  # a bug here must cost one document, not the whole sync
        logger.exception("unexpected failure parsing a QBO %s", doc_type)
        return _problem(doc_type, payload, f"could not be read (unexpected {type(exc).__name__})")


def parse_item(payload: object) -> ItemRecord:
    """One QBO Item object as an ItemRecord.

    Raises:
        MalformedResponse: the item lacks Id or Name, or a field has the wrong type.
    """
    if not isinstance(payload, Mapping):
        raise MalformedResponse(f"Item is not an object ({shown(payload)})")
    try:
        active = payload.get("Active", True)
        if not isinstance(active, bool):
            raise FieldProblem("Active", f"is not true or false ({shown(active)})")
        return ItemRecord(
            id=get_text(payload, "Id", "Id", required=True),
            name=get_text(payload, "Name", "Name", required=True),
            type=get_text(payload, "Type", "Type"),
            active=active,
            sku=get_text(payload, "Sku", "Sku") or None,
        )
    except FieldProblem as problem:
        item_id = payload.get("Id")
        label = f"Item {item_id}" if isinstance(item_id, str) else "Item (no Id)"
        raise MalformedResponse(f"{label}: {problem}") from None


def parse_server_time(body: Mapping[str, Any]) -> datetime | None:
    """The response's top-level "time" (QBO's clock) as an aware datetime; None when absent or unreadable."""
    text = body.get("time")
    if not isinstance(text, str):
        return None
    try:
        return to_moment(text, "time")
    except FieldProblem:
        logger.warning("QBO response time %s is not a date-time with offset", shown(text))
        return None


def _document(doc_type: DocumentType, doc: Mapping[str, Any]) -> SalesDocument:
    doc_id = get_text(doc, "Id", "Id", required=True)
    if len(doc_id) > 64:
        raise FieldProblem("Id", f"is longer than 64 characters ({shown(doc_id)})")
    version = get_text(doc, "SyncToken", "SyncToken", required=True)
    if len(version) > 32:
        raise FieldProblem("SyncToken", f"is longer than 32 characters ({shown(version)})")
    number = get_text(doc, "DocNumber", "DocNumber")
    txn_date = get_day(doc, "TxnDate", "TxnDate")
    customer = _customer(doc)
    lines, discounts = _lines(get_list(doc, "Line", "Line"), "Line ", "")
    currency_ref = get_object(doc, "CurrencyRef", "CurrencyRef")
    currency = get_text(currency_ref, "value", "CurrencyRef.value") if currency_ref is not None else ""
    rate = get_number(doc, "ExchangeRate", "ExchangeRate")
    if rate is not None and not 0 < rate <= MAX_EXCHANGE_RATE:
        raise FieldProblem("ExchangeRate", f"is not a rate between 0 and {MAX_EXCHANGE_RATE} ({shown(rate)})")
    total = require_number(doc, "TotalAmt", "TotalAmt")
    note = get_text(doc, "PrivateNote", "PrivateNote")
    meta = get_object(doc, "MetaData", "MetaData")
    created = get_moment(meta, "CreateTime", "MetaData.CreateTime") if meta is not None else None
    updated = get_moment(meta, "LastUpdatedTime", "MetaData.LastUpdatedTime") if meta is not None else None
    return SalesDocument(
        type=doc_type,
        id=doc_id,
        version=version,
        number=number,
        txn_date=txn_date,
        customer=customer,
        lines=tuple(lines),
        discounts=tuple(discounts),
        status=DocumentStatus.VOIDED if _is_voided(total, lines, note) else DocumentStatus.ACTIVE,
        currency=currency,
        exchange_rate=Decimal(1) if rate is None else rate,
        total_amount=total,
        private_note=note,
        created_at=created,
        updated_at=updated,
        raw=doc,
    )


def _is_voided(total: Decimal, lines: list[DocumentLine], note: str) -> bool:
    # QBO keeps a voided document, zeroes it and prepends "Voided" to the note; no status field says so.
    item_amounts = (line.amount for line in lines if line.kind is LineKind.ITEM)
    return total == 0 and note.startswith("Voided") and all(amount == 0 for amount in item_amounts)


def _customer(doc: Mapping[str, Any]) -> CustomerRef:
    # A sales receipt may have no customer at all.
    ref = get_object(doc, "CustomerRef", "CustomerRef")
    if ref is None:
        return CustomerRef(id="", name="")
    return CustomerRef(
        id=get_text(ref, "value", "CustomerRef.value", required=True),
        name=get_text(ref, "name", "CustomerRef.name"),
    )


def _lines(entries: list[Any], prefix: str, group_name: str) -> tuple[list[DocumentLine], list[Discount]]:
    """Document lines and discounts; the kind comes from the detail key present, never from DetailType."""
    lines: list[DocumentLine] = []
    discounts: list[Discount] = []
    for position, entry in enumerate(entries, start=1):
        label = f"{prefix}{position}"
        if not isinstance(entry, Mapping):
            raise FieldProblem(label, f"is not an object ({shown(entry)})")
        if "SalesItemLineDetail" in entry:
            lines.append(_item_line(entry, label, group_name))
        elif "GroupLineDetail" in entry:
            inner_lines, inner_discounts = _group(entry, label)
            lines.extend(inner_lines)
            discounts.extend(inner_discounts)
        elif "DiscountLineDetail" in entry:
            discounts.append(_discount(entry, label))
        elif "SubTotalLineDetail" in entry:
            lines.append(_plain_line(entry, label, LineKind.SUBTOTAL, group_name))
        elif any(key in entry for key in _DESCRIPTION_KEYS):
            lines.append(_plain_line(entry, label, LineKind.DESCRIPTION, group_name))
        else:
            lines.append(_plain_line(entry, label, LineKind.OTHER, group_name))
    return lines, discounts


def _item_line(entry: Mapping[str, Any], label: str, group_name: str) -> DocumentLine:
    detail = require_object(entry, "SalesItemLineDetail", f"{label} SalesItemLineDetail")
    item_ref = get_object(detail, "ItemRef", f"{label} ItemRef")
    amount = require_number(entry, "Amount", f"{label} Amount")
    return DocumentLine(
        line_id=get_text(entry, "Id", f"{label} Id"),
        kind=LineKind.ITEM,
        item_id=get_text(item_ref, "value", f"{label} ItemRef.value", required=True) if item_ref is not None else None,
        item_name=get_text(item_ref, "name", f"{label} ItemRef.name") if item_ref is not None else "",
        description=get_text(entry, "Description", f"{label} Description"),
        # Absent on a voided line: unknown, not zero.
        quantity=get_number(detail, "Qty", f"{label} Qty"),
        unit_price=get_number(detail, "UnitPrice", f"{label} UnitPrice"),
        amount=amount,
        group_name=group_name,
    )


def _group(entry: Mapping[str, Any], label: str) -> tuple[list[DocumentLine], list[Discount]]:
    # A bundle's own Amount only repeats its inner lines; the inner lines are what was sold.
    detail = require_object(entry, "GroupLineDetail", f"{label} GroupLineDetail")
    group_ref = get_object(detail, "GroupItemRef", f"{label} GroupItemRef")
    name = get_text(group_ref, "name", f"{label} GroupItemRef.name") if group_ref is not None else ""
    inner = get_list(detail, "Line", f"{label} GroupLineDetail.Line")
    return _lines(inner, f"{label}.", name)


def _discount(entry: Mapping[str, Any], label: str) -> Discount:
    detail = require_object(entry, "DiscountLineDetail", f"{label} DiscountLineDetail")
    amount = require_number(entry, "Amount", f"{label} Amount")
    percent = None
    if detail.get("PercentBased") is True:
        percent = get_number(detail, "DiscountPercent", f"{label} DiscountPercent")
    # QBO stores the discount positive and subtracts it; keep that meaning whatever the sign sent.
    return Discount(amount=abs(amount), percent=percent)


def _plain_line(entry: Mapping[str, Any], label: str, kind: LineKind, group_name: str) -> DocumentLine:
    amount = get_number(entry, "Amount", f"{label} Amount")
    return DocumentLine(
        line_id=get_text(entry, "Id", f"{label} Id"),
        kind=kind,
        description=get_text(entry, "Description", f"{label} Description"),
        amount=Decimal(0) if amount is None else amount,
        group_name=group_name,
    )


def _problem(doc_type: DocumentType, doc: Mapping[str, Any], reason: str) -> DocumentProblem:
    """A DocumentProblem carrying whatever of number, customer and date is still readable."""
    doc_id = _readable(lambda: get_text(doc, "Id", "Id"))
    number = _readable(lambda: get_text(doc, "DocNumber", "DocNumber"))
    customer_name = _readable(lambda: _customer(doc).name)
    txn_date: date | None
    try:
        txn_date = get_day(doc, "TxnDate", "TxnDate")
    except FieldProblem:
        txn_date = None
    # What the problem is kept (and named) under must fit, even when the Id is what is wrong.
    doc_id, number = doc_id[:64], number[:64]
    label = number or (f"(Id {doc_id})" if doc_id else "(no Id)")
    return DocumentProblem(
        type=doc_type,
        id=doc_id,
        number=number,
        customer_name=customer_name,
        txn_date=txn_date,
        message=f"{doc_type} {label}: {reason}",
        raw=doc,
    )


def _readable(read: Callable[[], str]) -> str:
    try:
        return read()
    except FieldProblem:
        return ""
