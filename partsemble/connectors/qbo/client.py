"""QuickBooks Online as a SalesSource."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import requests

from partsemble.connectors.base import ChangePage, DocumentOrProblem
from partsemble.connectors.errors import BadRequest, MalformedResponse
from partsemble.connectors.qbo import queries
from partsemble.connectors.qbo.cdc import confirm_deletions, find_tombstones
from partsemble.connectors.qbo.http import QboHttp, TokenProvider
from partsemble.connectors.qbo.paging import changed_pages, offset_pages, rows_of
from partsemble.connectors.qbo.parse import parse_document, parse_item
from partsemble.connectors.qbo.retry import RetryPolicy, Timeouts
from partsemble.domain.documents import SYNCED_DOCUMENT_TYPES, Deletion, DocumentType, ItemRecord

logger = logging.getLogger(__name__)

CDC_LOOKBACK = timedelta(days=30)
IDS_PER_QUERY = 100  # keeps a `WHERE Id IN (...)` statement short and its answer one page


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class QboSource:
    """One QBO company as a SalesSource. Raises ConnectorError subclasses only (ValueError for misuse)."""

    def __init__(self, http: QboHttp, *, page_size: int = queries.MAX_PAGE_SIZE, now: Callable[[], datetime] = utc_now) -> None:
        if not 1 <= page_size <= queries.MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be within 1..{queries.MAX_PAGE_SIZE}, not {page_size}")
        self._http = http
        self._page_size = page_size
        self._now = now

    def company_name(self) -> str:
        """The company's name from CompanyInfo.

        Raises:
            MalformedResponse: no CompanyInfo.CompanyName text.
        """
        body = self._http.get(f"companyinfo/{quote(self._http.realm_id, safe='')}")
        info = body.get("CompanyInfo")
        name = info.get("CompanyName") if isinstance(info, dict) else None
        if not isinstance(name, str):
            raise MalformedResponse("CompanyInfo has no CompanyName")
        return name

    def list_items(self) -> Iterator[ItemRecord]:
        """Every item, active and inactive, page by page.

        Raises:
            MalformedResponse: an item without Id or Name, or a repeated page.
        """
        with_sku = True
        try:
            first_body = self._http.query(queries.all_items(1, self._page_size, with_sku=True))
        except BadRequest:
            # Naming Sku is only needed by some API versions; a version that rejects it lists it with `*`.
            logger.info("QBO rejected `SELECT *, Sku FROM Item`; listing items with `SELECT *`")
            with_sku = False
            first_body = None

        def statement_at(position: int) -> str:
            return queries.all_items(position, self._page_size, with_sku=with_sku)

        for rows in offset_pages(self._http, statement_at, "Item", self._page_size, first_body):
            for row in rows:
                yield parse_item(row)

    def get_item(self, item_id: str) -> ItemRecord:
        """One item by id.

        Raises:
            NotFound: no such item.
            MalformedResponse: the answer holds no readable Item.
        """
        body = self._http.get(f"item/{quote(item_id, safe='')}")
        return parse_item(body.get("Item"))

    def changed_documents(self, since: datetime | None, not_before: date) -> Iterator[ChangePage]:
        """Invoices, then sales receipts, then credit memos dated on or after `not_before` and updated
        at or after `since` (all of them when None); one ChangePage per HTTP page.

        Raises:
            ValueError: `since` has no UTC offset.
            MalformedResponse: a page repeats, or pages cannot go on.
        """
        if since is not None and since.utcoffset() is None:
            raise ValueError("since must be timezone-aware")
        for doc_type in SYNCED_DOCUMENT_TYPES:
            yield from changed_pages(self._http, doc_type, since, not_before, self._page_size)

    def deletions(self, since: datetime) -> list[Deletion]:
        """Documents deleted since `since`, each confirmed by a read that answers 610 Object Not Found.

        Raises:
            ValueError: `since` is naive or more than 30 days ago (CDC looks back no further; compare ids).
            WindowTooLarge: one type changed 1,000 times or more since `since`.
        """
        if since.utcoffset() is None:
            raise ValueError("since must be timezone-aware")
        if since < self._now() - CDC_LOOKBACK:
            raise ValueError(f"QBO CDC looks back 30 days at most; {since.isoformat()} is older")
        return confirm_deletions(self._http, find_tombstones(self._http, since))

    def document_ids(self, doc_type: DocumentType, start: date, end: date) -> set[str]:
        """Ids of the documents of one type dated within [start, end] that exist now.

        Raises:
            MalformedResponse: a row without an Id, or a repeated page.
        """
        _check_synced(doc_type)

        def statement_at(position: int) -> str:
            return queries.ids_dated(doc_type, start, end, position, self._page_size)

        ids: set[str] = set()
        for rows in offset_pages(self._http, statement_at, str(doc_type), self._page_size):
            for row in rows:
                doc_id = row.get("Id") if isinstance(row, dict) else None
                if not isinstance(doc_id, str) or not doc_id:
                    raise MalformedResponse(f"{doc_type} Id query returned a row without an Id")
                ids.add(doc_id)
        return ids

    def get_documents(self, doc_type: DocumentType, doc_ids: Iterable[str]) -> list[DocumentOrProblem]:
        """Several documents of one type by id, 100 ids a query; ids that no longer exist are left out."""
        _check_synced(doc_type)
        wanted = list(dict.fromkeys(doc_ids))
        documents: list[DocumentOrProblem] = []
        for start in range(0, len(wanted), IDS_PER_QUERY):
            body = self._http.query(queries.by_ids(doc_type, wanted[start : start + IDS_PER_QUERY]))
            documents.extend(parse_document(doc_type, row) for row in rows_of(body, str(doc_type)))
        return documents


def _check_synced(doc_type: DocumentType) -> None:
    if doc_type not in SYNCED_DOCUMENT_TYPES:
        raise ValueError(f"QBO has no {doc_type} documents")


def build_source(
    session: requests.Session,
    *,
    api_base: str,
    realm_id: str,
    tokens: TokenProvider,
    timeouts: Timeouts = Timeouts(),
    retry: RetryPolicy = RetryPolicy(),
    page_size: int = queries.MAX_PAGE_SIZE,
) -> QboSource:
    """A QboSource for one company over `session`."""
    http = QboHttp(session, api_base=api_base, realm_id=realm_id, tokens=tokens, timeouts=timeouts, retry=retry)
    return QboSource(http, page_size=page_size)
