"""The sandbox's documents and items in Xero's shapes, rendered from the stored QBO payloads.

A document is typed once (customer, lines, a discount, tax, currency) and each face shows it
as its system would. On the Xero face:

- an Invoice is an ACCREC invoice, a CreditMemo an ACCRECCREDIT credit note, a SalesReceipt a
  RECEIVE bank transaction ("Receive Money"); a bundle shows as its component lines;
- a document discount becomes per-line discounts: a percentage is every line's DiscountRate, an
  amount is spread over the lines as DiscountAmount (the last line takes the rounding);
- tax is per line (TaxAmount): LineAmountTypes Inclusive for tax-inclusive prices (LineAmount
  then holds the tax), NoTax when the document has no tax, else Exclusive;
- CurrencyRate is units of the document currency per unit of the base currency (USD), the
  inverse of QBO's ExchangeRate, so the home amount is amount / CurrencyRate;
- a voided document keeps its amounts (Status VOIDED), a deleted one stays with Status DELETED.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from partsemble.sandbox.payloads import HOME_CURRENCY, ZERO, money, number
from partsemble.sandbox.xero.dates import day_ms_date, iso_utc, ms_date
from partsemble.sandbox.xero.ids import line_item_id, xero_id

RATE_PLACES = Decimal("0.0000000001")
SALES_ACCOUNT = "200"


@dataclass(frozen=True)
class Kind:
    """How one QBO entity is spelled on the Xero face."""

    entity: str  # the stored QBO entity
    collection: str  # the URL and the answer's key: Invoices
    singular: str  # Invoice (the id field is <singular>ID)
    type: str  # ACCREC
    number_field: str | None  # InvoiceNumber


KINDS = (
    Kind("Invoice", "Invoices", "Invoice", "ACCREC", "InvoiceNumber"),
    Kind("CreditMemo", "CreditNotes", "CreditNote", "ACCRECCREDIT", "CreditNoteNumber"),
    Kind("SalesReceipt", "BankTransactions", "BankTransaction", "RECEIVE", None),
)
BY_COLLECTION = {kind.collection.lower(): kind for kind in KINDS}
BY_ENTITY = {kind.entity: kind for kind in KINDS}


@dataclass(frozen=True)
class StoredDocument:
    """What the renderer needs of a sandbox_object row."""

    id: int
    payload: Mapping[str, Any]
    last_updated_time: int
    voided: bool
    deleted_at: int | None
    xero_status: str | None


def plain(value: Decimal) -> Decimal:
    """The value without trailing zeros and never in exponent form (1.2500 -> 1.25, 100 -> 100)."""
    text = format(value.normalize(), "f")
    return Decimal(text)


def currency_rate(payload: Mapping[str, Any]) -> Decimal:
    """Xero's CurrencyRate for a document: 1 / QBO's ExchangeRate, to ten places."""
    if payload["CurrencyRef"]["value"] == HOME_CURRENCY:
        return Decimal("1")
    rate = number(payload.get("ExchangeRate", 1))
    return plain((Decimal(1) / rate).quantize(RATE_PLACES, rounding=ROUND_HALF_UP))


def status(kind: Kind, doc: StoredDocument) -> str:
    if doc.deleted_at is not None:
        return "DELETED"
    if doc.voided:
        return "VOIDED"
    if doc.xero_status in ("DRAFT", "SUBMITTED"):
        return doc.xero_status
    payload = doc.payload
    if kind.entity == "Invoice" and (payload.get("LinkedTxn") or number(payload.get("Balance", 1)) == 0):
        return "PAID"
    if kind.entity == "CreditMemo" and number(payload.get("RemainingCredit", 1)) == 0:
        return "PAID"
    return "AUTHORISED"


def _sale_lines(payload: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Item and description lines in order, a bundle's components in its place."""
    for line in payload["Line"]:
        if "GroupLineDetail" in line:
            yield from line["GroupLineDetail"]["Line"]
        elif "SalesItemLineDetail" in line or line.get("DetailType") == "DescriptionOnly":
            yield line


def _tax(payload: Mapping[str, Any]) -> tuple[str, Decimal]:
    """LineAmountTypes and the tax percent of a document."""
    tax_lines = payload.get("TxnTaxDetail", {}).get("TaxLine", [])
    percent = number(tax_lines[0]["TaxLineDetail"]["TaxPercent"]) if tax_lines else ZERO
    if payload.get("GlobalTaxCalculation") == "TaxInclusive":
        return "Inclusive", percent
    return ("Exclusive", percent) if percent else ("NoTax", ZERO)


