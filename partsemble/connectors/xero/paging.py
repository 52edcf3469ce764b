"""Walking a Xero list endpoint page by page: always `page` (without it Xero may leave out line items),
four-decimal unit amounts, a stop on the last page or a short one, and a guard against a repeating page."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from partsemble.connectors.errors import MalformedResponse
from partsemble.connectors.xero.http import XeroHttp
from partsemble.connectors.xero.kinds import XeroKind

DEFAULT_PAGE_SIZE = 100  # what Xero gives when pageSize is not sent
MAX_PAGE_SIZE = 1000


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
