"""Seed the Juniper & Wick Co. demo company: deterministic, and idempotent once seeded.

About 300 documents over the 90 days before `today`: mostly invoices, some
sales receipts, ~5% credit memos (some with Qty 0 price adjustments); shipping,
gift-wrap, description-only, subtotal and discount lines; a few bundles; decimal
quantities; one CAD sales receipt; edited invoices (SyncToken > 0); one voided
invoice; one deleted invoice (a CDC tombstone). The history older than 30 days
was imported, as a company moving to QBO imports it: those documents share the
import's CreateTime and LastUpdatedTime. Every later change has its own, later
time, and none is later than now.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine

from partsemble.sandbox.clock import SECOND, local_stamp
from partsemble.sandbox.demo_catalog import (
    CAD_CUSTOMER,
    DEMO_CUSTOMERS,
    FINISHED_GOODS,
    FINISHED_WEIGHTS,
    catalog_rows,
    catalog_start,
)
from partsemble.sandbox.entities import DOC_NUMBER_START
from partsemble.sandbox.payloads import DocumentDraft, LineInput, render_document
from partsemble.sandbox.records import object_row
from partsemble.sandbox.revisions import void_payload
from partsemble.sandbox.store import (
    StoredObject,
    get_setting,
    note_stamp,
    reserve_ids_through,
    set_setting,
    writing,
)

D = Decimal
DOCUMENTS = 300
IMPORT_DAYS_AGO = 30
FIRST_TXN_ID = 101
RNG_SEED = 20260515


class CompanyNotEmpty(RuntimeError):
    """The demo can only be seeded into an empty company; reset it first."""


@dataclass(frozen=True)
class SeedSummary:
    created: bool
    documents: dict[str, int]
    voided_invoice: str
    deleted_invoice: str
    cad_sales_receipt: str
    edited_invoices: list[str] = field(default_factory=list)
    lavender_soap_documents: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    entity: str
    txn_date: date
    created: int
    draft: DocumentDraft
    edits: int = 0
    updated: int = 0
    voided: bool = False
    deleted_at: int | None = None


def _qty(rng: random.Random) -> Decimal:
    return D(rng.choice((1, 1, 1, 2, 2, 3, 4, 6, 12)))


def _lines(rng: random.Random, entity: str, index: int, marks: dict[str, set[int]]) -> list[LineInput]:
    if entity == "CreditMemo":
        lines = [LineInput(rng.choices(FINISHED_GOODS, FINISHED_WEIGHTS)[0], D(rng.choice((1, 1, 2))))]
        if index in marks["price_adjustment"]:
            lines.append(
                LineInput(
                    rng.choice(FINISHED_GOODS), D("0"), None, "Price adjustment: scuffed label", D(rng.choice(("3.00", "5.00", "7.50")))
                )
            )
        return lines
    count = rng.choice((1, 1, 2, 2, 3, 4))
    chosen: list[str] = []
    while len(chosen) < count:
        pick = rng.choices(FINISHED_GOODS, FINISHED_WEIGHTS)[0]
        if pick not in chosen:
            chosen.append(pick)
    lines = [LineInput(item_id, _qty(rng)) for item_id in chosen]
    if index in marks["half_soap"]:
        lines.append(LineInput("5", D("4.5"), D("9.00"), "Oatmeal soap, cut to order (4.5 bars)"))
    if index in marks["lavender_soap"]:
        lines.append(LineInput("4", _qty(rng)))
    if index in marks["soy_wax"]:
        lines.append(LineInput("7", D("4.5") if index == min(marks["soy_wax"]) else D(rng.choice((1, 2, 5)))))
    if index in marks["bundle"]:
        lines.append(LineInput("9", D(rng.choice((1, 1, 2)))))
    if rng.randrange(100) < 10:
        lines.append(LineInput("10", D(rng.choice((1, 2)))))
    if entity == "Invoice" and rng.randrange(100) < 40:
        lines.append(LineInput("8", D("1"), D(rng.choice(("8.50", "12.00", "15.75", "22.40")))))
    if rng.randrange(100) < 8:
        lines.insert(
            0,
            LineInput(
                None,
                description=rng.choice(("Thank you for your order!", "Holiday order: ship by Dec 12", "Wholesale terms per agreement")),
            ),
        )
    return lines


def _plan(today: date) -> list[_Plan]:
    rng = random.Random(RNG_SEED)
    first_day = today - timedelta(days=90)
    indices = range(DOCUMENTS)
    credit = set(rng.sample(list(indices), 15))
    receipts = set(rng.sample([i for i in indices if i not in credit], 60))
    invoices = [i for i in indices if i not in credit and i not in receipts]
    marks = {
        "lavender_soap": set(rng.sample([i for i in indices if i not in credit], 12)),
        "soy_wax": set(rng.sample(invoices, 6)),
        "bundle": set(rng.sample(invoices, 8)),
        "half_soap": set(rng.sample(invoices, 1)),
        "price_adjustment": set(rng.sample(sorted(credit), 4)),
    }
    plans = []
    for index in indices:
        entity = "CreditMemo" if index in credit else "SalesReceipt" if index in receipts else "Invoice"
        txn_date = first_day + timedelta(days=index * 90 // DOCUMENTS)
        customer = str(rng.randint(1, len(DEMO_CUSTOMERS) - 1))
        lines = _lines(rng, entity, index, marks)
        discount = rng.randrange(100) < 10 and entity != "CreditMemo"
        draft = DocumentDraft(
            customer_id=customer,
            txn_date=txn_date,
            lines=tuple(lines),
            discount_percent=D("10") if discount and index % 2 else None,
            discount_amount=D("5.00") if discount and not index % 2 else None,
            paid=entity == "Invoice" and txn_date < today - timedelta(days=30) and rng.randrange(100) < 70,
            private_note=rng.choice(("", "", "", "Repeat customer", "Called in by phone")),
        )
        created = local_stamp(txn_date, 8 * 3600 + rng.randrange(9 * 3600))
        plans.append(_Plan(entity, txn_date, created, draft))
    imported = import_stamp(today)
    for plan in plans:
        plan.created = max(plan.created, imported)
    plans.sort(key=lambda p: p.created)
    _mark_changes(rng, plans, today)
    return plans


def import_stamp(today: date) -> int:
    """When the demo's history was imported: early morning, 30 days before `today`."""
    return local_stamp(today - timedelta(days=IMPORT_DAYS_AGO), 7 * 3600)


