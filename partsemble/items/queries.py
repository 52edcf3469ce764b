"""Reading the Accounting items page: the filtered list of every channel's items, how many items each
filter holds, documents waiting on items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import selectinload

from partsemble.connections.providers import PROVIDERS, connection_of
from partsemble.models.catalog import ITEM_SOURCES, ITEM_TYPES, AccountingItem, Product
from partsemble.models.sync import FailedDocument
from partsemble.models.transactions import AnySession
from partsemble.pagination import Page, paginate
from partsemble.sync.problems import blocks_a_document

FILTERS = {
    "all": "All",
    "blocking": "Blocking sales",
    "unlinked": "Unlinked",
    "linked": "Linked",
    "not_tracked": "Not tracked",
}

# A failed document names its item by Id within its own channel.
_WAITS_ON_ITEM = and_(FailedDocument.source == AccountingItem.source, FailedDocument.item_external_id == AccountingItem.external_id)


def items_query(kind: str, q: str, item_type: str, channel: str = "") -> Select[tuple[AccountingItem]]:
    """The items `kind` selects, of one channel (qbo, xero) or of every channel (anything else)."""
    query = select(AccountingItem).where(AccountingItem.source.in_(ITEM_SOURCES))
    if channel in ITEM_SOURCES:
        query = query.where(AccountingItem.source == channel)
    if kind == "blocking":
        query = query.where(blocks_a_document(), exists().where(_WAITS_ON_ITEM))
    elif kind == "unlinked":
        query = query.where(AccountingItem.product_id.is_(None), AccountingItem.not_tracked.is_(False))
    elif kind == "linked":
        query = query.where(AccountingItem.product_id.is_not(None))
    elif kind == "not_tracked":
        query = query.where(AccountingItem.not_tracked.is_(True))
    if q:
        query = query.where(AccountingItem.name.ilike(f"%{q}%") | AccountingItem.sku.ilike(f"%{q}%"))
    if item_type in ITEM_TYPES:
        query = query.where(AccountingItem.item_type == item_type)
    return query.order_by(AccountingItem.active.desc(), AccountingItem.name, AccountingItem.source, AccountingItem.id)


@dataclass(frozen=True)
class ItemList:
    page: Page[Any]
    waiting: dict[tuple[str, str], int]  # (source, item Id) -> documents that failed on it
    counts: dict[str, int]  # filter -> items it holds in the chosen channel (unsearched)


def item_list(session: AnySession, kind: str, q: str, item_type: str, page: int, channel: str = "") -> ItemList:
    """A page of the items `kind` selects (searched by `q`, of `item_type`, of `channel` or every channel),
    with the documents waiting on each item and every filter's count."""
    found = paginate(session, items_query(kind, q, item_type, channel).options(selectinload(AccountingItem.product)), page, 100)
    rows = session.execute(
        select(FailedDocument.source, FailedDocument.item_external_id, func.count(FailedDocument.id))
        .where(FailedDocument.item_external_id != "")
        .group_by(FailedDocument.source, FailedDocument.item_external_id)
    ).all()
    waiting = {(source, item_id): count for source, item_id, count in rows}
    counts = {key: session.scalar(select(func.count()).select_from(items_query(key, "", "", channel).subquery())) or 0 for key in FILTERS}
    return ItemList(found, waiting, counts)


def waiting_documents(session: AnySession, item: AccountingItem) -> list[FailedDocument]:
    """The failed documents of the item's channel that wait on it, oldest first."""
    return list(
        session.scalars(
            select(FailedDocument)
            .where(FailedDocument.source == item.source, FailedDocument.item_external_id == item.external_id)
            .order_by(FailedDocument.txn_date)
        )
    )


def get_product(session: AnySession, product_id: int) -> Product | None:
    return session.get(Product, product_id)


def channels_to_refresh(session: AnySession) -> list[str]:
    """The channels whose item list Refresh reads: each connected, active one, in the order of the
    providers (QuickBooks first); QuickBooks alone when none is, for its words on what to connect."""
    channels = []
    for provider in PROVIDERS.values():
        connection = connection_of(session, provider)
        if connection is not None and connection.status != "disconnected" and connection.active:
            channels.append(provider.key)
    return channels or ["qbo"]
