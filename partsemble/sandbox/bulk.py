"""Bulk generation of synthetic documents for benchmarks: thousands a second, one executemany.

Documents are spread over a date range in date order, but they arrive the way
a bulk import arrives in QBO: every object one call makes (items, customers,
documents, the voids among them) shares one CreateTime and LastUpdatedTime, the
moment of the import, never later than now. Keyset paging on LastUpdatedTime
alone cannot get past such a block; a client must step through it by position.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection, Engine

from partsemble.sandbox.entities import DOC_NUMBER_START
from partsemble.sandbox.namelists import ItemDraft, render_customer, render_item
from partsemble.sandbox.payloads import DocumentDraft, LineInput, render_document
from partsemble.sandbox.records import Catalog, load_catalog, object_row
from partsemble.sandbox.revisions import void_payload
from partsemble.sandbox.store import StoredObject, next_id, next_stamp, prices_include_tax, writing

SCALE = 1_000_000
UNLINKED_ITEM_NAME = "Generated Unlinked Widget"
GENERATED_CUSTOMERS = 25


class BadGeneration(ValueError):
    """The arguments cannot make documents (no products, end before start, share outside 0..1)."""


@dataclass(frozen=True)
class GenerateSummary:
    documents: dict[str, int]
    voided: int
    first_id: int
    last_id: int
    products: list[tuple[str, str, str | None]] = field(default_factory=list)  # (Id, Name, Sku)
    unlinked_item: str | None = None


def _chance(rng: random.Random, share: Decimal) -> bool:
    return rng.randrange(SCALE) < share * SCALE


def _new_items(conn: Connection, drafts: Sequence[ItemDraft], stamp: int) -> list[dict[str, Any]]:
    if not drafts:
        return []
    first_id = next_id(conn, "Item", len(drafts))
    payloads = [render_item(d, item_id=first_id + i, sync_token=0, created=stamp, updated=stamp) for i, d in enumerate(drafts)]
    conn.execute(insert(StoredObject), [object_row("Item", p, txn_date=None, created=stamp, updated=stamp) for p in payloads])
    return payloads


def _products(conn: Connection, rng: random.Random, catalog: Catalog, products: int | Sequence[str], stamp: int) -> list[str]:
    if not isinstance(products, int):
        missing = [p for p in products if p not in catalog.items]
        if missing or not products:
            raise BadGeneration(f"unknown item ids: {', '.join(missing)}" if missing else "no products given")
        return list(products)
    if products < 1:
        raise BadGeneration("products must be at least 1")
    existing = sorted((i for i in catalog.items.values() if str(i.get("Sku", "")).startswith("GEN-")), key=lambda i: i["Sku"])
    wanted = [
        ItemDraft(
            f"Product {k:04d}",
            "Inventory",
            f"GEN-{k:04d}",
            unit_price=Decimal(rng.randrange(500, 8000)) / 100,
            purchase_cost=Decimal(rng.randrange(100, 2500)) / 100,
        )
        for k in range(len(existing) + 1, products + 1)
    ]
    made = _new_items(conn, wanted, stamp)
    for payload in made:
        catalog.items[payload["Id"]] = payload
    return [i["Id"] for i in (existing + made)[:products]]


def _unlinked_item(conn: Connection, catalog: Catalog, stamp: int) -> str:
    for item in catalog.items.values():
        if item["Name"] == UNLINKED_ITEM_NAME:
            return str(item["Id"])
    payload = _new_items(conn, [ItemDraft(UNLINKED_ITEM_NAME, "Inventory", None, unit_price=Decimal("12.00"))], stamp)[0]
    catalog.items[payload["Id"]] = payload
    return str(payload["Id"])


def _customers(conn: Connection, catalog: Catalog, stamp: int) -> list[str]:
    if not catalog.customers:
        first_id = next_id(conn, "Customer", GENERATED_CUSTOMERS)
        rows = []
        for k in range(GENERATED_CUSTOMERS):
            payload = render_customer(
                f"Generated Customer {k + 1:03d}", customer_id=first_id + k, sync_token=0, created=stamp, updated=stamp
            )
            catalog.customers[payload["Id"]] = payload
            rows.append(object_row("Customer", payload, txn_date=None, created=stamp, updated=stamp))
        conn.execute(insert(StoredObject), rows)
    return sorted(catalog.customers, key=int)


def generate(
    engine: Engine,
    n: int,
    *,
    start: date,
    end: date,
    seed: int,
    products: int | Sequence[str],
    credit_memo_share: Decimal,
    void_share: Decimal,
    unlinked_share: Decimal,
    lines_avg: int,
    sales_receipt_share: Decimal = Decimal("0.2"),
    at: int | None = None,
    system: str = "qbo",
) -> GenerateSummary:
    """Add `n` documents dated `start`..`end` in one import made now (or at `at`, never later),
    living in `system` (qbo or xero); products and customers are made when missing.

    Raises:
        BadGeneration: the arguments cannot make documents.
    """
    if n < 1 or end < start or lines_avg < 1:
        raise BadGeneration("need n >= 1, end on or after start, lines_avg >= 1")
    if system not in ("qbo", "xero"):
        raise BadGeneration(f"system must be qbo or xero, not {system!r}")
    shares = (credit_memo_share, void_share, unlinked_share, sales_receipt_share)
    if not all(Decimal(0) <= s <= Decimal(1) for s in shares):
        raise BadGeneration("shares must be between 0 and 1")
    rng = random.Random(seed)
    with writing(engine) as conn:
        stamp = next_stamp(conn, at)  # the moment of the import, shared by all it makes
        inclusive = prices_include_tax(conn)
        catalog = load_catalog(conn)
        item_ids = _products(conn, rng, catalog, products, stamp)
        unlinked = _unlinked_item(conn, catalog, stamp) if unlinked_share > 0 else None
        customer_ids = _customers(conn, catalog, stamp)
        span = (end - start).days + 1
        days = sorted(start + timedelta(days=rng.randrange(span)) for _ in range(n))
        kinds = [
            "CreditMemo" if _chance(rng, credit_memo_share) else "SalesReceipt" if _chance(rng, sales_receipt_share) else "Invoice"
            for _ in range(n)
        ]
        first_id = next_id(conn, "Txn", n)
        numbers = {e: next_id(conn, f"DocNumber:{e}", kinds.count(e)) for e in DOC_NUMBER_START if kinds.count(e)}
        rows = []
        voided = 0
        for index, (day, entity) in enumerate(zip(days, kinds)):
            picks = rng.sample(item_ids, min(len(item_ids), rng.randint(1, 2 * lines_avg - 1)))
            lines = [LineInput(item_id, Decimal(rng.randint(1, 5))) for item_id in picks]
            if unlinked and _chance(rng, unlinked_share):
                lines.append(LineInput(unlinked, Decimal(1)))
            number = DOC_NUMBER_START[entity] - 1 + numbers[entity]
            numbers[entity] += 1
            draft = DocumentDraft(
                customer_id=rng.choice(customer_ids), txn_date=day, lines=tuple(lines), doc_number=str(number), tax_inclusive=inclusive
            )
            is_void = _chance(rng, void_share)
            payload = render_document(
                entity,
                draft,
                doc_id=first_id + index,
                sync_token=0,
                created=stamp,
                updated=stamp,
                items=catalog.items,
                customer=catalog.customers[draft.customer_id],
            )
            if is_void:
                # Voided within the same import second: SyncToken moves on, the time does not.
                # Xero keeps a voided document's amounts; QBO zeroes them.
                payload = void_payload(payload, sync_token=1, updated=stamp) if system == "qbo" else {**payload, "SyncToken": "1"}
                voided += 1
            rows.append(object_row(entity, payload, txn_date=day.isoformat(), created=stamp, updated=stamp, voided=is_void, system=system))
        conn.execute(insert(StoredObject), rows)
    products_made = [(i, catalog.items[i]["Name"], catalog.items[i].get("Sku")) for i in item_ids]
    return GenerateSummary(
        documents={e: kinds.count(e) for e in DOC_NUMBER_START},
        voided=voided,
        first_id=first_id,
        last_id=first_id + n - 1,
        products=products_made,
        unlinked_item=unlinked,
    )
