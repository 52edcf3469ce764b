"""The one interface every accounting connector implements."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from partsemble.domain.documents import (
    Deletion,
    DocumentProblem,
    DocumentType,
    ItemRecord,
    SalesDocument,
)

# A parsed document or, when its payload could not be parsed, the problem that
# makes that one document fail (the others go on).
DocumentOrProblem = SalesDocument | DocumentProblem


@dataclass(frozen=True)
class ChangePage:
    """One page of documents changed upstream."""

    documents: Sequence[DocumentOrProblem]
    # The source's clock when it answered (QBO: the response's "time"), if it said.
    server_time: datetime | None


class SalesSource(Protocol):
    """Where sales come from. Implementations raise ConnectorError subclasses only."""

    def list_items(self) -> Iterator[ItemRecord]:
        """Every item, active and inactive, page by page."""
        ...

    def get_item(self, item_id: str) -> ItemRecord:
        """One item by id. Raises NotFound."""
        ...

    def changed_documents(self, since: datetime | None, not_before: date) -> Iterator[ChangePage]:
        """Invoices, sales receipts and credit memos dated on or after `not_before`
        and created or updated at or after `since` (all of them when None)."""
        ...

    def deletions(self, since: datetime) -> list[Deletion]:
        """Documents deleted upstream since `since` (at most 30 days ago), each confirmed."""
        ...

    def document_ids(self, doc_type: DocumentType, start: date, end: date) -> set[str]:
        """Ids of the documents of one type dated within [start, end] that exist now."""
        ...

    def get_documents(self, doc_type: DocumentType, doc_ids: Iterable[str]) -> list[DocumentOrProblem]:
        """Several documents of one type by id; ids that no longer exist are left out."""
        ...