def _mark_changes(rng: random.Random, plans: list[_Plan], today: date) -> None:
    recent = [p for p in plans if p.entity == "Invoice" and today - timedelta(days=60) <= p.txn_date < today - timedelta(days=12)]
    voided, deleted, *edited = rng.sample(recent, 12)
    latest = local_stamp(today - timedelta(days=1), 18 * 3600)
    for plan in edited:
        plan.edits = rng.randint(1, 3)
        plan.updated = min(plan.created + rng.randint(1, 5) * 86_400 * SECOND, latest)
        last = plan.draft.lines[-1]
        changed = LineInput(last.item_id, (last.qty or D("1")) + 1, last.unit_price, last.description, last.amount)
        plan.draft = plan.draft.with_changes(lines=plan.draft.lines[:-1] + (changed,))
    voided.voided = True
    voided.updated = local_stamp(today - timedelta(days=4), 10 * 3600)
    deleted.deleted_at = local_stamp(today - timedelta(days=3), 11 * 3600)
    receipt = next(p for p in plans if p.entity == "SalesReceipt" and p.txn_date >= today - timedelta(days=45))
    receipt.draft = receipt.draft.with_changes(customer_id=CAD_CUSTOMER, currency="CAD", exchange_rate=D("0.74"), tax_percent=D("5"))


