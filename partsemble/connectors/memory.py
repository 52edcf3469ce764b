"""A SalesSource held in memory: for tests, benchmarks and trying the sync without an account.

It behaves like an accounting system that stamps every change with its own
clock, hard-deletes documents and remembers the deletions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from partsemble.connectors.base import ChangePage, DocumentOrProblem
from partsemble.connectors.errors import NotFound
from partsemble.domain.documents import Deletion, DocumentType, ItemRecord, SalesDocument

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


class InMemorySource:
    def __init__(self, items: Iterable[ItemRecord] = (), page_size: int = 1000) -> None:
        self.items = {item.id: item for item in items}
        self.documents: dict[tuple[str, str], SalesDocument] = {}
        self.tombstones: dict[tuple[str, str], datetime] = {}
        self.page_size = page_size
        self._tick = EPOCH
        self.calls: list[str] = []
        # Tests set this to make a call fail: it gets the call name and the page number.
        self.fail: Callable[[str, int], None] | None = None

    def now(self) -> datetime:
        self._tick += timedelta(seconds=1)
        return self._tick

    def put(self, doc: SalesDocument) -> SalesDocument:
        """Create or change a document; it gets a new version and change time."""
        key = (str(doc.type), doc.id)
        previous = self.documents.get(key)
        version = str(int(previous.version) + 1) if previous is not None else doc.version
        stamp = self.now()
        stored = replace(doc, version=version, updated_at=stamp, created_at=previous.created_at if previous else stamp)
        self.documents[key] = stored
        self.tombstones.pop(key, None)
        return stored

    def delete(self, doc_type: DocumentType, doc_id: str) -> None:
        key = (str(doc_type), doc_id)
        del self.documents[key]
        self.tombstones[key] = self.now()

    def _check(self, call: str, page: int = 0) -> None:
        self.calls.append(call)
        if self.fail is not None:
            self.fail(call, page)

    def list_items(self) -> Iterator[ItemRecord]:
        self._check("items")
        yield from self.items.values()

    def get_item(self, item_id: str) -> ItemRecord:
        self._check("item")
        if item_id not in self.items:
            raise NotFound(f"Item {item_id} not found", status=400, code="610")
        return self.items[item_id]

    def changed_documents(self, since: datetime | None, not_before: date) -> Iterator[ChangePage]:
        matching = sorted(
            (d for d in self.documents.values() if d.txn_date >= not_before and (since is None or (d.updated_at or EPOCH) >= since)),
            key=lambda d: (d.updated_at or EPOCH, str(d.type), d.id),
        )
        pages = [matching[i : i + self.page_size] for i in range(0, len(matching), self.page_size)] or [[]]
        for number, page in enumerate(pages, start=1):
            self._check("changes", number)
            yield ChangePage(list(page), self.now())

    def deletions(self, since: datetime) -> list[Deletion]:
        self._check("deletions")
        return [Deletion(DocumentType(t), i, at) for (t, i), at in self.tombstones.items() if at >= since]

    def document_ids(self, doc_type: DocumentType, start: date, end: date) -> set[str]:
        self._check("ids")
        return {d.id for d in self.documents.values() if d.type == doc_type and start <= d.txn_date <= end}

    def get_documents(self, doc_type: DocumentType, doc_ids: Iterable[str]) -> list[DocumentOrProblem]:
        self._check("by_id")
        return [self.documents[(str(doc_type), i)] for i in doc_ids if (str(doc_type), i) in self.documents]
