"""Reading what changed upstream into a run's inbox: changes, deletions, earlier failures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from partsemble.connectors.base import SalesSource
from partsemble.connectors.errors import WindowTooLarge
from partsemble.domain.documents import SYNCED_DOCUMENT_TYPES, Deletion, DocumentType
from partsemble.models.sales import Sale
from partsemble.models.sync import FailedDocument, SyncRunChannel
from partsemble.models.transactions import write_transaction
from partsemble.sync.inbox import Inbox
from partsemble.sync.lookup import sales_by_key
from partsemble.sync.problems import open_keys, resolve

# CDC looks back 30 days at most; keep a day of margin for clocks and time zones.
CDC_REACH = timedelta(days=29)
BACKFILL_CHUNK = 500  # documents read by Id per staged batch (the QBO client asks 100 a query)


def stage_changes(
    session: Session, source: SalesSource, inbox: Inbox, since: datetime | None, not_before: date, on_page: Callable[[], None]
) -> datetime | None:
    """Stage every document changed since `since`; returns the source's clock at the first answer."""
    first_answer: datetime | None = None
    for page in source.changed_documents(since, not_before):
        if first_answer is None:
            first_answer = page.server_time
        with write_transaction(session):
            inbox.add_changed(page.documents)
            on_page()
    return first_answer


def backfill_window(synced_from: date | None, not_before: date) -> tuple[date, date] | None:
    """The days [start, end] a sync must read in full because the initial sync date was moved
    earlier than the day everything has been read from; None when there is nothing to backfill."""
    if synced_from is None or not_before >= synced_from:
        return None
    return not_before, synced_from - timedelta(days=1)


def stage_backfill(session: Session, source: SalesSource, inbox: Inbox, window: tuple[date, date], on_page: Callable[[], None]) -> int:
    """Stage every document dated within the window, changed or not: they were never read, since
    they were older than the initial sync date. Versions already applied are left out."""
    staged = 0
    for doc_type in SYNCED_DOCUMENT_TYPES:
        ids = sorted(source.document_ids(doc_type, *window))
        for start in range(0, len(ids), BACKFILL_CHUNK):
            found = source.get_documents(doc_type, ids[start : start + BACKFILL_CHUNK])
            with write_transaction(session):
                staged += inbox.add_changed(found)
                on_page()
    return staged


def unkeyed_failures(session: Session, channel: str = "qbo") -> list[tuple[str, str]]:
    """A channel's open failures of documents whose Id could not be read: no read by Id can retry them."""
    return [key for key in open_keys(session, channel) if key[1] == ""]


def close_unkeyed_failures(session: Session, inbox: Inbox) -> int:
    """After a full re-read of the changes they came in, close the failures without an Id that it
    did not meet again: their document now reads (and was staged under its Id) or is gone."""
    gone = [key for key in unkeyed_failures(session, inbox.channel) if key not in inbox]
    if gone:
        with write_transaction(session):
            resolve(session, gone, inbox.channel)
    return len(gone)


def deletions_wanted(
    session: Session, since: datetime | None, run_id: int | None, overlap: timedelta, channel: str = "qbo"
) -> tuple[bool, datetime | None]:
    """Whether this run must look for documents of a channel deleted upstream, and since when (None:
    only an Id comparison reaches far enough back)."""
    if since is not None:
        return True, since
    # No sync of the channel has succeeded yet, but one that stopped part way (the web time limit) may
    # have applied documents that were deleted upstream since. Whatever it applied, it read after the
    # source's clock at its first answer (window_end): the earliest such run bounds every deletion we missed.
    others = select(func.min(SyncRunChannel.window_end)).where(SyncRunChannel.source == channel)
    earliest = session.scalar(others if run_id is None else others.where(SyncRunChannel.run_id != run_id))
    if earliest is not None:
        return True, earliest - overlap
    # Sales without a recorded run (or a dead run's failures): nothing bounds them, so compare Ids.
    holds = session.scalar(select(exists().where(Sale.source == channel, Sale.status == "active")))
    return bool(holds) or bool(open_keys(session, channel)), None


def stage_deletions(session: Session, source: SalesSource, inbox: Inbox, since: datetime | None, now: datetime, not_before: date) -> int:
    """Stage documents deleted upstream since `since`: CDC within its reach, else (or when `since`
    is None) an Id comparison of the active local documents with those upstream."""
    deletions: list[Deletion] | None = None
    if since is not None and now - since <= CDC_REACH:
        try:
            deletions = source.deletions(since)
        except WindowTooLarge:
            deletions = None
    if deletions is None:
        deletions = _compare_ids(session, source, not_before, inbox.channel)
    keys = [(str(d.type), d.id) for d in deletions if (str(d.type), d.id) not in inbox]
    dates = _local_dates(session, keys, inbox.channel)
    # Only what we hold (or failed on) needs undoing; the rest never reached us.
    failed = open_keys(session, inbox.channel)
    relevant = [d for d in deletions if (str(d.type), d.id) in dates or (str(d.type), d.id) in failed]
    with write_transaction(session):
        added = inbox.add([d for d in relevant if (str(d.type), d.id) not in inbox], deletion_dates=dates)
    return added


def _compare_ids(session: Session, source: SalesSource, not_before: date, channel: str) -> list[Deletion]:
    """A channel's local active documents that its source no longer has, type by type."""
    found: list[Deletion] = []
    for doc_type in SYNCED_DOCUMENT_TYPES:
        local = dict(
            session.execute(
                select(Sale.external_id, Sale.txn_date).where(
                    Sale.source == channel, Sale.external_type == str(doc_type), Sale.status == "active", Sale.txn_date >= not_before
                )
            )
            .tuples()
            .all()
        )
        if not local:
            continue
        upstream = source.document_ids(doc_type, min(local.values()), max(local.values()))
        found.extend(Deletion(doc_type, doc_id) for doc_id in sorted(set(local) - upstream))
    return found


def _local_dates(session: Session, keys: list[tuple[str, str]], channel: str) -> dict[tuple[str, str], date]:
    return {key: values[0] for key, values in sales_by_key(session, keys, Sale.txn_date, source=channel).items()}


def stage_failures(session: Session, source: SalesSource, inbox: Inbox, item_ids: Sequence[str] | None = None) -> int:
    """Re-read every open failed document of the inbox's channel by id (even if it never changed
    upstream); with `item_ids`, only those waiting on one of these items."""
    query = select(FailedDocument.external_type, FailedDocument.external_id, FailedDocument.txn_date).where(
        FailedDocument.source == inbox.channel
    )
    if item_ids is not None:
        query = query.where(FailedDocument.item_external_id.in_(item_ids))
    wanted: dict[str, list[str]] = defaultdict(list)
    dates: dict[tuple[str, str], date] = {}
    for doc_type, doc_id, day in session.execute(query).tuples():
        # Without an Id a document cannot be read by Id, and "not found" would close it unfixed: it is
        # retried by reading again the changes it came in (the mark waits for it, see run_sync).
        if doc_id and (doc_type, doc_id) not in inbox:
            wanted[doc_type].append(doc_id)
            if day is not None:
                dates[(doc_type, doc_id)] = day
    staged = 0
    for doc_type, ids in wanted.items():
        kind = DocumentType(doc_type)
        found = source.get_documents(kind, ids)
        present = {record.id for record in found}
        gone = [Deletion(kind, doc_id) for doc_id in ids if doc_id not in present]
        with write_transaction(session):
            staged += inbox.add(found) + inbox.add(gone, deletion_dates=dates)
    return staged
