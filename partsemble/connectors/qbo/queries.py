"""The QBO query statements we send, in exactly the grammar the API (and our sandbox) accepts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from partsemble.domain.documents import DocumentType

MAX_PAGE_SIZE = 1000  # QBO answers MAXRESULTS above 1000 with a 400


def quote(value: str) -> str:
    """A string literal; QBO escapes quotes and backslashes with a backslash."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def moment_literal(moment: datetime) -> str:
    """An aware datetime as QBO reads it, to the second, keeping its offset.

    Dropping the fraction moves the bound earlier, so `>=` only ever returns more.

    Raises:
        ValueError: a naive datetime, whose meaning QBO would have to guess.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} has no UTC offset")
    return moment.isoformat(timespec="seconds")


def _page(position: int, page_size: int) -> str:
    return f"STARTPOSITION {position} MAXRESULTS {page_size}"


def changed_since(doc_type: DocumentType, since: datetime | None, not_before: date, position: int, page_size: int) -> str:
    """Documents of one type dated on or after `not_before`, updated at or after `since`, oldest update first."""
    conditions = [f"TxnDate >= {quote(not_before.isoformat())}"]
    if since is not None:
        conditions.insert(0, f"MetaData.LastUpdatedTime >= {quote(moment_literal(since))}")
    return f"SELECT * FROM {doc_type} WHERE {' AND '.join(conditions)} ORDERBY MetaData.LastUpdatedTime {_page(position, page_size)}"


def changed_at(doc_type: DocumentType, moment: datetime, not_before: date, position: int, page_size: int) -> str:
    """Documents of one type dated on or after `not_before` last updated exactly at `moment` (to the second)."""
    return (
        f"SELECT * FROM {doc_type} WHERE MetaData.LastUpdatedTime = {quote(moment_literal(moment))} "
        f"AND TxnDate >= {quote(not_before.isoformat())} ORDERBY MetaData.LastUpdatedTime {_page(position, page_size)}"
    )


def ids_dated(doc_type: DocumentType, start: date, end: date, position: int, page_size: int) -> str:
    """Ids of the documents of one type dated within [start, end]."""
    return (
        f"SELECT Id FROM {doc_type} WHERE TxnDate >= {quote(start.isoformat())} "
        f"AND TxnDate <= {quote(end.isoformat())} {_page(position, page_size)}"
    )


def by_ids(doc_type: DocumentType, doc_ids: Sequence[str]) -> str:
    """Documents of one type by id (at most 100 ids, so one page holds them all)."""
    listed = ", ".join(quote(doc_id) for doc_id in doc_ids)
    return f"SELECT * FROM {doc_type} WHERE Id IN ({listed}) {_page(1, MAX_PAGE_SIZE)}"


def all_items(position: int, page_size: int, *, with_sku: bool) -> str:
    """Every item, active or not; `with_sku` names Sku because some API versions omit it from `*`."""
    columns = "*, Sku" if with_sku else "*"
    return f"SELECT {columns} FROM Item WHERE Active IN (true, false) {_page(position, page_size)}"
