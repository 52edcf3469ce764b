"""The items and customers of the Juniper & Wick Co. demo company.

Item Ids, names, SKUs and types are fixed: Partsemble's own demo data links to
them by Id. Lavender Soap (4) has no SKU and is left unlinked on purpose, so the
first demo sync shows errors for it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from partsemble.sandbox.clock import SECOND
from partsemble.sandbox.namelists import GroupComponent, ItemDraft, render_customer, render_item
from partsemble.sandbox.records import object_row

D = Decimal
CANDLES = ("11", "Candles")
DEMO_ITEMS: tuple[tuple[int, ItemDraft], ...] = (
    (
        1,
        ItemDraft(
            "Lavender Candle 8oz",
            "Inventory",
            "CND-LAV-8",
            unit_price=D("24.00"),
            purchase_cost=D("7.10"),
            description="Hand-poured soy candle, lavender, 8 oz tin",
            parent=CANDLES,
            qty_on_hand=D("140"),
        ),
    ),
    (
        2,
        ItemDraft(
            "Cedar Candle 8oz",
            "Inventory",
            "CND-CED-8",
            unit_price=D("24.00"),
            purchase_cost=D("7.35"),
            description="Hand-poured soy candle, cedarwood, 8 oz tin",
            parent=CANDLES,
            qty_on_hand=D("120"),
        ),
    ),
    (
        3,
        ItemDraft(
            "Citrus Candle 16oz",
            "Inventory",
            "CND-CIT-16",
            unit_price=D("38.00"),
            purchase_cost=D("11.80"),
            description="Soy candle, grapefruit and bergamot, 16 oz jar",
            parent=CANDLES,
            qty_on_hand=D("80"),
        ),
    ),
    (
        4,
        ItemDraft(
            "Lavender Soap 200g",
            "Inventory",
            None,
            unit_price=D("9.50"),
            purchase_cost=D("2.40"),
            description="Cold-process soap bar, lavender",
            qty_on_hand=D("60"),
        ),
    ),
    (
        5,
        ItemDraft(
            "Oatmeal Soap 200g",
            "Inventory",
            "SOAP-OAT-200",
            unit_price=D("9.00"),
            purchase_cost=D("2.25"),
            description="Cold-process soap bar, oatmeal and honey",
            qty_on_hand=D("90"),
        ),
    ),
    (
        6,
        ItemDraft(
            "Relaxation Gift Set",
            "NonInventory",
            "GIFT-RELAX",
            unit_price=D("58.00"),
            purchase_cost=D("21.00"),
            description="Lavender candle, two soaps and a linen bag",
        ),
    ),
    (
        7,
        ItemDraft(
            "Soy Wax 1kg",
            "Inventory",
            "WAX-SOY",
            unit_price=D("14.00"),
            purchase_cost=D("6.20"),
            description="Natural soy wax flakes, per kg",
            qty_on_hand=D("45"),
        ),
    ),
    (8, ItemDraft("Shipping", "Service", taxable=False, description="Shipping and handling")),
    (
        9,
        ItemDraft(
            "Candle Trio",
            "Group",
            description="Lavender, cedar and citrus candles",
            components=(
                GroupComponent("1", "Lavender Candle 8oz", D("1")),
                GroupComponent("2", "Cedar Candle 8oz", D("1")),
                GroupComponent("3", "Citrus Candle 16oz", D("1")),
            ),
        ),
    ),
    (10, ItemDraft("Gift Wrap", "Service", unit_price=D("4.00"), description="Gift wrapping with ribbon and card")),
    (11, ItemDraft("Candles", "Category")),
    (
        12,
        ItemDraft(
            "Old Beeswax Taper",
            "Inventory",
            "CND-BEE-OLD",
            active=False,
            unit_price=D("6.00"),
            purchase_cost=D("1.90"),
            description="Beeswax taper (discontinued)",
            parent=CANDLES,
        ),
    ),
)
FINISHED_GOODS = ("1", "2", "3", "5", "6")
FINISHED_WEIGHTS = (30, 25, 20, 15, 10)

DEMO_CUSTOMERS: tuple[tuple[str, str | None, str], ...] = (
    ("Maple & Moss Boutique", "orders@mapleandmoss.example", "USD"),
    ("Harbor Lights Gift Shop", "buyer@harborlights.example", "USD"),
    ('Fern "Fernie" O\'Neil & Daughters', "fernie@oneil.example", "USD"),
    ("The Willamette Valley Apothecary, Candle & Soap Emporium of Greater Portland", None, "USD"),
    ("Blue Heron Spa", "frontdesk@blueheronspa.example", "USD"),
    ("Cascade Wellness Collective", "hello@cascadewellness.example", "USD"),
    ("Oak & Ember Home", "purchasing@oakandember.example", "USD"),
    ("Sunrise Yoga Studio", None, "USD"),
    ("Pinecrest Market", "grocery@pinecrest.example", "USD"),
    ("Lumen Candle Bar", "studio@lumencandlebar.example", "USD"),
    ("Ruth Nakamura", "ruth.nakamura@mail.example", "USD"),
    ("Northern Lights Gifts (Vancouver)", "shop@northernlights.example", "CAD"),
)
CAD_CUSTOMER = "12"


def catalog_rows(first_stamp: int) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Rows for the demo items and customers, and their payloads by Id.

    Items are stamped one second apart from `first_stamp`, then customers; the
    inactive taper is deactivated a day later (SyncToken 1).
    """
    rows: list[dict[str, Any]] = []
    items: dict[str, dict[str, Any]] = {}
    customers: dict[str, dict[str, Any]] = {}
    stamp = first_stamp
    for item_id, draft in DEMO_ITEMS:
        stamp += SECOND
        updated = stamp + 86_400 * SECOND if not draft.active else stamp
        payload = render_item(draft, item_id=item_id, sync_token=0 if draft.active else 1, created=stamp, updated=updated)
        items[payload["Id"]] = payload
        rows.append(object_row("Item", payload, txn_date=None, created=stamp, updated=updated, active=draft.active))
    for index, (name, email, currency) in enumerate(DEMO_CUSTOMERS, start=1):
        stamp += SECOND
        payload = render_customer(name, customer_id=index, sync_token=0, created=stamp, updated=stamp, email=email, currency=currency)
        customers[payload["Id"]] = payload
        rows.append(object_row("Customer", payload, txn_date=None, created=stamp, updated=stamp))
    return rows, items, customers


def catalog_start(today: date) -> date:
    return today - timedelta(days=120)
