"""Documents that failed: recorded per run, and kept open until they succeed or disappear."""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from partsemble.domain.documents import DocumentProblem, SalesDocument
from partsemble.models.base import utcnow
from partsemble.models.sync import FailedDocument, SyncError


def record_failure(
    session: Session,
    run_id: int,
    record: SalesDocument | DocumentProblem,
    code: str,
    message: str,
    item_id: str = "",
    item_name: str = "",
) -> None:
    """Add the run's error row and open (or refresh) the document's problem. No commit."""
    number = record.number
    customer = record.customer.name if isinstance(record, SalesDocument) else record.customer_name
    day: date | None = record.txn_date
    values = dict(
        doc_number=number[:64], customer_name=customer[:255], txn_date=day, code=code[:32], message=message[:2000],
        item_external_id=item_id[:64], item_name=item_name[:255],
    )
    session.add(SyncError(run_id=run_id, external_type=str(record.type), external_id=record.id, **values))
    open_problem = session.scalar(
        select(FailedDocument).where(
            FailedDocument.source == "qbo", FailedDocument.external_type == str(record.type), FailedDocument.external_id == record.id
        )
    )
    if open_problem is None:
        session.add(FailedDocument(source="qbo", external_type=str(record.type), external_id=record.id, **values))
    else:
        for key, value in values.items():
            setattr(open_problem, key, value)
        open_problem.last_failed_at = utcnow()
        open_problem.attempts += 1


def resolve(session: Session, keys: list[tuple[str, str]]) -> None:
    """These documents were applied, voided or deleted: their problems are closed. No commit."""
    for start in range(0, len(keys), 500):
        session.execute(
            delete(FailedDocument).where(
                FailedDocument.source == "qbo",
                tuple_(FailedDocument.external_type, FailedDocument.external_id).in_(keys[start : start + 500]),
            )
        )


def open_keys(session: Session) -> set[tuple[str, str]]:
    return set(session.execute(select(FailedDocument.external_type, FailedDocument.external_id)).tuples().all())


def open_problems(session: Session, item_id: str | None = None) -> list[FailedDocument]:
    query = select(FailedDocument).order_by(FailedDocument.txn_date, FailedDocument.id)
    if item_id is not None:
        query = query.where(FailedDocument.item_external_id == item_id)
    return list(session.scalars(query))
