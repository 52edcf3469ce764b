"""Documents that failed: recorded per run, and kept open until they succeed or disappear."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, exists, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from partsemble.domain.documents import DocumentProblem, SalesDocument
from partsemble.domain.sale_plan import ItemLink, waiting_revenue
from partsemble.models.base import utcnow
from partsemble.models.catalog import STOCK_LIKE_ITEM_TYPES, AccountingItem
from partsemble.models.sync import FailedDocument, SyncError


@dataclass
class Failures:
    """Failures of one batch, written with executemany: a run's error rows, and the open problems."""

    run_id: int
    open_keys: set[tuple[str, str]]
    # The item list as the run knows it: which lines of a failed document would be revenue.
    items: Mapping[str, ItemLink] = field(default_factory=dict)
    source: str = "qbo"  # the channel of the documents
    _rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, record: SalesDocument | DocumentProblem, code: str, message: str, item_id: str = "", item_name: str = "") -> None:
        customer = record.customer.name if isinstance(record, SalesDocument) else record.customer_name
        day: date | None = record.txn_date
        self._rows.append(
            {
                "external_type": str(record.type),
                "external_id": record.id,
                "doc_number": record.number[:64],
                "customer_name": customer[:255],
                "txn_date": day,
                "code": code[:32],
                "message": message[:2000],
                "item_external_id": item_id[:64],
                "item_name": item_name[:255],
                "revenue": waiting_revenue(record, self.items) if isinstance(record, SalesDocument) else None,
            }
        )

    def flush(self, session: Session) -> None:
        if not self._rows:
            return
        now = utcnow()
        session.execute(
            insert(SyncError.__table__),
            [{"run_id": self.run_id, "source": self.source, **{k: v for k, v in row.items() if k != "revenue"}} for row in self._rows],
        )
        known = [row for row in self._rows if (row["external_type"], row["external_id"]) in self.open_keys]
        fresh = [row for row in self._rows if (row["external_type"], row["external_id"]) not in self.open_keys]
        if fresh:
            session.execute(
                insert(FailedDocument.__table__),
                [{"source": self.source, "first_failed_at": now, "last_failed_at": now, "attempts": 1, **row} for row in fresh],
            )
        if known:
            table = FailedDocument.__table__
            session.execute(
                update(table)
                .where(
                    table.c.source == self.source,
                    table.c.external_type == bindparam("key_type"),
                    table.c.external_id == bindparam("key_id"),
                )
                .values(
                    doc_number=bindparam("doc_number"),
                    customer_name=bindparam("customer_name"),
                    txn_date=bindparam("txn_date"),
                    code=bindparam("code"),
                    message=bindparam("message"),
                    item_external_id=bindparam("item_external_id"),
                    item_name=bindparam("item_name"),
                    revenue=bindparam("revenue"),
                    last_failed_at=now,
                    attempts=table.c.attempts + 1,
                ),
                [
                    {
                        "key_type": r["external_type"],
                        "key_id": r["external_id"],
                        **{k: v for k, v in r.items() if k not in ("external_type", "external_id")},
                    }
                    for r in known
                ],
            )
        self.open_keys |= {(row["external_type"], row["external_id"]) for row in self._rows}
        self._rows = []


def resolve(session: Session, keys: list[tuple[str, str]], source: str = "qbo") -> None:
    """These documents of a channel were applied, voided or deleted: their problems are closed. No commit."""
    for start in range(0, len(keys), 500):
        session.execute(
            delete(FailedDocument).where(
                FailedDocument.source == source,
                tuple_(FailedDocument.external_type, FailedDocument.external_id).in_(keys[start : start + 500]),
            )
        )


def open_keys(session: Session, source: str = "qbo") -> set[tuple[str, str]]:
    """The (type, id) of a channel's open failed documents."""
    query = select(FailedDocument.external_type, FailedDocument.external_id).where(FailedDocument.source == source)
    return set(session.execute(query).tuples().all())


def open_problems(session: Session, item_id: str | None = None) -> list[FailedDocument]:
    query = select(FailedDocument).order_by(FailedDocument.txn_date, FailedDocument.id)
    if item_id is not None:
        query = query.where(FailedDocument.item_external_id == item_id)
    return list(session.scalars(query))


def blocks_a_document() -> ColumnElement[bool]:
    """Accounting items that hold a document back now: stock-like, unlinked, not marked 'not tracked',
    and named by an open failed document (an unlinked item on no document blocks nothing yet)."""
    return and_(
        AccountingItem.item_type.in_(STOCK_LIKE_ITEM_TYPES),
        AccountingItem.product_id.is_(None),
        AccountingItem.not_tracked.is_(False),
        exists().where(FailedDocument.source == AccountingItem.source, FailedDocument.item_external_id == AccountingItem.external_id),
    )


@dataclass(frozen=True)
class Waiting:
    """Documents that failed to sync, dated within a period, and the revenue they would add."""

    documents: int
    revenue: Decimal


def waiting_in_failures(session: Session, start: date | None, end: date | None, doc_type: str = "", channel: str = "") -> Waiting:
    """Open failed documents dated within [start, end] (either end open), of one type and one channel if given."""
    query = select(func.count(FailedDocument.id), func.coalesce(func.sum(FailedDocument.revenue), 0))
    if channel:
        query = query.where(FailedDocument.source == channel)
    if start is not None:
        query = query.where(FailedDocument.txn_date >= start)
    if end is not None:
        query = query.where(FailedDocument.txn_date <= end)
    if doc_type:
        query = query.where(FailedDocument.external_type == doc_type)
    documents, revenue = session.execute(query).one()
    return Waiting(documents, revenue if isinstance(revenue, Decimal) else Decimal(0))
