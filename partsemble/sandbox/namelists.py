"""QBO-shaped payloads of the name lists: items, customers, and the company itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from partsemble.sandbox.clock import qbo_time

INCOME_ACCOUNT = {"value": "79", "name": "Sales of Product Income"}
SERVICE_INCOME_ACCOUNT = {"value": "1", "name": "Services"}
COGS_ACCOUNT = {"value": "80", "name": "Cost of Goods Sold"}
ASSET_ACCOUNT = {"value": "81", "name": "Inventory Asset"}


@dataclass(frozen=True)
class GroupComponent:
    item_id: str
    name: str
    qty: Decimal


@dataclass(frozen=True)
class ItemDraft:
    """What a user says about an item; the payload adds QBO's bookkeeping around it."""

    name: str
    type: str = "Inventory"
    sku: str | None = None
    active: bool = True
    unit_price: Decimal = Decimal("0")
    purchase_cost: Decimal = Decimal("0")
    description: str | None = None
    taxable: bool = True
    parent: tuple[str, str] | None = None  # (Id, Name) of the category
    components: tuple[GroupComponent, ...] = field(default=())
    qty_on_hand: Decimal = Decimal("0")
    inventory_start: date | None = None


def meta(created: int, updated: int) -> dict[str, str]:
    return {"CreateTime": qbo_time(created), "LastUpdatedTime": qbo_time(updated)}


def render_item(draft: ItemDraft, *, item_id: int, sync_token: int, created: int, updated: int) -> dict[str, Any]:
    """An Item as QBO returns it (Sku only when the item has one)."""
    payload: dict[str, Any] = {"Name": draft.name}
    if draft.sku:
        payload["Sku"] = draft.sku
    if draft.description:
        payload["Description"] = draft.description
    payload["Active"] = draft.active
    if draft.parent:
        payload["SubItem"] = True
        payload["ParentRef"] = {"value": draft.parent[0], "name": draft.parent[1]}
        payload["Level"] = 1
    payload["FullyQualifiedName"] = f"{draft.parent[1]}:{draft.name}" if draft.parent else draft.name
    if draft.type != "Category":
        payload["Taxable"] = draft.taxable
        payload["UnitPrice"] = draft.unit_price
    if draft.type in ("Inventory", "NonInventory", "Service"):
        payload["Type"] = draft.type
        payload["IncomeAccountRef"] = SERVICE_INCOME_ACCOUNT if draft.type == "Service" else INCOME_ACCOUNT
        payload["PurchaseCost"] = draft.purchase_cost
        payload["ExpenseAccountRef"] = COGS_ACCOUNT
        payload["TrackQtyOnHand"] = draft.type == "Inventory"
    if draft.type == "Inventory":
        payload["AssetAccountRef"] = ASSET_ACCOUNT
        payload["QtyOnHand"] = draft.qty_on_hand
        payload["InvStartDate"] = (draft.inventory_start or date(2025, 1, 1)).isoformat()
    if draft.type == "Group":
        payload["Type"] = "Group"
        payload["ItemGroupDetail"] = {
            "ItemGroupLine": [{"ItemRef": {"value": c.item_id, "name": c.name, "type": "Item"}, "Qty": c.qty} for c in draft.components]
        }
    if draft.type == "Category":
        payload["Type"] = "Category"
    payload.update(
        {
            "domain": "QBO",
            "sparse": False,
            "Id": str(item_id),
            "SyncToken": str(sync_token),
            "MetaData": meta(created, updated),
        }
    )
    return payload


def item_draft_from_payload(payload: dict[str, Any]) -> ItemDraft:
    """The draft an item payload was made from, for editing."""
    parent = payload.get("ParentRef")
    lines = payload.get("ItemGroupDetail", {}).get("ItemGroupLine", [])
    return ItemDraft(
        name=payload["Name"],
        type=payload.get("Type", "Inventory"),
        sku=payload.get("Sku"),
        active=bool(payload.get("Active", True)),
        unit_price=Decimal(str(payload.get("UnitPrice", 0))),
        purchase_cost=Decimal(str(payload.get("PurchaseCost", 0))),
        description=payload.get("Description"),
        taxable=bool(payload.get("Taxable", True)),
        parent=(parent["value"], parent["name"]) if parent else None,
        components=tuple(GroupComponent(line["ItemRef"]["value"], line["ItemRef"]["name"], Decimal(str(line["Qty"]))) for line in lines),
        qty_on_hand=Decimal(str(payload.get("QtyOnHand", 0))),
        inventory_start=date.fromisoformat(payload["InvStartDate"]) if payload.get("InvStartDate") else None,
    )


CURRENCY_NAMES = {"USD": "United States Dollar", "CAD": "Canadian Dollar"}


def render_customer(
    display_name: str,
    *,
    customer_id: int,
    sync_token: int,
    created: int,
    updated: int,
    email: str | None = None,
    currency: str = "USD",
) -> dict[str, Any]:
    """A Customer as QBO returns it."""
    payload: dict[str, Any] = {
        "Taxable": True,
        "Job": False,
        "BillWithParent": False,
        "Balance": Decimal("0"),
        "BalanceWithJobs": Decimal("0"),
        "CurrencyRef": {"value": currency, "name": CURRENCY_NAMES.get(currency, currency)},
        "PreferredDeliveryMethod": "Print",
        "IsProject": False,
        "domain": "QBO",
        "sparse": False,
        "Id": str(customer_id),
        "SyncToken": str(sync_token),
        "MetaData": meta(created, updated),
        "FullyQualifiedName": display_name,
        "CompanyName": display_name,
        "DisplayName": display_name,
        "PrintOnCheckName": display_name,
        "Active": True,
    }
    if email:
        payload["PrimaryEmailAddr"] = {"Address": email}
    return payload


def render_company_info(name: str, *, created: int, updated: int) -> dict[str, Any]:
    """The CompanyInfo object of the sandbox company."""
    address = {
        "Id": "1",
        "Line1": "418 Alder Street",
        "City": "Portland",
        "CountrySubDivisionCode": "OR",
        "PostalCode": "97204",
        "Country": "US",
    }
    return {
        "CompanyName": name,
        "LegalName": name,
        "CompanyAddr": address,
        "CustomerCommunicationAddr": address,
        "LegalAddr": address,
        "PrimaryPhone": {"FreeFormNumber": "(503) 555-0142"},
        "CompanyStartDate": "2024-03-01",
        "FiscalYearStartMonth": "January",
        "Country": "US",
        "Email": {"Address": "books@juniperandwick.example"},
        "WebAddr": {"URI": "https://juniperandwick.example"},
        "SupportedLanguages": "en",
        "NameValue": [{"Name": "QBOIndustryType", "Value": "Manufacturing"}, {"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "3",
        "MetaData": meta(created, updated),
    }