def _unique_stamps(plans: list[_Plan], imported: int) -> None:
    """Give every change after the import its own second, in order, keeping each update after its creation."""
    events = []
    for index, plan in enumerate(plans):
        if plan.created == imported and not plan.updated:
            plan.updated = imported  # untouched since the import: the import's shared time
        else:
            events.append((plan.updated or plan.created, index, "updated"))
        if plan.deleted_at:
            events.append((plan.deleted_at, index, "deleted"))
    previous = imported
    for desired, index, what in sorted(events):
        stamp = max(desired, previous + SECOND)
        plan = plans[index]
        if what == "deleted":
            plan.deleted_at = stamp
        else:
            if not plan.updated:
                plan.created = stamp
            plan.updated = stamp
        previous = stamp


def seed_demo(engine: Engine, today: date) -> SeedSummary:
    """Seed the demo company, or return what an earlier seeding made.

    Raises:
        CompanyNotEmpty: the company holds objects that the demo did not make.
    """
    with writing(engine) as conn:
        done = get_setting(conn, "demo_seeded")
        if done:
            return SeedSummary(**{**json.loads(done), "created": False})
        if conn.execute(select(func.count()).select_from(StoredObject)).scalar_one():
            raise CompanyNotEmpty("seed_demo needs an empty sandbox company: run `flask sandbox reset` first")
        start = local_stamp(catalog_start(today), 9 * 3600)
        rows, items, customers = catalog_rows(start)
        plans = _plan(today)
        _unique_stamps(plans, import_stamp(today))
        counters = dict.fromkeys(DOC_NUMBER_START, 0)
        summary: dict[str, Any] = {"created": True, "documents": {}, "edited_invoices": [], "lavender_soap_documents": []}
        deleted: list[tuple[int, int]] = []
        for offset, plan in enumerate(plans):
            doc_id = FIRST_TXN_ID + offset
            counters[plan.entity] += 1
            draft = plan.draft.with_changes(doc_number=str(DOC_NUMBER_START[plan.entity] + counters[plan.entity] - 1))
            payload = render_document(
                plan.entity,
                draft,
                doc_id=doc_id,
                sync_token=plan.edits,
                created=plan.created,
                updated=plan.updated,
                items=items,
                customer=customers[draft.customer_id],
            )
            if plan.voided:
                payload = void_payload(payload, sync_token=plan.edits + 1, updated=plan.updated)
                summary["voided_invoice"] = payload["Id"]
            if plan.deleted_at:
                deleted.append((doc_id, plan.deleted_at))
                summary["deleted_invoice"] = payload["Id"]
            if plan.draft.currency == "CAD":
                summary["cad_sales_receipt"] = payload["Id"]
            if plan.edits:
                summary["edited_invoices"].append(payload["Id"])
            if any(line.item_id == "4" for line in draft.lines):
                summary["lavender_soap_documents"].append(payload["Id"])
            rows.append(
                object_row(
                    plan.entity, payload, txn_date=payload["TxnDate"], created=plan.created, updated=plan.updated, voided=plan.voided
                )
            )
        conn.execute(insert(StoredObject), rows)
        for doc_id, at in deleted:
            conn.execute(
                update(StoredObject)
                .where(StoredObject.entity == "Invoice", StoredObject.id == doc_id)
                .values(deleted_at=at, last_updated_time=at)
            )
        summary["documents"] = {e: n - (1 if e == "Invoice" else 0) for e, n in counters.items()}
        note_stamp(conn, max(max(p.updated for p in plans), max(at for _, at in deleted)))
        reserve_ids_through(conn, "Item", 12)
        reserve_ids_through(conn, "Customer", len(DEMO_CUSTOMERS))
        reserve_ids_through(conn, "Txn", FIRST_TXN_ID + len(plans) - 1)
        for entity, count in counters.items():
            reserve_ids_through(conn, f"DocNumber:{entity}", count)
        result = SeedSummary(**summary)
        set_setting(conn, "demo_seeded", json.dumps(asdict(result)))
        return result
