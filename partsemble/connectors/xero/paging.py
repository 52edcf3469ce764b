"""Walking a Xero list endpoint page by page: always `page` (without it Xero may leave out line items),
four-decimal unit amounts, a stop on the last page or a short one, and a guard against a repeating page."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from partsemble.connectors.errors import MalformedResponse
from partsemble.connectors.fields import FieldProblem
from partsemble.connectors.xero.dates import to_moment
from partsemble.connectors.xero.http import XeroHttp
from partsemble.connectors.xero.kinds import XeroKind

DEFAULT_PAGE_SIZE = 100  # what Xero gives when pageSize is not sent
MAX_PAGE_SIZE = 1000
OLDEST_CHANGE_FIRST = "UpdatedDateUTC ASC"
# If-Modified-Since names a whole second, and "since" may or may not include it: step back one more.
_HEADER_SLACK = timedelta(seconds=1)

RowKey = tuple[str, str]  # (id, UpdatedDateUTC as sent): one version of one document


def date_literal(day: date) -> str:
    """A day as Xero's where clause reads it."""
    return f"DateTime({day.year},{day.month},{day.day})"


def dated_filter(kind: XeroKind, not_before: date, not_after: date | None = None) -> str:
    """`Type=="ACCREC" AND Date >= DateTime(2026,5,1)`, with an upper bound when given."""
    conditions = [kind.type_filter, f"Date >= {date_literal(not_before)}"]
    if not_after is not None:
        conditions.append(f"Date <= {date_literal(not_after)}")
    return " AND ".join(conditions)


def rows_of(body: Mapping[str, Any], collection: str) -> list[Any]:
    """The records of one answer; an answer to If-Modified-Since with nothing new (304) is empty.

    Raises:
        MalformedResponse: the collection is missing or not a list.
    """
    if not body:
        return []
    rows = body.get(collection)
    if not isinstance(rows, list):
        raise MalformedResponse(f"Xero answer has no {collection} list")
    return rows


def row_id(row: object, id_key: str) -> str:
    """The record's id, "" when missing or not text."""
    value = row.get(id_key) if isinstance(row, Mapping) else None
    return value if isinstance(value, str) else ""


def pages(
    http: XeroHttp,
    kind: XeroKind,
    params: Mapping[str, str],
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    modified_since: datetime | None = None,
) -> Iterator[tuple[Mapping[str, Any], list[Any]]]:
    """(answer, records) of each page of one endpoint, from page 1.

    Stops after the page numbered pagination.pageCount, or after a page shorter than `page_size`.

    Raises:
        MalformedResponse: a page repeats the one before it, or holds no list.
        ConnectorError: from the transport.
    """
    page = 1
    previous: frozenset[str] | None = None
    while True:
        query = {**params, "page": str(page), "unitdp": "4"}
        if page_size != DEFAULT_PAGE_SIZE:
            query["pageSize"] = str(page_size)
        body = http.get(kind.endpoint, query, modified_since=modified_since)
        rows = rows_of(body, kind.endpoint)
        ids = frozenset(row_id(row, kind.id_key) for row in rows)
        if rows and ids == previous:
            raise MalformedResponse(f"Xero {kind.endpoint} page {page} repeated the previous page")
        previous = ids
        yield body, rows
        count = _page_count(body)
        if len(rows) < page_size or (count is not None and page >= count):
            return
        page += 1


def _page_count(body: Mapping[str, Any]) -> int | None:
    pagination = body.get("pagination")
    count = pagination.get("pageCount") if isinstance(pagination, Mapping) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def changed_pages(
    http: XeroHttp, kind: XeroKind, where: str, since: datetime | None, *, page_size: int = DEFAULT_PAGE_SIZE
) -> Iterator[tuple[Mapping[str, Any], list[Any]]]:
    """(answer, records not read before) of every document of one kind changed since `since`, oldest change first.

    Keyset paging on If-Modified-Since: after a full page the next read starts again at page 1 from the
    last change seen, so a document changed while the pages are read moves to the end and is read there,
    where page numbers alone would let the document after it slip into the page already read. Only when a
    whole page changed within one second does the read step on by page number.

    Raises:
        MalformedResponse: a record has no readable UpdatedDateUTC to page on, or a page repeats.
        ConnectorError: from the transport.
    """
    bound = since.replace(microsecond=0) - _HEADER_SLACK if since is not None else None
    page = 1
    seen: dict[RowKey, datetime] = {}
    previous: frozenset[RowKey] | None = None
    while True:
        query = {"where": where, "order": OLDEST_CHANGE_FIRST, "page": str(page), "unitdp": "4"}
        if page_size != DEFAULT_PAGE_SIZE:
            query["pageSize"] = str(page_size)
        body = http.get(kind.endpoint, query, modified_since=bound)
        rows = rows_of(body, kind.endpoint)
        keyed = [(row, _row_key(row, kind.id_key), _changed_at(row, kind)) for row in rows]
        keys = frozenset(key for _row, key, _moment in keyed)
        if page > 1 and rows and keys == previous:
            raise MalformedResponse(f"Xero {kind.endpoint} page {page} repeated the previous page")
        previous = keys
        yield body, [row for row, key, _moment in keyed if key not in seen]
        seen.update((key, moment) for _row, key, moment in keyed)
        count = _page_count(body)
        if len(rows) < page_size or (count is not None and page >= count):
            return
        latest = max(moment for _row, _key, moment in keyed).replace(microsecond=0) - _HEADER_SLACK
        if bound is not None and latest <= bound:
            page += 1
            continue
        bound, page = latest, 1
        seen = {key: moment for key, moment in seen.items() if moment >= bound}


def _row_key(row: object, id_key: str) -> RowKey:
    changed = row.get("UpdatedDateUTC") if isinstance(row, Mapping) else None
    return (row_id(row, id_key), changed if isinstance(changed, str) else "")


def _changed_at(row: object, kind: XeroKind) -> datetime:
    if isinstance(row, Mapping):
        for key in ("UpdatedDateUTC", "UpdatedDateUTCString"):
            try:
                return to_moment(row[key], key)
            except (KeyError, FieldProblem):
                continue
    raise MalformedResponse(f"Xero {kind.endpoint}: {row_id(row, kind.id_key) or 'a record'} has no UpdatedDateUTC to page on")
