"""Preview: what Sync Now would do, computed by applying everything and rolling it all back.

The documents are applied in order inside one transaction, each in a
savepoint, so later documents see the lots earlier ones would take; at the end
the whole transaction is rolled back. Nothing is committed, not even the run.

Bounded, because anyone with the member role can start one: one preview at a time per
installation (preview_lock), at most LIMIT documents (change pages stop once it is reached,
and at most MAX_CHANGE_PAGES of them), at most MAX_ITEM_LOOKUPS items read one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from partsemble.connectors.base import SalesSource
from partsemble.connectors.errors import NotFound
from partsemble.costing.apply import ApplyContext, Outcome, apply_document, apply_removal, find_sale
from partsemble.domain.documents import SYNCED_DOCUMENT_TYPES, Deletion, DocumentProblem, DocumentType, SalesDocument
from partsemble.domain.sale_plan import DocumentRejected, ItemLink, item_ids
from partsemble.models.base import utcnow
from partsemble.models.engine import begin_write
from partsemble.models.inventory import Lot
from partsemble.models.sales import Sale
from partsemble.models.sync import FailedDocument
from partsemble.sync import lock
from partsemble.sync.fetch import CDC_REACH, backfill_window, deletions_wanted
from partsemble.sync.items import item_links
from partsemble.sync.preview_lock import one_preview
from partsemble.sync.service import SyncSettings, connection_for_sync

LIMIT = 1000
MAX_CHANGE_PAGES = 5
MAX_ITEM_LOOKUPS = 50


@dataclass(frozen=True)
class PreviewDraw:
    lot_number: str
    quantity: Decimal
    unit_cost: Decimal


@dataclass(frozen=True)
class PreviewLine:
    item: str
    kind: str
    quantity: Decimal
    draws: list[PreviewDraw]
    shortage: Decimal
    shortage_cost: Decimal
    revenue: Decimal
    cost: Decimal


@dataclass(frozen=True)
class PreviewRow:
    doc_type: str
    number: str
    customer: str
    txn_date: date | None
    action: str  # create, update, void, delete, skip, fail
    revenue: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    lines: list[PreviewLine] = field(default_factory=list)
    error: str = ""
    shortage: bool = False
    channel: str = "qbo"  # the channel whose document it is

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost


@dataclass(frozen=True)
class Preview:
    rows: list[PreviewRow]  # every channel's, in the order the sync reads them
    not_shown: int
    # True when the preview stopped reading changes at its bound: more may wait than not_shown says.
    incomplete: bool = False

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def several_channels(self) -> bool:
        return len({row.channel for row in self.rows}) > 1


def preview_sync(session: Session, source: SalesSource, clock: Callable[[], datetime] = utcnow, channel: str = "qbo") -> Preview:
    """What the next sync of one channel would do, without changing anything; see preview_channels."""
    return preview_channels(session, {channel: source}, clock)


def preview_channels(session: Session, sources: Mapping[str, SalesSource], clock: Callable[[], datetime] = utcnow) -> Preview:
    """What the next sync would do, channel after channel as the sync reads them (each bounded by
    LIMIT), without changing anything.

    Raises:
        SyncNotReady, SyncBusy, PreviewBusy, ConnectorError: nothing to preview, a sync or another
            preview is running, or a source failed.
    """
    with one_preview(session, clock()):
        return _preview(session, sources, clock)


def _preview(session: Session, sources: Mapping[str, SalesSource], clock: Callable[[], datetime]) -> Preview:
    holder = lock.current_holder(session)
    if holder is not None:
        raise lock.SyncBusy(holder)
    plans = []
    not_shown, incomplete = 0, False
    for channel, source in sources.items():
        connection = connection_for_sync(session, channel)
        since, not_before, restock = connection.synced_through, connection.initial_sync_date, connection.restock_credit_memos
        assert not_before is not None
        window = backfill_window(connection.synced_from, not_before)
        records, extra, cut = _collect(session, source, since, not_before, window, clock, channel)
        items = item_links(session, channel)
        _look_up_items(source, records.values(), items)
        ordered = sorted(records.values(), key=lambda r: (_day(session, r, channel), _created(r), str(r.type), r.id))
        plans.append((channel, ordered, items, restock))
        not_shown, incomplete = not_shown + extra, incomplete or cut
        session.rollback()
    rows: list[PreviewRow] = []
    begin_write(session)  # one transaction for every channel: a later channel sees the lots an earlier one would take
    try:
        for channel, ordered, items, restock in plans:
            for record in ordered:
                rows.append(replace(_simulate(session, record, items, restock, channel), channel=channel))
    finally:
        session.rollback()
    return Preview(rows, not_shown, incomplete)


def _look_up_items(source: SalesSource, records: Iterable[SalesDocument | DocumentProblem | Deletion], items: dict[str, ItemLink]) -> None:
    """Read the items the documents use that are not known yet, at most MAX_ITEM_LOOKUPS of them;
    the rest stay unknown to the preview (the sync reads them all)."""
    wanted: set[str] = set()
    for record in records:
        if isinstance(record, SalesDocument):
            wanted |= item_ids(record) - items.keys()
    for item_id in sorted(wanted)[:MAX_ITEM_LOOKUPS]:
        try:
            found = source.get_item(item_id)
        except NotFound:
            continue
        items[item_id] = ItemLink(found.id, found.name, found.type)


def _collect(
    session: Session,
    source: SalesSource,
    since: datetime | None,
    not_before: date,  # type: ignore[no-untyped-def]
    window: tuple[date, date] | None,
    clock: Callable[[], datetime],
    channel: str,
):
    records: dict[tuple[str, str], SalesDocument | DocumentProblem | Deletion] = {}
    extra = 0
    incomplete = False
    records_clock: datetime | None = None
    for number, page in enumerate(source.changed_documents(since, not_before), start=1):
        records_clock = records_clock or page.server_time
        for record in page.documents:
            key = (str(record.type), record.id)
            if key in records or len(records) < LIMIT:
                records[key] = record
            else:
                extra += 1
        if len(records) >= LIMIT or number >= MAX_CHANGE_PAGES:
            incomplete = True  # the next page, if any, is left unread
            break
    if window is not None and since is not None:  # as the sync does: the initial sync date moved earlier
        for doc_type in SYNCED_DOCUMENT_TYPES:
            ids = sorted(set(source.document_ids(doc_type, *window)) - {i for t, i in records if t == str(doc_type)})
            room = max(LIMIT - len(records), 0)
            extra += len(ids[room:])
            if ids[:room]:
                for record in source.get_documents(doc_type, ids[:room]):
                    records[(str(record.type), record.id)] = record
    # As the sync does: after a first sync that stopped part way too (the preview shows what CDC reaches).
    wanted, deleted_since = deletions_wanted(session, since, None, SyncSettings().overlap, channel)
    if wanted and deleted_since is not None and (records_clock or clock()) - deleted_since <= CDC_REACH:
        for deletion in source.deletions(deleted_since):
            records.setdefault((str(deletion.type), deletion.id), deletion)
    failed: dict[str, list[str]] = {}
    failed_query = select(FailedDocument.external_type, FailedDocument.external_id).where(FailedDocument.source == channel)
    for doc_type, doc_id in session.execute(failed_query).tuples():
        if doc_id and (doc_type, doc_id) not in records:  # without an Id it cannot be read by Id
            failed.setdefault(doc_type, []).append(doc_id)
    for doc_type, ids in failed.items():
        room = max(LIMIT - len(records), 0)
        extra += len(ids[room:])
        if ids[:room]:
            for record in source.get_documents(DocumentType(doc_type), ids[:room]):
                records[(str(record.type), record.id)] = record
    session.rollback()
    return records, extra, incomplete


def _day(session: Session, record: SalesDocument | DocumentProblem | Deletion, channel: str) -> date:
    if isinstance(record, Deletion):
        sale = find_sale(session, channel, str(record.type), record.id)
        return sale.txn_date if sale is not None else date.min
    return record.txn_date or date.min


def _created(record: SalesDocument | DocumentProblem | Deletion) -> str:
    stamp = record.created_at if isinstance(record, SalesDocument) else None
    return stamp.isoformat() if stamp else ""


def _simulate(session: Session, record, items: dict[str, ItemLink], restock: bool, channel: str) -> PreviewRow:  # type: ignore[no-untyped-def]
    if isinstance(record, DocumentProblem):
        return PreviewRow(str(record.type), record.number, record.customer_name, record.txn_date, "fail", error=record.message)
    ctx = ApplyContext(session, items, channel, None, None, restock)
    existing = find_sale(session, channel, str(record.type), record.id)
    if isinstance(record, Deletion):
        if existing is None or existing.status != "active":
            return PreviewRow(str(record.type), record.id, "", None, "skip")
        before = _row(existing, "delete")
        with session.begin_nested():
            apply_removal(ctx, existing, "deleted")
        return before
    was_active = existing is not None and existing.status == "active"
    before = _row(existing, "void") if was_active else None
    savepoint = session.begin_nested()
    try:
        outcome = apply_document(ctx, record)
    except DocumentRejected as exc:
        savepoint.rollback()
        return PreviewRow(str(record.type), record.number, record.customer.name, record.txn_date, "fail", error=exc.message)
    savepoint.commit()
    if outcome is Outcome.SKIPPED:
        return PreviewRow(str(record.type), record.number, record.customer.name, record.txn_date, "skip")
    if outcome is Outcome.VOIDED:
        return before or PreviewRow(str(record.type), record.number, record.customer.name, record.txn_date, "void")
    sale = find_sale(session, channel, str(record.type), record.id)
    assert sale is not None
    return _row(sale, "create" if outcome is Outcome.CREATED else "update")


def _row(sale: Sale, action: str) -> PreviewRow:
    session = Session.object_session(sale)
    assert session is not None
    session.refresh(sale, ["lines"])
    lines = []
    for line in sale.lines:
        draws = [PreviewDraw(session.get(Lot, c.lot_id).lot_number, c.quantity, c.unit_cost) for c in line.consumptions]  # type: ignore[union-attr]
        lines.append(
            PreviewLine(
                line.item_name or line.description[:40],
                line.kind,
                line.quantity,
                draws,
                line.shortage_quantity,
                line.shortage_cost,
                line.revenue,
                line.cost,
            )
        )
    return PreviewRow(
        sale.external_type,
        sale.doc_number,
        sale.customer_name,
        sale.txn_date,
        action,
        sale.revenue,
        sale.cost,
        lines,
        shortage=sale.shortage,
    )
