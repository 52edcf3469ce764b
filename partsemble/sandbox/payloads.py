"""QBO-shaped sales documents: build one from a draft, void it, read the draft back.

A draft holds what a person types (customer, date, item lines, a discount);
the payload adds what QBO computes: line ids and amounts, the subtotal line,
the discount line, tax in TxnTaxDetail (never in line amounts), totals and
balance, currency, and the MetaData times.

A tax-inclusive document (GlobalTaxCalculation "TaxInclusive", as companies in
Australia, the UK or Canada often use) is typed with prices that include tax.
QBO then answers as in its recorded AU payloads: each line's `Amount` and
`UnitPrice` are net of tax, `SalesItemLineDetail.TaxInclusiveAmt` holds the
gross line amount, `TxnTaxDetail` the tax, and `TotalAmt` the gross total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from partsemble.sandbox.namelists import INCOME_ACCOUNT, meta

CENT = Decimal("0.01")
UNIT_PRICE_PLACES = Decimal("0.0000001")  # QBO writes derived unit prices to 7 places
ZERO = Decimal("0")
HOME_CURRENCY = "USD"
CURRENCY_NAMES = {"USD": "United States Dollar", "CAD": "Canadian Dollar", "EUR": "Euro", "GBP": "British Pound Sterling"}
DISCOUNT_ACCOUNT = {"value": "86", "name": "Discounts given"}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def number(value: Any) -> Decimal:
    """A JSON number (int or Decimal once parsed) as a Decimal."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class LineInput:
    """One line as typed: an item (or none, for a description-only line) with qty and price.

    A Group item becomes a bundle line holding its components. Leave `unit_price`
    out to use the item's price; give `amount` for a line whose amount is not
    qty x price (a credit memo price adjustment has Qty 0 and an amount).
    """

    item_id: str | None = None
    qty: Decimal | None = None
    unit_price: Decimal | None = None
    description: str | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class DocumentDraft:
    customer_id: str
    txn_date: date
    lines: tuple[LineInput, ...] = field(default=())
    doc_number: str | None = None
    private_note: str = ""
    currency: str = HOME_CURRENCY
    exchange_rate: Decimal | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    tax_percent: Decimal = Decimal("8.25")
    paid: bool = False
    tax_inclusive: bool | None = None  # None: the company's preference (see SandboxCompany)

    def with_changes(self, **changes: Any) -> DocumentDraft:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _sales_line(
    line_id: int, line_num: int | None, line: LineInput, item: Mapping[str, Any], qty: Decimal, inclusive_rate: Decimal | None = None
) -> dict[str, Any]:
    """One SalesItemLineDetail line; with `inclusive_rate` (tax percent) the typed price includes tax."""
    price = line.unit_price if line.unit_price is not None else number(item.get("UnitPrice", 0))
    amount = line.amount if line.amount is not None else money(qty * price)
    taxable = item.get("Taxable", True)
    detail: dict[str, Any] = {}
    if inclusive_rate is not None:
        gross = amount
        amount = money(gross * 100 / (100 + inclusive_rate)) if taxable else gross
        detail["TaxInclusiveAmt"] = gross
        price = (amount / qty).quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP) if qty else ZERO
        if price == price.to_integral_value():
            price = price.quantize(Decimal(1))  # QBO writes 2000, not 2000.0000000
    detail["ItemRef"] = {"value": item["Id"], "name": item["Name"]}
    if not (line.amount is not None and line.unit_price is None):
        detail["UnitPrice"] = price
    detail["Qty"] = qty
    detail["ItemAccountRef"] = INCOME_ACCOUNT
    detail["TaxCodeRef"] = {"value": "TAX" if taxable else "NON"}
    result: dict[str, Any] = {"Id": str(line_id)}
    if line_num is not None:
        result["LineNum"] = line_num
    result["Description"] = line.description if line.description is not None else item.get("Description", item["Name"])
    result.update({"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail})
    return result


def _taxed(line: Mapping[str, Any]) -> bool:
    return bool(line["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "TAX")


def _build_lines(
    draft: DocumentDraft, items: Mapping[str, Mapping[str, Any]], inclusive_rate: Decimal | None
) -> tuple[list[dict[str, Any]], Decimal, Decimal, Decimal]:
    """The Line[] of the items typed, with their (net) subtotal, its taxable part, and that part's gross."""
    lines: list[dict[str, Any]] = []
    subtotal = taxable = gross_taxable = ZERO
    next_id = 1
    for line_num, line in enumerate(draft.lines, start=1):
        if line.item_id is None:
            lines.append(
                {
                    "Id": str(next_id),
                    "LineNum": line_num,
                    "Description": line.description or "",
                    "DetailType": "DescriptionOnly",
                    "DescriptionLineDetail": {},
                }
            )
            next_id += 1
            continue
        item = items[line.item_id]
        qty = line.qty if line.qty is not None else Decimal("1")
        if item.get("Type") == "Group":
            group_id = next_id
            next_id += 1
            inner = []
            for component in item["ItemGroupDetail"]["ItemGroupLine"]:
                part = items[component["ItemRef"]["value"]]
                inner.append(
                    _sales_line(
                        next_id, None, LineInput(component["ItemRef"]["value"]), part, number(component["Qty"]) * qty, inclusive_rate
                    )
                )
                next_id += 1
            amount = sum((number(x["Amount"]) for x in inner), ZERO)
            taxable += sum((number(x["Amount"]) for x in inner if _taxed(x)), ZERO)
            gross_taxable += sum((number(x["SalesItemLineDetail"].get("TaxInclusiveAmt", x["Amount"])) for x in inner if _taxed(x)), ZERO)
            lines.append(
                {
                    "Id": str(group_id),
                    "LineNum": line_num,
                    "Description": line.description or item.get("Description", item["Name"]),
                    "Amount": amount,
                    "DetailType": "GroupLineDetail",
                    "GroupLineDetail": {"GroupItemRef": {"value": item["Id"], "name": item["Name"]}, "Quantity": qty, "Line": inner},
                }
            )
        else:
            built = _sales_line(next_id, line_num, line, item, qty, inclusive_rate)
            next_id += 1
            amount = number(built["Amount"])
            if _taxed(built):
                taxable += amount
                gross_taxable += number(built["SalesItemLineDetail"].get("TaxInclusiveAmt", amount))
            lines.append(built)
        subtotal += amount
    return lines, subtotal, taxable, gross_taxable


def render_document(
    entity: str,
    draft: DocumentDraft,
    *,
    doc_id: int,
    sync_token: int,
    created: int,
    updated: int,
    items: Mapping[str, Mapping[str, Any]],
    customer: Mapping[str, Any],
) -> dict[str, Any]:
    """The Invoice, SalesReceipt or CreditMemo QBO would return for this draft.

    Raises:
        KeyError: a line names an item that is not in `items`.
    """
    inclusive = bool(draft.tax_inclusive)
    lines, subtotal, taxable, gross_taxable = _build_lines(draft, items, draft.tax_percent if inclusive else None)
    lines.append({"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    discount = ZERO
    if draft.discount_percent is not None or draft.discount_amount is not None:
        percent_based = draft.discount_percent is not None
        discount = (
            money(subtotal * draft.discount_percent / 100) if draft.discount_percent is not None else money(draft.discount_amount or ZERO)
        )
        detail: dict[str, Any] = {"PercentBased": percent_based}
        if percent_based:
            detail["DiscountPercent"] = draft.discount_percent
        detail["DiscountAccountRef"] = DISCOUNT_ACCOUNT
        lines.append({"Amount": discount, "DetailType": "DiscountLineDetail", "DiscountLineDetail": detail})
    kept = (subtotal - discount) / subtotal if subtotal else Decimal(1)  # the share a discount leaves
    net_taxable = money(taxable - (discount * taxable / subtotal if subtotal else ZERO))
    # Tax-inclusive: the tax is what the typed (gross) prices hold beyond their net amounts.
    tax = money(gross_taxable * kept) - net_taxable if inclusive else money(net_taxable * draft.tax_percent / 100)
    total = subtotal - discount + tax
    rate = draft.exchange_rate if draft.exchange_rate is not None else Decimal("1")
    tax_detail: dict[str, Any] = {"TotalTax": tax}
    if tax:
        tax_detail = {
            "TxnTaxCodeRef": {"value": "2"},
            "TotalTax": tax,
            "TaxLine": [
                {
                    "Amount": tax,
                    "DetailType": "TaxLineDetail",
                    "TaxLineDetail": {
                        "TaxRateRef": {"value": "3"},
                        "PercentBased": True,
                        "TaxPercent": draft.tax_percent,
                        "NetAmountTaxable": net_taxable,
                    },
                }
            ],
        }
    payload: dict[str, Any] = {}
    if entity == "Invoice":
        payload.update(
            {"AllowIPNPayment": False, "AllowOnlinePayment": False, "AllowOnlineCreditCardPayment": False, "AllowOnlineACHPayment": False}
        )
    payload.update(
        {
            "domain": "QBO",
            "sparse": False,
            "Id": str(doc_id),
            "SyncToken": str(sync_token),
            "MetaData": meta(created, updated),
            "CustomField": [],
        }
    )
    if draft.doc_number:
        payload["DocNumber"] = draft.doc_number
    payload["TxnDate"] = draft.txn_date.isoformat()
    payload["CurrencyRef"] = {"value": draft.currency, "name": CURRENCY_NAMES.get(draft.currency, draft.currency)}
    payload["ExchangeRate"] = rate
    payload["PrivateNote"] = draft.private_note
    paid = draft.paid or entity == "SalesReceipt"
    payload["LinkedTxn"] = [{"TxnId": str(900000 + doc_id), "TxnType": "Payment"}] if draft.paid and entity == "Invoice" else []
    payload["Line"] = lines
    payload["TxnTaxDetail"] = tax_detail
    payload["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
    payload["GlobalTaxCalculation"] = "TaxInclusive" if inclusive else "TaxExcluded"
    if entity == "Invoice":
        payload["SalesTermRef"] = {"value": "3", "name": "Net 30"}
        payload["DueDate"] = (draft.txn_date + timedelta(days=30)).isoformat()
    if entity == "SalesReceipt":
        payload["PaymentMethodRef"] = {"value": "1", "name": "Cash"}
        payload["DepositToAccountRef"] = {"value": "35", "name": "Checking"}
    payload["TotalAmt"] = total
    if draft.currency != HOME_CURRENCY:
        payload["HomeTotalAmt"] = money(total * rate)
    payload["ApplyTaxAfterDiscount"] = False
    payload["PrintStatus"] = "NotSet"
    payload["EmailStatus"] = "NotSet"
    payload["Balance"] = ZERO if paid else total
    if draft.currency != HOME_CURRENCY:
        payload["HomeBalance"] = ZERO if paid else money(total * rate)
    if entity == "CreditMemo":
        payload["RemainingCredit"] = ZERO if draft.paid else total
    return payload
