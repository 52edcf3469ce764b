"""Xero JSON (already decoded with Decimal numbers) into the house's frozen records.

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
from partsemble.connectors.fields import FieldProblem, get_list, get_number, get_object, get_text, require_number, shown
from partsemble.connectors.xero.dates import epoch_milliseconds, to_day, to_moment
from partsemble.connectors.xero.kinds import XeroKind, kind_of
from partsemble.domain.documents import (
    CustomerRef,
    DocumentLine,
    DocumentProblem,
    DocumentStatus,
    DocumentType,
    ItemRecord,
    LineKind,
    SalesDocument,
)

logger = logging.getLogger(__name__)

# Units of the document currency per unit of the home currency: wide enough for any real pair, either way.
MAX_CURRENCY_RATE = Decimal(10) ** 6
MIN_CURRENCY_RATE = Decimal(10) ** -6

SALE_STATUSES = frozenset({"AUTHORISED", "PAID"})
# Not yet a sale: never recorded; a document synced while authorised that goes back is undone
# (costing.apply reverses it like a void, with its own words in the sale's history).
NOT_YET_STATUSES = frozenset({"DRAFT", "SUBMITTED"})
# Xero keeps a voided or deleted document with its amounts: the status alone says it is reversed.
REVERSED_STATUSES = frozenset({"VOIDED", "DELETED"})
LINE_AMOUNT_TYPES = frozenset({"Exclusive", "Inclusive", "NoTax"})


def parse_document(doc_type: DocumentType, payload: object, item_ids_by_code: Mapping[str, str]) -> SalesDocument | DocumentProblem:
    """One Xero invoice, credit note or bank transaction as a SalesDocument, or a DocumentProblem naming its
    first bad field. `item_ids_by_code` maps an item Code to its ItemID, for lines that name only ItemCode.

    Never raises (ValueError for a doc_type Xero has no documents of).
    """
    kind = kind_of(doc_type)
    if not isinstance(payload, Mapping):
        message = f"{doc_type} (no {kind.id_key}): the document is not an object ({shown(payload)})"
        return DocumentProblem(doc_type, "", "", "", None, message, raw=None)
    try:
        return _document(kind, payload, item_ids_by_code)
    except FieldProblem as problem:
        return _problem(kind, payload, str(problem))
    except Exception as exc:  # a bug here must cost one document, not the whole sync
        logger.exception("unexpected failure parsing a Xero %s", kind.endpoint)
        return _problem(kind, payload, f"could not be read (unexpected {type(exc).__name__})")


def parse_item(payload: object) -> ItemRecord:
    """One Xero Item as an ItemRecord: tracked as inventory is "Inventory", anything else "Service".

    Xero has no inactive items (it deletes them), so every item read is active; Code is the SKU.

    Raises:
        MalformedResponse: the item lacks ItemID or Code, or a field has the wrong type.
    """
    if not isinstance(payload, Mapping):
        raise MalformedResponse(f"Item is not an object ({shown(payload)})")
    try:
        tracked = _flag(payload, "IsTrackedAsInventory")
        _flag(payload, "IsSold")
        code = get_text(payload, "Code", "Code", required=True)
        return ItemRecord(
            id=get_text(payload, "ItemID", "ItemID", required=True),
            name=get_text(payload, "Name", "Name") or code,
            type="Inventory" if tracked else "Service",
            active=True,
            sku=code,
        )
    except FieldProblem as problem:
        item_id = payload.get("ItemID")
        label = f"Item {item_id}" if isinstance(item_id, str) else "Item (no ItemID)"
        raise MalformedResponse(f"{label}: {problem}") from None


def parse_moment(body: Mapping[str, Any], key: str) -> datetime | None:
    """A top-level time of a response (e.g. DateTimeUTC, Xero's clock); None when absent or unreadable."""
    value = body.get(key)
    if value is None:
        return None
    try:
        return to_moment(value, key)
    except FieldProblem:
        logger.warning("Xero response %s %s is not a date", key, shown(value))
        return None


def _flag(payload: Mapping[str, Any], key: str) -> bool:
    value = payload.get(key, False)
    if not isinstance(value, bool):
        raise FieldProblem(key, f"is not true or false ({shown(value)})")
    return value


def _document(kind: XeroKind, doc: Mapping[str, Any], item_ids_by_code: Mapping[str, str]) -> SalesDocument:
    doc_id = get_text(doc, kind.id_key, kind.id_key, required=True)
    if len(doc_id) > 64:
        raise FieldProblem(kind.id_key, f"is longer than 64 characters ({shown(doc_id)})")
    type_value = get_text(doc, "Type", "Type", required=True)
    if type_value != kind.type_value:
        raise FieldProblem("Type", f"is {shown(type_value)}, not {kind.type_value}: not a sale")
    status = _status(get_text(doc, "Status", "Status", required=True))
    updated = _required_moment(doc, "UpdatedDateUTC")
    rate = get_number(doc, "CurrencyRate", "CurrencyRate")
    if rate is not None and not MIN_CURRENCY_RATE <= rate <= MAX_CURRENCY_RATE:
        raise FieldProblem("CurrencyRate", f"is not a rate between {MIN_CURRENCY_RATE} and {MAX_CURRENCY_RATE} ({shown(rate)})")
    amount_types = get_text(doc, "LineAmountTypes", "LineAmountTypes", required=True)
    if amount_types not in LINE_AMOUNT_TYPES:
        raise FieldProblem("LineAmountTypes", f"is {shown(amount_types)}, not Exclusive, Inclusive or NoTax")
    lines = _lines(get_list(doc, "LineItems", "LineItems"), amount_types, item_ids_by_code, status is DocumentStatus.ACTIVE)
    return SalesDocument(
        type=kind.doc_type,
        id=doc_id,
        # Every change, a status change included, moves UpdatedDateUTC; Xero has no revision counter.
        version=str(epoch_milliseconds(updated)),
        number=get_text(doc, kind.number_key, kind.number_key),
        txn_date=_day(doc),
        customer=_customer(doc),
        lines=tuple(lines),
        status=status,
        currency=get_text(doc, "CurrencyCode", "CurrencyCode"),
        # Xero's rate is document units per home unit; the house's is home units per document unit.
        exchange_rate=Decimal(1) if rate is None else Decimal(1) / rate,
        total_amount=require_number(doc, "Total", "Total"),
        private_note=get_text(doc, "Reference", "Reference") if kind.number_key != "Reference" else "",
        updated_at=updated,
        raw=doc,
    )


def _status(text: str) -> DocumentStatus:
    if text in SALE_STATUSES:
        return DocumentStatus.ACTIVE
    if text in NOT_YET_STATUSES:
        return DocumentStatus.DRAFT
    if text in REVERSED_STATUSES:
        return DocumentStatus.VOIDED
    raise FieldProblem("Status", f"is {shown(text)}, not one of AUTHORISED, PAID, DRAFT, SUBMITTED, VOIDED, DELETED")


def _required_moment(doc: Mapping[str, Any], key: str) -> datetime:
    # Newer answers repeat each date as ISO text in <key>String; either will do.
    for name in (key, f"{key}String"):
        if doc.get(name) is not None:
            return to_moment(doc[name], name)
    raise FieldProblem(key, "is missing")


def _day(doc: Mapping[str, Any]) -> date:
    for name in ("Date", "DateString"):
        if doc.get(name) is not None:
            return to_day(doc[name], name)
    raise FieldProblem("Date", "is missing")


def _customer(doc: Mapping[str, Any]) -> CustomerRef:
    # A Receive Money transaction may have no contact.
    contact = get_object(doc, "Contact", "Contact")
    if contact is None:
        return CustomerRef(id="", name="")
    return CustomerRef(id=get_text(contact, "ContactID", "Contact.ContactID"), name=get_text(contact, "Name", "Contact.Name"))


def _lines(entries: list[Any], amount_types: str, item_ids_by_code: Mapping[str, str], is_sale: bool) -> list[DocumentLine]:
    lines: list[DocumentLine] = []
    for position, entry in enumerate(entries, start=1):
        label = f"Line {position}"
        if not isinstance(entry, Mapping):
            raise FieldProblem(label, f"is not an object ({shown(entry)})")
        lines.append(_line(entry, label, amount_types, item_ids_by_code, is_sale))
    return lines


def _line(entry: Mapping[str, Any], label: str, amount_types: str, item_ids_by_code: Mapping[str, str], is_sale: bool) -> DocumentLine:
    quantity = get_number(entry, "Quantity", f"{label} Quantity")
    unit_amount = get_number(entry, "UnitAmount", f"{label} UnitAmount")
    item_id, item_name = _item(entry, label, item_ids_by_code, is_sale)
    amount = _revenue(entry, label, amount_types, quantity, unit_amount)
    described_only = item_id is None and quantity is None and amount == 0
    return DocumentLine(
        line_id=get_text(entry, "LineItemID", f"{label} LineItemID"),
        kind=LineKind.DESCRIPTION if described_only else LineKind.ITEM,
        item_id=item_id,
        item_name=item_name,
        description=get_text(entry, "Description", f"{label} Description"),
        quantity=quantity,
        unit_price=unit_amount,
        amount=amount,
    )


def _item(entry: Mapping[str, Any], label: str, item_ids_by_code: Mapping[str, str], is_sale: bool) -> tuple[str | None, str]:
    """(ItemID, name) of the line's item: Item.ItemID, else the item whose Code is the line's ItemCode."""
    item = get_object(entry, "Item", f"{label} Item")
    item_id = get_text(item, "ItemID", f"{label} Item.ItemID") if item is not None else ""
    name = get_text(item, "Name", f"{label} Item.Name") if item is not None else ""
    code = get_text(entry, "ItemCode", f"{label} ItemCode")
    if item_id:
        return item_id, name or code
    if not code:
        return None, name
    found = item_ids_by_code.get(code)
    if found is None and is_sale:
        # The item was deleted (its code stays on old lines): selling it without knowing whether it is stock would
        # be a guess, so the document waits for a person.
        raise FieldProblem(f"{label} ItemCode", f"{shown(code)} matches no Xero item (deleted or renamed in Xero?)")
    return found, name or code


def _revenue(entry: Mapping[str, Any], label: str, amount_types: str, quantity: Decimal | None, unit_amount: Decimal | None) -> Decimal:
    """The line's revenue in the document currency: after its discount, without tax."""
    line_amount = get_number(entry, "LineAmount", f"{label} LineAmount")
    discounted = _discounted(entry, label, quantity, unit_amount)
    if line_amount is None:
        line_amount = Decimal(0) if discounted is None else discounted
    if amount_types != "Inclusive":
        return line_amount
    tax = get_number(entry, "TaxAmount", f"{label} TaxAmount")
    if tax is None:
        if line_amount != 0:
            raise FieldProblem(f"{label} TaxAmount", "is missing, and the amount includes tax (LineAmountTypes Inclusive)")
        return line_amount
    return line_amount - tax


def _discounted(entry: Mapping[str, Any], label: str, quantity: Decimal | None, unit_amount: Decimal | None) -> Decimal | None:
    """Quantity x UnitAmount less the line's DiscountRate (percent) or DiscountAmount; None without both factors.

    Xero's LineAmount already has the discount taken off; this is what a line without one comes to.
    """
    rate = get_number(entry, "DiscountRate", f"{label} DiscountRate")
    discount = get_number(entry, "DiscountAmount", f"{label} DiscountAmount")
    if rate is not None and not 0 <= rate <= 100:
        raise FieldProblem(f"{label} DiscountRate", f"is not a percentage from 0 to 100 ({shown(rate)})")
    if rate is not None and rate != 0 and discount is not None and discount != 0:
        raise FieldProblem(f"{label} DiscountAmount", "is given beside a DiscountRate; Xero takes one or the other")
    if quantity is None or unit_amount is None:
        return None
    gross = quantity * unit_amount
    if rate is not None and rate != 0:
        return gross * (100 - rate) / 100
    if discount is not None:
        return gross - discount
    return gross


def _problem(kind: XeroKind, doc: Mapping[str, Any], reason: str) -> DocumentProblem:
    """A DocumentProblem carrying whatever of number, customer and date is still readable."""
    doc_id = _readable(lambda: get_text(doc, kind.id_key, kind.id_key))[:64]
    number = _readable(lambda: get_text(doc, kind.number_key, kind.number_key))[:64]
    customer_name = _readable(lambda: _customer(doc).name)
    txn_date: date | None
    try:
        txn_date = _day(doc)
    except FieldProblem:
        txn_date = None
    label = number or (f"({kind.id_key} {doc_id})" if doc_id else f"(no {kind.id_key})")
    return DocumentProblem(
        type=kind.doc_type,
        id=doc_id,
        number=number,
        customer_name=customer_name,
        txn_date=txn_date,
        message=f"{kind.doc_type} {label}: {reason}",
        raw=doc,
    )


def _readable(read: Callable[[], str]) -> str:
    try:
        return read()
    except FieldProblem:
        return ""
