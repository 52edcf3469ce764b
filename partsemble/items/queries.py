"""Reading the Accounting items page: the filtered list, how many items each filter holds, documents waiting on items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from partsemble.models.catalog import ITEM_TYPES, AccountingItem, Product
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


def items_query(kind: str, q: str, item_type: str) -> Select[tuple[AccountingItem]]:
    query = select(AccountingItem).where(AccountingItem.source == "qbo")
    if kind == "blocking":
        query = query.where(blocks_a_document())
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
    return query.order_by(AccountingItem.active.desc(), AccountingItem.name)


@dataclass(frozen=True)
class ItemList:
    page: Page[Any]
    waiting: dict[str, int]  # item Id -> documents that failed on it
    counts: dict[str, int]  # filter -> items it holds (unsearched)


def item_list(session: AnySession, kind: str, q: str, item_type: str, page: int) -> ItemList:
    """A page of the items `kind` selects (searched by `q`, of `item_type`), with the documents waiting on
    each item and every filter's count."""
    found = paginate(session, items_query(kind, q, item_type), page, 100)
    waiting = dict(
        session.execute(
            select(FailedDocument.item_external_id, func.count(FailedDocument.id))
            .where(FailedDocument.item_external_id != "")
            .group_by(FailedDocument.item_external_id)
        )
        .tuples()
        .all()
    )
    counts = {key: session.scalar(select(func.count()).select_from(items_query(key, "", "").subquery())) or 0 for key in FILTERS}
    return ItemList(found, waiting, counts)


def waiting_documents(session: AnySession, external_id: str) -> list[FailedDocument]:
    """The failed documents that wait on this item, oldest first."""
    return list(
        session.scalars(select(FailedDocument).where(FailedDocument.item_external_id == external_id).order_by(FailedDocument.txn_date))
    )


def get_product(session: AnySession, product_id: int) -> Product | None:
    return session.get(Product, product_id)
