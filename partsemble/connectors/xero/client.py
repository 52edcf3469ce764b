"""One Xero organisation as a SalesSource."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import requests

from partsemble.connectors.base import ChangePage, DocumentOrProblem
from partsemble.connectors.errors import MalformedResponse, NotFound
from partsemble.connectors.retry import RetryPolicy, Timeouts
from partsemble.connectors.transport import TokenProvider
from partsemble.connectors.xero.http import API_BASE, XeroHttp
from partsemble.connectors.xero.kinds import KINDS, XeroKind, kind_of
from partsemble.connectors.xero.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, changed_pages, dated_filter, pages, row_id, rows_of
from partsemble.connectors.xero.parse import parse_document, parse_item, parse_moment
from partsemble.domain.documents import SYNCED_DOCUMENT_TYPES, Deletion, DocumentType, ItemRecord

IDS_PER_CALL = 50  # ids in one `IDs=` list: the URL stays short and the answer one page
_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
# Endpoints that take `IDs=`; bank transactions are read one by one.
_BY_ID_LIST = frozenset({"Invoices", "CreditNotes"})


class XeroSource:
    """One Xero organisation as a SalesSource. Raises ConnectorError subclasses only (ValueError for misuse)."""

    def __init__(self, http: XeroHttp, *, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be within 1..{MAX_PAGE_SIZE}, not {page_size}")
        self._http = http
        self._page_size = page_size
        self._codes: dict[str, str] | None = None  # item Code -> ItemID, read when a line names only a code
        self._codes_reread = False

    def list_items(self) -> Iterator[ItemRecord]:
        """Every item (Xero has no inactive ones: it deletes them). /Items is one unpaged answer.

        Raises:
            MalformedResponse: an item without ItemID or Code, or no Items list.
        """
        body = self._http.get("Items", {"unitdp": "4"})
        for row in rows_of(body, "Items"):
            yield parse_item(row)

    def get_item(self, item_id: str) -> ItemRecord:
        """One item by ItemID.

        Raises:
            NotFound: no such item.
            MalformedResponse: the answer holds no readable Item.
        """
        rows = rows_of(self._http.get(f"Items/{quote(item_id, safe='')}", {"unitdp": "4"}), "Items")
        if not rows:
            raise NotFound(f"Xero has no item {item_id}")
        return parse_item(rows[0])

    def changed_documents(self, since: datetime | None, not_before: date) -> Iterator[ChangePage]:
        """Invoices, then Receive Money transactions, then credit notes dated on or after `not_before` and
        created or modified at or after `since` (all of them when None); one ChangePage per HTTP page.

        A void, a deletion or a return to draft moves UpdatedDateUTC, so it comes back here as a status.

        Raises:
            ValueError: `since` has no UTC offset.
            MalformedResponse: a page repeats, or holds no list.
        """
        if since is not None and since.utcoffset() is None:
            raise ValueError("since must be timezone-aware")
        for doc_type in SYNCED_DOCUMENT_TYPES:
            kind = KINDS[doc_type]
            for body, rows in changed_pages(self._http, kind, dated_filter(kind, not_before), since, page_size=self._page_size):
                yield ChangePage(documents=self._parse(kind, rows), server_time=parse_moment(body, "DateTimeUTC"))

    def deletions(self, since: datetime) -> list[Deletion]:
        """Always empty: Xero never hard-deletes an invoice, credit note or bank transaction. A deleted or
        voided one keeps its record with Status DELETED or VOIDED, which `changed_documents` reports as a void.

        Raises:
            ValueError: `since` is naive.
        """
        if since.utcoffset() is None:
            raise ValueError("since must be timezone-aware")
        return []

    def document_ids(self, doc_type: DocumentType, start: date, end: date) -> set[str]:
        """Ids of the documents of one type dated within [start, end] (deleted and voided ones included: they exist).

        Raises:
            MalformedResponse: a record without its id, or a repeated page.
        """
        kind = kind_of(doc_type)
        ids: set[str] = set()
        for _body, rows in pages(self._http, kind, {"where": dated_filter(kind, start, end)}, page_size=self._page_size):
            for row in rows:
                doc_id = row_id(row, kind.id_key)
                if not doc_id:
                    raise MalformedResponse(f"Xero {kind.endpoint} returned a record without {kind.id_key}")
                ids.add(doc_id)
        return ids

    def get_documents(self, doc_type: DocumentType, doc_ids: Iterable[str]) -> list[DocumentOrProblem]:
        """Several documents of one type by id; ids that do not exist (or are no Xero id at all) are left out."""
        kind = kind_of(doc_type)
        wanted = [doc_id for doc_id in dict.fromkeys(doc_ids) if _GUID.fullmatch(doc_id)]
        if kind.endpoint not in _BY_ID_LIST:
            return self._one_by_one(kind, wanted)
        documents: list[DocumentOrProblem] = []
        for start in range(0, len(wanted), IDS_PER_CALL):
            params = {"IDs": ",".join(wanted[start : start + IDS_PER_CALL])}
            for _body, rows in pages(self._http, kind, params, page_size=self._page_size):
                documents.extend(self._parse(kind, rows))
        return documents

    def _one_by_one(self, kind: XeroKind, doc_ids: list[str]) -> list[DocumentOrProblem]:
        documents: list[DocumentOrProblem] = []
        for doc_id in doc_ids:
            try:
                body = self._http.get(f"{kind.endpoint}/{doc_id}", {"unitdp": "4"})
            except NotFound:
                continue
            documents.extend(self._parse(kind, rows_of(body, kind.endpoint)))
        return documents

    def _parse(self, kind: XeroKind, rows: list[Any]) -> tuple[DocumentOrProblem, ...]:
        codes = self._codes_for(rows)
        return tuple(parse_document(kind.doc_type, row, codes) for row in rows)

    def _codes_for(self, rows: list[Any]) -> Mapping[str, str]:
        """Item Code -> ItemID, read once, and once more when a line names a code the list did not have."""
        wanted = _codes_without_ids(rows)
        if not wanted:
            return self._codes or {}
        if self._codes is None or (wanted - self._codes.keys() and not self._codes_reread):
            self._codes_reread = self._codes is not None
            self._codes = {item.sku: item.id for item in self.list_items() if item.sku}
        return self._codes


def _codes_without_ids(rows: list[Any]) -> set[str]:
    """The ItemCodes of lines that carry no Item.ItemID (older answers, or an item since deleted)."""
    codes: set[str] = set()
    for row in rows:
        lines = row.get("LineItems") if isinstance(row, Mapping) else None
        for line in lines if isinstance(lines, list) else []:
            if not isinstance(line, Mapping):
                continue
            item = line.get("Item")
            code = line.get("ItemCode")
            has_id = isinstance(item, Mapping) and isinstance(item.get("ItemID"), str) and bool(item.get("ItemID"))
            if isinstance(code, str) and code and not has_id:
                codes.add(code)
    return codes


def build_source(
    session: requests.Session,
    *,
    tenant_id: str,
    tokens: TokenProvider,
    api_base: str = API_BASE,
    timeouts: Timeouts = Timeouts(),
    retry: RetryPolicy = RetryPolicy(),
    page_size: int = DEFAULT_PAGE_SIZE,
) -> XeroSource:
    """A XeroSource for one organisation over `session`."""
    http = XeroHttp(session, tokens=tokens, tenant_id=tenant_id, api_base=api_base, timeouts=timeouts, retry=retry)
    return XeroSource(http, page_size=page_size)
