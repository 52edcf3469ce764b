"""Walking QBO query results page by page: keyset paging on LastUpdatedTime, and plain offset paging.

Both are generators that hold one page at a time, stop on a short page and
refuse a page that repeats the one before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from partsemble.connectors.base import ChangePage, DocumentOrProblem
from partsemble.connectors.errors import MalformedResponse
from partsemble.connectors.qbo import queries
from partsemble.connectors.qbo.fields import FieldProblem, get_moment, get_object
from partsemble.connectors.qbo.http import QboHttp
from partsemble.connectors.qbo.parse import parse_document, parse_server_time
from partsemble.domain.documents import DocumentType

RowKey = tuple[str, str]  # (Id, SyncToken): one version of one document


def rows_of(body: Mapping[str, Any], entity: str) -> list[Any]:
    """The rows of one entity in a query response; an empty result has no entity key at all.

    Raises:
        MalformedResponse: no QueryResponse object, or the rows are not a list.
    """
    response = body.get("QueryResponse")
    if not isinstance(response, Mapping):
        raise MalformedResponse("query response has no QueryResponse object")
    rows = response.get(entity, [])
    if not isinstance(rows, list):
        raise MalformedResponse(f"QueryResponse.{entity} is not a list")
    return rows


def row_key(row: object) -> RowKey:
    """(Id, SyncToken) of a row, with "" for whatever is missing or not text."""
    if not isinstance(row, Mapping):
        return ("", "")
    doc_id, version = row.get("Id"), row.get("SyncToken")
    return (doc_id if isinstance(doc_id, str) else "", version if isinstance(version, str) else "")


def _updated_at(row: object) -> datetime | None:
    # Truncated to the second: the query literal can say no more than that.
    if not isinstance(row, Mapping):
        return None
    try:
        meta = get_object(row, "MetaData", "MetaData")
        moment = get_moment(meta, "LastUpdatedTime", "MetaData.LastUpdatedTime") if meta is not None else None
    except FieldProblem:
        return None
    return moment.replace(microsecond=0) if moment is not None else None


def _refuse_repeat(doc_type: str, keys: frozenset[RowKey], previous: frozenset[RowKey] | None, statement: str) -> None:
    if keys and keys == previous:
        raise MalformedResponse(f"{doc_type} query page repeated the previous page ({statement})")


def changed_pages(http: QboHttp, doc_type: DocumentType, since: datetime | None, not_before: date, page_size: int) -> Iterator[ChangePage]:
    """Every document of one type updated at or after `since`, one ChangePage per HTTP page, each version once.

    Keyset paging: offsets skip rows when a row is updated mid-scan and jumps to the end.
    Only where a full page shares one LastUpdatedTime (QBO gives a bulk import one
    time) is that time stepped through by position; a row of it changed or deleted
    meanwhile moves the rest up a place, so once past it the block is read again.

    Raises:
        MalformedResponse: a page repeats, or a full page gives no LastUpdatedTime to go on from.
        ConnectorError: from the transport.
    """
    bound = since.replace(microsecond=0) if since is not None else None
    position = 1
    seen: set[RowKey] = set()  # rows at the bound, and every row of a block stepped through by position
    stepped: datetime | None = None  # the time of the block being stepped through by position
    previous: frozenset[RowKey] | None = None
    while True:
        statement = queries.changed_since(doc_type, bound, not_before, position, page_size)
        body = http.query(statement)
        rows = rows_of(body, doc_type)
        keys = [row_key(row) for row in rows]
        _refuse_repeat(doc_type, frozenset(keys), previous, statement)
        previous = frozenset(keys)
        yield ChangePage(documents=tuple(_unseen(doc_type, rows, keys, seen)), server_time=parse_server_time(body))
        times = [_updated_at(row) for row in rows]
        last = _last_time(doc_type, times, statement) if len(rows) == page_size else None
        if stepped is not None and last != stepped:
            yield from _reread_block(http, doc_type, stepped, not_before, page_size, seen)
            stepped = None
        if last is None:
            return
        if all(moment == last for moment in times):
            # A full page on one timestamp: `>= last` from the top would return it again, so
            # step through that timestamp by position instead.
            position = position + page_size if bound == last else 1 + page_size
            stepped = last
        else:
            position = 1
        if bound != last:
            keep = {key for key, moment in zip(keys, times) if moment == last and key[0]}
            seen = keep if stepped is None else seen | keep
        bound = last


def _unseen(doc_type: DocumentType, rows: list[Any], keys: list[RowKey], seen: set[RowKey]) -> list[DocumentOrProblem]:
    """The rows not read before, parsed; their keys join `seen`."""
    documents: list[DocumentOrProblem] = []
    for row, key in zip(rows, keys):
        if key[0] and key in seen:
            continue
        if key[0]:
            seen.add(key)
        documents.append(parse_document(doc_type, row))
    return documents


def _last_time(doc_type: DocumentType, times: list[datetime | None], statement: str) -> datetime:
    known = [moment for moment in times if moment is not None]
    if not known:
        raise MalformedResponse(f"{doc_type} query page has no MetaData.LastUpdatedTime to page on ({statement})")
    return max(known)


def _reread_block(
    http: QboHttp, doc_type: DocumentType, moment: datetime, not_before: date, page_size: int, seen: set[RowKey]
) -> Iterator[ChangePage]:
    """The rows still at `moment` that the stepping missed (a row that left the block moved the rest up)."""

    def statement_at(position: int) -> str:
        return queries.changed_at(doc_type, moment, not_before, position, page_size)

    for rows in offset_pages(http, statement_at, str(doc_type), page_size):
        documents = _unseen(doc_type, rows, [row_key(row) for row in rows], seen)
        if documents:
            yield ChangePage(documents=tuple(documents), server_time=None)


def offset_pages(
    http: QboHttp,
    statement_at: Callable[[int], str],
    entity: str,
    page_size: int,
    first_body: Mapping[str, Any] | None = None,
) -> Iterator[list[Any]]:
    """The rows of a query, page by page, by STARTPOSITION; `first_body` is page 1 when already fetched.

    Raises:
        MalformedResponse: a page repeats the previous one.
        ConnectorError: from the transport.
    """
    position = 1
    previous: frozenset[RowKey] | None = None
    while True:
        statement = statement_at(position)
        body = first_body if first_body is not None and position == 1 else http.query(statement)
        rows = rows_of(body, entity)
        keys = frozenset(row_key(row) for row in rows)
        _refuse_repeat(entity, keys, previous, statement)
        previous = keys
        yield rows
        if len(rows) < page_size:
            return
        position += page_size
