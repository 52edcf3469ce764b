"""Applying a run's staged documents in batches, every document all or nothing.

A batch of documents shares one transaction and one lot book, and its rows are
written in bulk. A document that cannot be costed is rejected before it writes
anything, so it fails alone. If anything unexpected breaks a batch, the batch
is rolled back and its documents are applied again one per transaction, so the
failure stays with the one document that caused it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from partsemble.connectors.base import SalesSource
from partsemble.costing import ApplyContext, ExistingSale, Outcome, SalesWriter, apply, apply_removal, costs_final_through
from partsemble.costing.order import CarriedOrder
from partsemble.domain.documents import Deletion, DocumentProblem, DocumentStatus, SalesDocument
from partsemble.domain.sale_plan import DocumentRejected, ItemLink, item_ids
from partsemble.models.engine import begin_write, first_analyze_after, refresh_statistics
from partsemble.models.sales import CHANNEL_NAMES, Sale
from partsemble.models.sync import SyncRun
from partsemble.sync import lock
from partsemble.sync.inbox import Inbox
from partsemble.sync.items import fetch_unknown_items, item_links
from partsemble.sync.lookup import sales_by_key
from partsemble.sync.problems import Failures, open_keys, resolve

log = logging.getLogger(__name__)
BATCH = 1000
# A run that has applied this many documents, and grown the sales by a tenth, refreshes the
# planner's statistics (PostgreSQL).
ANALYZE_FIRST = 1000

Record = SalesDocument | DocumentProblem | Deletion


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
    recosted: int = 0  # sales re-costed because this run brought facts dated before them
    last_beat: int = field(default_factory=time.monotonic_ns)  # a clock reading, nanoseconds

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)
        self.processed += 1

    def since(self, before: Progress) -> Progress:
        """What was counted after `before` was copied (one channel's share of a run)."""
        names = ("created", "updated", "voided", "skipped", "errors", "processed", "recosted")
        return Progress(*(getattr(self, n) - getattr(before, n) for n in names), self.last_beat)

    def copy(self) -> Progress:
        return Progress(self.created, self.updated, self.voided, self.skipped, self.errors, self.processed, self.recosted, self.last_beat)

    def write(self, run: SyncRun, now: datetime) -> None:
        run.created, run.updated, run.voided, run.skipped = self.created, self.updated, self.voided, self.skipped
        run.errors, run.processed, run.recosted, run.heartbeat_at = self.errors, self.processed, self.recosted, now


class _Unexpected(Exception):
    def __init__(self, record: Record) -> None:
        self.record = record


@dataclass
class Processor:
    session: Session
    source: SalesSource
    run_id: int
    user_id: int | None
    restock_returns: bool
    clock: Callable[[], datetime]
    deadline: int | None  # a time.monotonic_ns() reading
    channel: str = "qbo"  # the source's channel: whose sales, items and failures these are
    batch_size: int = BATCH
    items: dict[str, ItemLink] = field(default_factory=dict)
    open_problems: set[tuple[str, str]] = field(default_factory=set)
    carried: CarriedOrder = field(default_factory=CarriedOrder)
    # Items the source could not give us in this run (id -> why): asked once per run.
    unreadable_items: dict[str, str] = field(default_factory=dict)

    def run(self, inbox: Inbox, progress: Progress) -> None:
        """Apply every staged record in order.

        Raises:
            TimeLimitReached, LockLost, ConnectorError: the run stops; finished batches stay.
        """
        self.items = item_links(self.session, self.channel)
        self.open_problems = open_keys(self.session, self.channel)
        analyse_at = first_analyze_after(self.session, ANALYZE_FIRST)
        for chunk in inbox.ordered(self.batch_size):
            if self.deadline is not None and time.monotonic_ns() > self.deadline:
                raise TimeLimitReached()
            self._learn_items(chunk)
            before = progress.copy()
            try:
                self._batch(chunk, progress)
            except _Unexpected:
                self.session.rollback()
                self.carried.drop()
                self._restore(progress, before)
                for record in chunk:  # one transaction each: the failure stays with its document
                    try:
                        self._batch([record], progress)
                    except _Unexpected as exc:
                        self.session.rollback()
                        self.carried.drop()
                        log.exception("applying %s %s failed", exc.record.type, exc.record.id)
                        self._fail_alone(exc.record, progress)
            if analyse_at is not None and progress.processed >= analyse_at:  # then after twice as many, and so on
                refresh_statistics(self.session)
                analyse_at *= 2

    @staticmethod
    def _restore(progress: Progress, before: Progress) -> None:
        for name in ("created", "updated", "voided", "skipped", "errors", "processed", "recosted"):
            setattr(progress, name, getattr(before, name))

    def _learn_items(self, chunk: list[Record]) -> None:
        """Items the local list does not know are read from the source first (own commit)."""
        unknown = sorted(
            {i for r in chunk if isinstance(r, SalesDocument) for i in item_ids(r)} - self.items.keys() - self.unreadable_items.keys()
        )
        if unknown:
            self.session.rollback()
            self.unreadable_items.update(fetch_unknown_items(self.session, self.source, unknown, self.channel))
            self.items = item_links(self.session, self.channel)

    def _waiting_on_item(self, doc: SalesDocument) -> tuple[str, str, str] | None:
        """(message, item id, item name) when the document needs an item the source could not give."""
        if doc.status is not DocumentStatus.ACTIVE:
            return None  # a void needs no item: it only undoes what was applied
        for line in doc.lines:
            if line.item_id is not None and line.item_id in self.unreadable_items:
                name = line.item_name or line.item_id
                return (
                    f"Item '{name}' (Id {line.item_id}) could not be read ({self.unreadable_items[line.item_id]}). "
                    "Nothing of this document was applied; it is retried on the next sync. If this keeps happening, "
                    f"check that the item opens in {CHANNEL_NAMES[self.channel]}.",
                    line.item_id,
                    line.item_name,
                )
        return None

    def _known_sales(self, chunk: list[Record]) -> dict[tuple[str, str], ExistingSale]:
        """One indexed lookup for a whole chunk."""
        keys = [(str(r.type), r.id) for r in chunk]
        rows = sales_by_key(self.session, keys, Sale.id, Sale.version, Sale.status, Sale.txn_date, source=self.channel)
        return {key: ExistingSale(*values) for key, values in rows.items()}

    def _batch(self, chunk: list[Record], progress: Progress) -> None:
        begin_write(self.session)
        known = self._known_sales(chunk)
        writer = SalesWriter(self.session)
        if (order := self.carried.take(self.session)) is not None:
            writer.book.order = order
        # One query reads (and locks) the lots of every product this batch sells.
        writer.book.load(
            link.product_id
            for r in chunk
            if isinstance(r, SalesDocument)
            for i in item_ids(r)
            if (link := self.items.get(i)) is not None and link.product_id is not None and link.product_type == "finished_good"
        )
        closed = costs_final_through(self.session)
        ctx = ApplyContext(self.session, self.items, self.channel, self.run_id, self.user_id, self.restock_returns, writer, closed)
        resolved: list[tuple[str, str]] = []
        failures = Failures(self.run_id, self.open_problems, self.items, self.channel)
        wrote = False
        for record in chunk:
            key = (str(record.type), record.id)
            existing = known.get(key)
            try:
                if isinstance(record, SalesDocument):
                    if existing is not None and existing.version == record.version and existing.status != "deleted":
                        progress.count(Outcome.SKIPPED)  # the common case of a re-sync: nothing to write
                        continue
                    if (waiting := self._waiting_on_item(record)) is not None:
                        failures.add(record, "item_unreadable", *waiting)
                        progress.errors += 1
                        progress.processed += 1
                        wrote = True
                        continue
                    try:
                        outcome = apply(ctx, record, existing).outcome
                    except DocumentRejected as exc:
                        failures.add(record, exc.code, exc.message, exc.item_id, exc.item_name)
                        progress.errors += 1
                        progress.processed += 1
                        wrote = True
                        continue
                elif isinstance(record, Deletion):
                    if existing is not None and closed is not None and existing.status == "active" and existing.txn_date <= closed:
                        message = (
                            f"{record.type} {record.id} was deleted upstream but is dated {existing.txn_date.isoformat()}, in the "
                            f"closed period ending {closed.isoformat()}. Move the date in Settings → Costs to let it in."
                        )
                        failures.add(DocumentProblem(record.type, record.id, "", "", existing.txn_date, message), "closed_period", message)
                        progress.errors += 1
                        progress.processed += 1
                        wrote = True
                        continue
                    outcome = apply_removal(ctx, existing, "deleted") if existing is not None else Outcome.SKIPPED
                else:
                    failures.add(record, "malformed", record.message)
                    progress.errors += 1
                    progress.processed += 1
                    wrote = True
                    continue
            except (lock.LockLost, TimeLimitReached):
                raise
            except Exception as exc:
                raise _Unexpected(record) from exc
            progress.count(outcome)
            if key in self.open_problems:
                resolved.append(key)
            wrote = wrote or outcome is not Outcome.SKIPPED
        try:
            recosted = writer.finish(self.user_id, self.run_id)
            self.carried.keep(self.session, writer.book.order)
            progress.recosted += len(recosted)
            wrote = wrote or bool(recosted)
            failures.flush(self.session)
            if resolved:
                resolve(self.session, resolved, self.channel)
            self._write_progress(progress, force=wrote or bool(resolved))
        except (lock.LockLost, TimeLimitReached):
            raise
        except Exception as exc:
            raise _Unexpected(chunk[-1]) from exc

    def _write_progress(self, progress: Progress, force: bool) -> None:
        now = self.clock()
        beat_due = time.monotonic_ns() - progress.last_beat >= 2_000_000_000
        if not force and not beat_due:
            self.session.commit()
            return
        run = self.session.get(SyncRun, self.run_id)
        assert run is not None
        progress.write(run, now)
        lock.heartbeat(self.session, self.run_id, now)
        progress.last_beat = time.monotonic_ns()
        self.session.commit()

    def _fail_alone(self, record: Record, progress: Progress) -> None:
        if not isinstance(record, (SalesDocument, DocumentProblem)):
            progress.processed += 1
            return
        begin_write(self.session)
        failures = Failures(self.run_id, self.open_problems, self.items, self.channel)
        failures.add(
            record, "internal", "Partsemble could not apply this document because of an internal error (logged). It will be retried."
        )
        failures.flush(self.session)
        progress.errors += 1
        progress.processed += 1
        self._write_progress(progress, force=True)
