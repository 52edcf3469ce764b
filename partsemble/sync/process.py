"""Applying a run's staged documents, each in its own transaction."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from partsemble.connectors.base import SalesSource
from partsemble.domain.documents import Deletion, DocumentProblem, SalesDocument
from partsemble.domain.sale_plan import DocumentRejected, ItemLink, item_ids
from partsemble.models.engine import begin_write
from partsemble.models.sales import Sale
from partsemble.models.sync import SyncRun
from partsemble.sales.apply import ApplyContext, Outcome, apply_document, apply_removal
from partsemble.sync import lock
from partsemble.sync.inbox import Inbox
from partsemble.sync.items import fetch_unknown_items, item_links
from partsemble.sync.problems import record_failure, resolve

log = logging.getLogger(__name__)


class TimeLimitReached(Exception):
    """The run used its time; what finished is kept and the next run continues."""


@dataclass
class Progress:
    """Counters of the run, written to its row with every commit."""

    created: int = 0
    updated: int = 0
    voided: int = 0
    skipped: int = 0
    errors: int = 0
    processed: int = 0
    last_beat: float = field(default_factory=time.monotonic)

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)
        self.processed += 1

    def write(self, run: SyncRun, now: datetime) -> None:
        run.created, run.updated, run.voided, run.skipped = self.created, self.updated, self.voided, self.skipped
        run.errors, run.processed, run.heartbeat_at = self.errors, self.processed, now


@dataclass(frozen=True)
class Processor:
    session: Session
    source: SalesSource
    run_id: int
    user_id: int | None
    restock_returns: bool
    clock: Callable[[], datetime]
    deadline: float | None  # time.monotonic() value
    beat_every: timedelta = timedelta(seconds=2)

    def run(self, inbox: Inbox, progress: Progress) -> None:
        """Apply every staged record in order.

        Raises:
            TimeLimitReached, LockLost, ConnectorError: the run stops; finished documents stay.
        """
        items = item_links(self.session)
        for chunk in inbox.ordered():
            known = self._known_sales(chunk)
            for record in chunk:
                if self.deadline is not None and time.monotonic() > self.deadline:
                    raise TimeLimitReached()
                if isinstance(record, SalesDocument):
                    existing = known.get((str(record.type), record.id))
                    if existing is not None and existing[1] == record.version and existing[2] != "deleted":
                        progress.count(Outcome.SKIPPED)
                        self._maybe_beat(progress)
                        continue
                    if item_ids(record) - items.keys():
                        fetch_unknown_items(self.session, self.source, sorted(item_ids(record) - items.keys()))
                        items = item_links(self.session)
                    self._apply(record, existing[0] if existing else None, items, progress)
                elif isinstance(record, Deletion):
                    self._remove(record, existing_id=known.get((str(record.type), record.id), (None,))[0], progress=progress)
                else:
                    self._fail(record, "malformed", record.message, progress=progress)
        self._beat(progress)

    def _known_sales(self, chunk: list[SalesDocument | DocumentProblem | Deletion]) -> dict[tuple[str, str], tuple[int, str, str]]:
        """One indexed lookup for a whole chunk: (type, id) -> (sale id, version, status)."""
        keys = [(str(r.type), r.id) for r in chunk]
        rows = self.session.execute(
            select(Sale.external_type, Sale.external_id, Sale.id, Sale.version, Sale.status).where(
                Sale.source == "qbo", tuple_(Sale.external_type, Sale.external_id).in_(keys)
            )
        ).all()
        return {(t, i): (sid, v, s) for t, i, sid, v, s in rows}

    def _context(self, items: dict[str, ItemLink]) -> ApplyContext:
        return ApplyContext(self.session, items, "qbo", self.run_id, self.user_id, self.restock_returns)

    def _apply(self, doc: SalesDocument, sale_id: int | None, items: dict[str, ItemLink], progress: Progress) -> None:
        begin_write(self.session)
        try:
            sale = self.session.get(Sale, sale_id) if sale_id is not None else None
            outcome = apply_document(self._context(items), doc, sale, looked_up=True)
            resolve(self.session, str(doc.type), doc.id)
            progress.count(outcome)
            self._finish_document(progress)
        except DocumentRejected as exc:
            self.session.rollback()
            self._fail(doc, exc.code, exc.message, exc.item_id, exc.item_name, progress)
        except (lock.LockLost, TimeLimitReached):
            self.session.rollback()
            raise
        except Exception:  # one document's bug must not stop the others
            self.session.rollback()
            log.exception("applying %s %s failed", doc.type, doc.id)
            self._fail(doc, "internal", "Partsemble could not apply this document because of an internal error (logged). It will be retried.", progress=progress)

    def _remove(self, deletion: Deletion, existing_id: int | None, progress: Progress) -> None:
        begin_write(self.session)
        sale = self.session.get(Sale, existing_id) if existing_id is not None else None
        outcome = Outcome.SKIPPED
        if sale is not None:
            outcome = apply_removal(self._context({}), sale, "deleted")
        resolve(self.session, str(deletion.type), deletion.id)
        progress.count(outcome)
        self._finish_document(progress)

    def _fail(self, record: SalesDocument | DocumentProblem, code: str, message: str, item_id: str = "", item_name: str = "", progress: Progress | None = None) -> None:
        assert progress is not None
        begin_write(self.session)
        record_failure(self.session, self.run_id, record, code, message, item_id, item_name)
        progress.errors += 1
        progress.processed += 1
        self._finish_document(progress)

    def _finish_document(self, progress: Progress) -> None:
        """Counters and heartbeat join the document's transaction, then it commits."""
        now = self.clock()
        run = self.session.get(SyncRun, self.run_id)
        assert run is not None
        progress.write(run, now)
        if time.monotonic() - progress.last_beat >= self.beat_every.total_seconds():
            lock.heartbeat(self.session, self.run_id, now)
            progress.last_beat = time.monotonic()
        self.session.commit()

    def _maybe_beat(self, progress: Progress) -> None:
        if time.monotonic() - progress.last_beat >= self.beat_every.total_seconds():
            self._beat(progress)

    def _beat(self, progress: Progress) -> None:
        begin_write(self.session)
        self._finish_document_forced(progress)

    def _finish_document_forced(self, progress: Progress) -> None:
        now = self.clock()
        run = self.session.get(SyncRun, self.run_id)
        assert run is not None
        progress.write(run, now)
        lock.heartbeat(self.session, self.run_id, now)
        progress.last_beat = time.monotonic()
        self.session.commit()