def _discount(payload: Mapping[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    """(percent, amount) of the document's discount line, either or neither."""
    for line in payload["Line"]:
        if "DiscountLineDetail" in line:
            detail = line["DiscountLineDetail"]
            if detail.get("PercentBased"):
                return number(detail["DiscountPercent"]), None
            return None, number(line["Amount"])
    return None, None


def render_document(
    kind: Kind, doc: StoredDocument, items: Mapping[str, Mapping[str, Any]], *, unit_places: int = 2, with_lines: bool = True
) -> dict[str, Any]:
    """The Invoice, CreditNote or BankTransaction Xero would return for a stored document."""
    payload = doc.payload
    amount_types, percent = _tax(payload)
    discount_rate, discount_amount = _discount(payload) if kind.entity != "CreditMemo" else (None, None)
    unit_step = Decimal(1).scaleb(-unit_places)
    lines: list[dict[str, Any]] = []
    typed_total = ZERO
    for index, line in enumerate(_sale_lines(payload), start=1):
        entry: dict[str, Any] = {"LineItemID": line_item_id(kind.singular, doc.id, index), "Description": line.get("Description", "")}
        detail = line.get("SalesItemLineDetail")
        if detail is None:
            entry.update({"LineAmount": ZERO, "TaxAmount": ZERO, "Tracking": []})
            lines.append(entry)
            continue
        qty = number(detail.get("Qty", 0))
        typed = number(detail.get("TaxInclusiveAmt", line["Amount"])) if amount_types == "Inclusive" else number(line["Amount"])
        if qty == 0:
            # A price adjustment (QBO: Qty 0 and an amount) moves no goods: an amount-only line.
            qty, item = Decimal(1), None
        else:
            item = items.get(detail["ItemRef"]["value"]) or {"Id": detail["ItemRef"]["value"], "Name": detail["ItemRef"]["name"]}
        # The price as typed: QBO keeps it for a tax-exclusive line; an inclusive one's gross price is derived.
        price = number(detail["UnitPrice"]) if amount_types != "Inclusive" and "UnitPrice" in detail and item is not None else typed / qty
        entry["Quantity"] = qty
        entry["UnitAmount"] = price.quantize(unit_step, rounding=ROUND_HALF_UP)
        if item is not None:
            code = item_code(item)
            entry["ItemCode"] = code
            entry["Item"] = {"ItemID": xero_id("Item", int(item["Id"])), "Code": code, "Name": item["Name"]}
        entry["AccountCode"] = SALES_ACCOUNT
        entry["_typed"] = typed
        entry["_taxed"] = detail.get("TaxCodeRef", {}).get("value") == "TAX" and percent > 0
        typed_total += typed
        lines.append(entry)
    _apply_discounts(lines, discount_rate, discount_amount, typed_total)
    subtotal = total_tax = total_discount = ZERO
    for entry in lines:
        if "_typed" not in entry:
            continue
        typed, taxed = entry.pop("_typed"), entry.pop("_taxed")
        line_amount = entry["LineAmount"]
        if not taxed:
            tax = ZERO
        elif amount_types == "Inclusive":
            tax = line_amount - money(line_amount * 100 / (100 + percent))
        else:
            tax = money(line_amount * percent / 100)
        entry["TaxType"] = "OUTPUT" if taxed else "NONE"
        entry["TaxAmount"] = tax
        entry["Tracking"] = []
        subtotal += line_amount - tax if amount_types == "Inclusive" else line_amount
        total_tax += tax
        total_discount += typed - line_amount
    return _document(kind, doc, amount_types, lines if with_lines else None, subtotal, total_tax, total_discount)


def _apply_discounts(lines: list[dict[str, Any]], rate: Decimal | None, amount: Decimal | None, typed_total: Decimal) -> None:
    """Set each item line's LineAmount, with its share of the document's discount."""
    priced = [entry for entry in lines if "_typed" in entry]
    left = amount or ZERO
    for position, entry in enumerate(priced):
        typed = entry["_typed"]
        if rate is not None:
            entry["DiscountRate"] = rate
            entry["LineAmount"] = money(typed * (100 - rate) / 100)
        elif amount is not None and typed_total:
            share = left if position == len(priced) - 1 else money(amount * typed / typed_total)
            left -= share
            entry["DiscountAmount"] = share
            entry["LineAmount"] = typed - share
        else:
            entry["LineAmount"] = typed


def _document(
    kind: Kind,
    doc: StoredDocument,
    amount_types: str,
    lines: list[dict[str, Any]] | None,
    subtotal: Decimal,
    total_tax: Decimal,
    total_discount: Decimal,
) -> dict[str, Any]:
    payload = doc.payload
    state = status(kind, doc)
    total = subtotal + total_tax
    day = date.fromisoformat(payload["TxnDate"])
    customer = payload["CustomerRef"]
    result: dict[str, Any] = {
        "Type": kind.type,
        f"{kind.singular}ID": xero_id(kind.singular, doc.id),
    }
    if kind.number_field:
        result[kind.number_field] = payload.get("DocNumber", "")
    result["Reference"] = payload.get("DocNumber", "") if kind.number_field is None else payload.get("PrivateNote", "")
    result["Contact"] = {"ContactID": xero_id("Contact", int(customer["value"])), "Name": customer["name"]}
    result["Date"] = day_ms_date(day)
    result["DateString"] = f"{day.isoformat()}T00:00:00"
    if kind.entity == "Invoice":
        due = day + timedelta(days=30)
        result["DueDate"] = day_ms_date(due)
        result["DueDateString"] = f"{due.isoformat()}T00:00:00"
    if kind.entity == "SalesReceipt":
        result["BankAccount"] = {"AccountID": xero_id("Account", 90), "Code": "090", "Name": "Checking"}
        result["IsReconciled"] = False
    result["Status"] = state
    result["LineAmountTypes"] = amount_types
    if lines is not None:
        result["LineItems"] = lines
    result["SubTotal"] = subtotal
    result["TotalTax"] = total_tax
    result["Total"] = total
    if kind.entity != "CreditMemo":
        result["TotalDiscount"] = total_discount
    result["CurrencyCode"] = payload["CurrencyRef"]["value"]
    result["CurrencyRate"] = currency_rate(payload)
    settled = state == "PAID"
    if kind.entity == "Invoice":
        result["AmountDue"] = ZERO if settled or state in ("VOIDED", "DELETED") else total
        result["AmountPaid"] = total if settled else ZERO
        result["AmountCredited"] = ZERO
    if kind.entity == "CreditMemo":
        result["RemainingCredit"] = ZERO if settled or state in ("VOIDED", "DELETED") else total
    result["UpdatedDateUTC"] = ms_date(doc.last_updated_time)
    result["UpdatedDateUTCString"] = iso_utc(doc.last_updated_time)
    result["HasAttachments"] = False
    return result


def item_code(item: Mapping[str, Any]) -> str:
    """An item's Code: its SKU, else its name (Xero requires a code of at most 30 characters)."""
    return str(item.get("Sku") or item["Name"])[:30]


def sold_in_xero(item: Mapping[str, Any]) -> bool:
    """Xero has no categories, bundles or inactive items: those are not in its item list."""
    return bool(item.get("Active", True)) and item.get("Type") not in ("Category", "Group")


def render_item(item: Mapping[str, Any], updated: int) -> dict[str, Any]:
    """An Item as Xero returns it."""
    tracked = item.get("Type") == "Inventory"
    result: dict[str, Any] = {
        "ItemID": xero_id("Item", int(item["Id"])),
        "Code": item_code(item),
        "Name": item["Name"][:50],
        "Description": item.get("Description", ""),
        "IsSold": True,
        "IsPurchased": item.get("Type") != "Service",
        "IsTrackedAsInventory": tracked,
        "SalesDetails": {"UnitPrice": number(item.get("UnitPrice", 0)), "AccountCode": SALES_ACCOUNT, "TaxType": "OUTPUT"},
        "PurchaseDetails": {"UnitPrice": number(item.get("PurchaseCost", 0))},
        "UpdatedDateUTC": ms_date(updated),
    }
    if tracked:
        result["InventoryAssetAccountCode"] = "630"
        result["QuantityOnHand"] = number(item.get("QtyOnHand", 0))
    return result
