"""Pages of documents for the sandbox's own screens, newest first, any state."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from partsemble.sandbox import entities, jsontext
from partsemble.sandbox.clock import qbo_time
from partsemble.sandbox.company import SandboxCompany
from partsemble.sandbox.payloads import number
from partsemble.sandbox.store import StoredObject, reading
from partsemble.sandbox.xero.schema import SYSTEMS

STATES = ("all", "active", "voided", "deleted")


@dataclass(frozen=True)
class DocumentSummary:
    entity: str
    id: str
    doc_number: str
    txn_date: str
    customer: str
    total: Decimal
    currency: str
    sync_token: str
    last_updated: str
    state: str  # active, voided or deleted
    system: str  # qbo or xero


@dataclass(frozen=True)
class DocumentPage:
    rows: list[DocumentSummary]
    page: int
    pages: int
    total: int


def document_page(
    company: SandboxCompany, *, entity: str | None, state: str, page: int, per_page: int = 50, system: str | None = None
) -> DocumentPage:
    """One page of documents of one type (or all three), filtered by state and by system (qbo, xero, or both)."""
    clauses = [StoredObject.entity.in_([entity] if entity in entities.TRANSACTIONS else entities.TRANSACTIONS)]
    if system in SYSTEMS:
        clauses.append(StoredObject.system == system)
    if state == "active":
        clauses += [StoredObject.deleted_at.is_(None), StoredObject.voided.is_(False)]
    elif state == "voided":
        clauses += [StoredObject.deleted_at.is_(None), StoredObject.voided.is_(True)]
    elif state == "deleted":
        clauses += [StoredObject.deleted_at.is_not(None)]
    with reading(company.engine) as conn:
        total = int(conn.execute(select(func.count()).select_from(StoredObject).where(*clauses)).scalar_one())
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        rows = conn.execute(
            select(
                StoredObject.entity,
                StoredObject.payload,
                StoredObject.voided,
                StoredObject.deleted_at,
                StoredObject.last_updated_time,
                StoredObject.system,
            )
            .where(*clauses)
            .order_by(StoredObject.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
    summaries = []
    for row in rows:
        payload = jsontext.loads(row.payload)
        summaries.append(
            DocumentSummary(
                entity=row.entity,
                id=payload["Id"],
                doc_number=payload.get("DocNumber", ""),
                txn_date=payload["TxnDate"],
                customer=payload["CustomerRef"]["name"],
                total=number(payload["TotalAmt"]),
                currency=payload["CurrencyRef"]["value"],
                sync_token=payload["SyncToken"],
                last_updated=qbo_time(row.last_updated_time),
                state="deleted" if row.deleted_at is not None else "voided" if row.voided else "active",
                system=row.system,
            )
        )
    return DocumentPage(summaries, page, pages, total)
