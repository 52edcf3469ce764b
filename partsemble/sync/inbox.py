"""Staging fetched documents so they can be applied in transaction-date order.

Pages arrive ordered by last change; goods left in transaction-date order. The
inbox holds a run's documents on disk, so memory stays at one page whatever the
size of the sync.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timezone

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from partsemble.domain.codec import decode, encode
from partsemble.domain.documents import Deletion, DocumentProblem, SalesDocument
from partsemble.models.sales import Sale
from partsemble.models.sync import SyncInbox
from partsemble.sync.lookup import sales_by_key

EARLIEST_DAY = date(1900, 1, 1)
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=timezone.utc)
Record = SalesDocument | DocumentProblem | Deletion


class Inbox:
    """One run's staged documents of one channel (a run stages and applies its channels one after
    the other). Writes join the caller's transaction."""

    def __init__(self, session: Session, run_id: int, channel: str = "qbo") -> None:
        self.session = session
        self.run_id = run_id
        self.channel = channel
        self._seen: set[tuple[str, str]] = set()
        self.unchanged = 0  # documents read whose version is already applied: never staged

    @property
    def read(self) -> int:
        return len(self._seen) + self.unchanged

    def add_changed(self, records: Iterable[Record]) -> int:
        """Stage a page of changed documents, leaving out those whose version is already applied.

        One indexed lookup per page; a re-sync of unchanged documents writes nothing.
        """
        batch = list(records)
        keys = [(str(r.type), r.id) for r in batch if isinstance(r, SalesDocument)]
        applied = {
            key: version
            for key, (version, status) in sales_by_key(self.session, keys, Sale.version, Sale.status, source=self.channel).items()
            if status != "deleted"
        }
        fresh = []
        for record in batch:
            key = (str(record.type), record.id)
            if isinstance(record, SalesDocument) and applied.get(key) == record.version and key not in self._seen:
                self.unchanged += 1
            else:
                fresh.append(record)
        return self.add(fresh)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, records: Iterable[Record], deletion_dates: dict[tuple[str, str], date] | None = None) -> int:
        """Stage records; a key staged before is replaced (later records carry newer versions)."""
        latest: dict[tuple[str, str], Record] = {}
        for record in records:
            latest[(str(record.type), record.id)] = record  # within one page too, the later one wins
        fresh = []
        for key, record in latest.items():
            row = self._row(record, (deletion_dates or {}).get(key))
            if key in self._seen:
                self.session.execute(
                    update(SyncInbox)
                    .where(SyncInbox.run_id == self.run_id, SyncInbox.doc_type == key[0], SyncInbox.doc_id == key[1])
                    .values(**{k: v for k, v in row.items() if k not in ("run_id", "doc_type", "doc_id")})
                    .execution_options(synchronize_session=False)
                )
                continue
            self._seen.add(key)
            fresh.append(row)
        if fresh:
            self.session.execute(insert(SyncInbox.__table__), fresh)
        return len(fresh)

    def _row(self, record: Record, deletion_date: date | None) -> dict[str, object]:
        if isinstance(record, SalesDocument):
            kind, version, day, created = "document", record.version, record.txn_date, record.created_at
        elif isinstance(record, DocumentProblem):
            kind, version, day, created = "problem", "", record.txn_date, None
        else:
            kind, version, day, created = "deletion", "", deletion_date, record.deleted_at
        return {
            "run_id": self.run_id,
            "kind": kind,
            "doc_type": str(record.type),
            "doc_id": record.id,
            "version": version,
            "txn_date": day or EARLIEST_DAY,
            "created_at": created or EARLIEST_TIME,
            "payload": json.dumps(encode(record), separators=(",", ":")),
        }

    def ordered(self, chunk: int = 500) -> Iterator[list[Record]]:
        """Staged records by transaction date, then creation time, a chunk at a time."""
        ids = list(
            self.session.scalars(
                select(SyncInbox.id)
                .where(SyncInbox.run_id == self.run_id)
                .order_by(SyncInbox.txn_date, SyncInbox.created_at, SyncInbox.doc_type, SyncInbox.doc_id)
            )
        )
        for start in range(0, len(ids), chunk):
            wanted = ids[start : start + chunk]
            payloads = dict(self.session.execute(select(SyncInbox.id, SyncInbox.payload).where(SyncInbox.id.in_(wanted))).tuples().all())
            yield [decode(json.loads(payloads[i])) for i in wanted]

    def clear(self) -> None:
        self.session.execute(delete(SyncInbox).where(SyncInbox.run_id == self.run_id))
        self._seen.clear()


def discard_all(session: Session, run_ids: Iterable[int]) -> None:
    """Drop what dead runs left staged."""
    ids = list(run_ids)
    if ids:
        session.execute(delete(SyncInbox).where(SyncInbox.run_id.in_(ids)))
