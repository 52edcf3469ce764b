"""The local copy of the accounting system's item list."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from partsemble.connectors.base import SalesSource
from partsemble.connectors.errors import AuthError, BadRequest, ConnectorError, NotFound, RateLimited
from partsemble.domain.documents import ItemRecord
from partsemble.domain.sale_plan import ItemLink
from partsemble.models.base import utcnow
from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.sales import CHANNEL_NAMES
from partsemble.models.transactions import write_transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshResult:
    added: int
    changed: int
    total: int


def _upsert(session: Session, record: ItemRecord, existing: AccountingItem | None, channel: str) -> bool:
    """Write one item of a channel; True when something changed."""
    values = dict(name=record.name[:255], sku=(record.sku or None) and record.sku[:100], item_type=record.type[:32], active=record.active)
    if existing is None:
        session.add(AccountingItem(source=channel, external_id=record.id, refreshed_at=utcnow(), **values))
        return True
    changed = any(getattr(existing, k) != v for k, v in values.items())
    for key, value in values.items():
        setattr(existing, key, value)
    existing.refreshed_at = utcnow()
    return changed


def refresh_items(session: Session, source: SalesSource, channel: str = "qbo") -> RefreshResult:
    """Copy every item (active and inactive) from a channel's source, and commit.

    Links and "not tracked" marks are ours and stay as they are; another channel's items are left alone
    (a Xero ItemID may equal a QuickBooks item Id: they are told apart by their source).
    """
    records = list(source.list_items())  # read fully before taking the write lock
    with write_transaction(session):
        existing = {i.external_id: i for i in session.scalars(select(AccountingItem).where(AccountingItem.source == channel))}
        added = changed = 0
        for record in records:
            before = existing.get(record.id)
            if _upsert(session, record, before, channel):
                if before is None:
                    added += 1
                else:
                    changed += 1
    return RefreshResult(added, changed, len(records))


def fetch_unknown_items(session: Session, source: SalesSource, item_ids: Iterable[str], channel: str = "qbo") -> dict[str, str]:
    """Read items of a channel the local list does not know yet (a sync met them) and store them; commit.

    An item that cannot be read is left out and returned with the reason, in words for the
    documents that need it: only those fail (and are retried on the next sync), the rest go on.

    Raises:
        AuthError: our access was refused; nothing else could be read either.
    """
    wanted = list(item_ids)
    known = set(
        session.scalars(select(AccountingItem.external_id).where(AccountingItem.source == channel, AccountingItem.external_id.in_(wanted)))
    )
    missing = [i for i in wanted if i not in known]
    records = []
    unreadable: dict[str, str] = {}
    for item_id in missing:
        try:
            records.append(source.get_item(item_id))
        except NotFound:
            continue  # gone upstream: the documents that name it fail as "not in the item list"
        except AuthError:
            raise
        except ConnectorError as exc:
            log.warning("reading item %s failed: %s %s (intuit_tid=%s)", item_id, type(exc).__name__, exc.message, exc.tid)
            unreadable[item_id] = _unreadable_reason(exc, CHANNEL_NAMES[channel])
    if records:
        with write_transaction(session):
            for record in records:
                current = session.scalar(
                    select(AccountingItem).where(AccountingItem.source == channel, AccountingItem.external_id == record.id)
                )
                _upsert(session, record, current, channel)
    return unreadable


def _unreadable_reason(exc: ConnectorError, system: str) -> str:
    if isinstance(exc, RateLimited):
        return f"{system} asked us to slow down"
    if isinstance(exc, BadRequest):
        return f"{system} refused the request: {exc.message}"
    return f"{system} did not answer properly: {exc.message}"


def item_links(session: Session, channel: str = "qbo") -> dict[str, ItemLink]:
    """Every item of a channel with what it is linked to, for costing its documents."""
    rows = session.execute(
        select(AccountingItem, Product.type, Product.name)
        .outerjoin(Product, Product.id == AccountingItem.product_id)
        .where(AccountingItem.source == channel)
    ).all()
    return {
        item.external_id: ItemLink(
            item.external_id, item.name, item.item_type, item.product_id, product_type, product_name or "", item.not_tracked
        )
        for item, product_type, product_name in rows
    }
