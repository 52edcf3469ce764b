"""`SandboxCompany`: the fake QBO company as a Python object.

Tests, the demo loader, benchmarks, the CLI and the sandbox's own pages go
through it: documents and items are created, edited, voided and deleted here
exactly as QBO would change them: SyncToken moves on with every change, and
LastUpdatedTime is the moment of the change to the second (changes within one
second share it, as in QBO), never ahead of real time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from partsemble.sandbox import entities, jsontext
from partsemble.sandbox.controls import SandboxControls
from partsemble.sandbox.entities import DOC_NUMBER_START
from partsemble.sandbox.name_changes import NameListChanges
from partsemble.sandbox.payloads import DocumentDraft, LineInput, render_document
from partsemble.sandbox.records import (
    Catalog,
    InvalidChange,
    ObjectNotFound,
    load_catalog,
    load_row,
    object_row,
    replace_payload,
)
from partsemble.sandbox.revisions import draft_from_payload, void_payload
from partsemble.sandbox.store import (
    SandboxBase,
    StoredObject,
    create_schema,
    dispose_engine,
    engine_for,
    get_setting,
    next_id,
    prices_include_tax,
    reading,
    writing,
)
from partsemble.sandbox.xero.controls import XeroControls, bumped

if TYPE_CHECKING:
    from partsemble.sandbox.bulk import GenerateSummary
    from partsemble.sandbox.seed import SeedSummary


def _entity(name: str, allowed: Sequence[str]) -> str:
    entity = entities.canonical(name)
    if entity not in allowed:
        raise InvalidChange(f"{name!r} is not one of {', '.join(allowed)}")
    return entity


def _check_draft(draft: DocumentDraft, catalog: Catalog) -> None:
    if draft.customer_id not in catalog.customers:
        raise InvalidChange(f"customer {draft.customer_id} does not exist")
    for line in draft.lines:
        if line.item_id is None:
            continue
        item = catalog.items.get(line.item_id)
        if item is None:
            raise InvalidChange(f"item {line.item_id} does not exist")
        if not item.get("Active", True):
            raise InvalidChange(f"item {item['Name']} is inactive")
        if item.get("Type") == "Category":
            raise InvalidChange(f"item {item['Name']} is a category and cannot be sold")


class SandboxCompany(NameListChanges, SandboxControls, XeroControls):
    """One sandbox company in the database at `url` (its tables are made on first use)."""

    def __init__(self, engine: Engine, url: str, *, access_token_lifetime: int = 3600, clock: Callable[[], int] | None = None) -> None:
        self.engine = engine
        self.url = url
        self.access_token_lifetime = access_token_lifetime
        # When changes happen (microsecond stamps); None is real time. A test may backdate
        # changes with it, but no stamp is ever later than real time.
        self.clock = clock

    @classmethod
    def open(cls, url: str, *, access_token_lifetime: int = 3600, clock: Callable[[], int] | None = None) -> SandboxCompany:
        return cls(engine_for(url), url, access_token_lifetime=access_token_lifetime, clock=clock)

    def close(self) -> None:
        """Close the pooled connections of this database (in this process)."""
        dispose_engine(self.url)

    @property
    def realm_id(self) -> str:
        with reading(self.engine) as conn:
            return get_setting(conn, "realm_id") or ""

    @property
    def name(self) -> str:
        with reading(self.engine) as conn:
            return get_setting(conn, "company_name") or ""

    def reset(self) -> None:
        """Delete everything: documents, items, customers, tokens, faults, counters."""
        with writing(self.engine) as conn:
            SandboxBase.metadata.drop_all(conn)
        create_schema(self.engine)

    # Demo data and bulk generation
    def seed_demo(self, today: date) -> SeedSummary:
        """The Juniper & Wick demo company with ~300 documents before `today` (idempotent)."""
        from partsemble.sandbox.seed import seed_demo

        return seed_demo(self.engine, today)

    def generate(
        self,
        n: int,
        *,
        start: date,
        end: date,
        seed: int,
        products: int | Sequence[str] = 50,
        credit_memo_share: Decimal | str = "0.05",
        void_share: Decimal | str = "0.02",
        unlinked_share: Decimal | str = "0.01",
        lines_avg: int = 3,
        sales_receipt_share: Decimal | str = "0.20",
        system: str = "qbo",
    ) -> GenerateSummary:
        """`n` synthetic documents dated `start`..`end`, imported at once: one shared LastUpdatedTime.

        Of the documents that are not credit memos, `sales_receipt_share` are sales receipts and the
        rest invoices; they live in `system` (qbo or xero). Raises bulk.BadGeneration for arguments
        that cannot make documents.
        """
        from partsemble.sandbox.bulk import generate

        return generate(
            self.engine,
            n,
            start=start,
            end=end,
            seed=seed,
            products=products,
            credit_memo_share=Decimal(str(credit_memo_share)),
            void_share=Decimal(str(void_share)),
            unlinked_share=Decimal(str(unlinked_share)),
            lines_avg=lines_avg,
            sales_receipt_share=Decimal(str(sales_receipt_share)),
            at=None if self.clock is None else self.clock(),
            system=system,
        )

    # Reading
    def get(self, entity: str, object_id: str | int) -> dict[str, Any] | None:
        """The stored payload of an object (a deleted one too), or None."""
        with reading(self.engine) as conn:
            try:
                return jsontext.loads(load_row(conn, _entity(entity, entities.ENTITIES), object_id).payload)
            except ObjectNotFound:
                return None

    def state(self, entity: str, object_id: str | int) -> str:
        """ "active", "voided" or "deleted".

        Raises:
            ObjectNotFound: no such object was ever stored.
        """
        with reading(self.engine) as conn:
            row = load_row(conn, _entity(entity, entities.ENTITIES), object_id)
        return "deleted" if row.deleted_at is not None else "voided" if row.voided else "active"

    def catalog(self) -> Catalog:
        with reading(self.engine) as conn:
            return load_catalog(conn)

    def items(self, *, include_inactive: bool = True) -> list[dict[str, Any]]:
        """Item payloads by Id."""
        found = self.catalog().items.values()
        return sorted((i for i in found if include_inactive or i.get("Active")), key=lambda i: int(i["Id"]))

    def customers(self) -> list[dict[str, Any]]:
        return sorted(self.catalog().customers.values(), key=lambda c: int(c["Id"]))

    def count(self, entity: str, *, state: str = "live") -> int:
        """How many objects of the entity are live (not deleted), active, voided, deleted or all."""
        clauses = [StoredObject.entity == _entity(entity, entities.ENTITIES)]
        clauses += {
            "live": [StoredObject.deleted_at.is_(None)],
            "active": [StoredObject.deleted_at.is_(None), StoredObject.voided.is_(False)],
            "voided": [StoredObject.deleted_at.is_(None), StoredObject.voided.is_(True)],
            "deleted": [StoredObject.deleted_at.is_not(None)],
            "all": [],
        }[state]
        with reading(self.engine) as conn:
            return int(conn.execute(select(func.count()).select_from(StoredObject).where(*clauses)).scalar_one())

    # Documents
    def create_document(
        self, entity: str, *, customer_id: str, txn_date: date, lines: Iterable[LineInput], system: str = "qbo", **fields: Any
    ) -> dict[str, Any]:
        """A new Invoice, SalesReceipt or CreditMemo (SyncToken "0") in `system` (qbo or xero);
        `fields` are DocumentDraft's others.

        Raises:
            InvalidChange: unknown customer, unknown/inactive/category item, unknown system.
        """
        entity = _entity(entity, entities.TRANSACTIONS)
        if system not in ("qbo", "xero"):
            raise InvalidChange(f"system must be qbo or xero, not {system!r}")
        draft = DocumentDraft(customer_id=str(customer_id), txn_date=txn_date, lines=tuple(lines), **fields)
        with writing(self.engine) as conn:
            if draft.tax_inclusive is None:
                draft = replace(draft, tax_inclusive=prices_include_tax(conn))
            catalog = load_catalog(conn)
            _check_draft(draft, catalog)
            doc_id = next_id(conn, "Txn")
            if not draft.doc_number:
                number = next_id(conn, f"DocNumber:{entity}")
                draft = draft.with_changes(doc_number=str(DOC_NUMBER_START[entity] - 1 + number))
            stamp = self._stamp(conn)
            payload = render_document(
                entity,
                draft,
                doc_id=doc_id,
                sync_token=0,
                created=stamp,
                updated=stamp,
                items=catalog.items,
                customer=catalog.customers[draft.customer_id],
            )
            row = object_row(entity, payload, txn_date=payload["TxnDate"], created=stamp, updated=stamp, system=system)
            conn.execute(insert(StoredObject), [row])
        return payload

    def _live_row(self, conn: Connection, entity: str, doc_id: str | int) -> Any:
        row = load_row(conn, entity, doc_id)
        if row.deleted_at is not None:
            raise InvalidChange(f"{entity} {doc_id} was deleted")
        if row.voided:
            raise InvalidChange(f"{entity} {doc_id} is voided")
        return row

    def update_document(
        self, entity: str, doc_id: str | int, *, lines: Iterable[LineInput] | None = None, **changes: Any
    ) -> dict[str, Any]:
        """Edit a document: SyncToken + 1, a new LastUpdatedTime; unnamed fields stay as they were.

        Raises:
            ObjectNotFound: no such document.
            InvalidChange: it is voided or deleted, or the change names unknown things.
        """
        entity = _entity(entity, entities.TRANSACTIONS)
        with writing(self.engine) as conn:
            row = self._live_row(conn, entity, doc_id)
            current = jsontext.loads(row.payload)
            draft = draft_from_payload(current).with_changes(lines=None if lines is None else tuple(lines), **changes)
            catalog = load_catalog(conn)
            _check_draft(draft, catalog)
            stamp = self._stamp(conn)
            payload = render_document(
                entity,
                draft,
                doc_id=row.id,
                sync_token=row.sync_token + 1,
                created=row.create_time,
                updated=stamp,
                items=catalog.items,
                customer=catalog.customers[draft.customer_id],
            )
            replace_payload(conn, entity, payload, updated=stamp, txn_date=payload["TxnDate"])
        return payload

    def void_document(self, entity: str, doc_id: str | int) -> dict[str, Any]:
        """Void as its system does: QBO keeps the document with every amount and quantity 0,
        "Voided" noted; Xero keeps its amounts and shows it VOIDED.

        Raises:
            ObjectNotFound: no such document.
            InvalidChange: it is already voided, or deleted.
        """
        entity = _entity(entity, entities.TRANSACTIONS)
        with writing(self.engine) as conn:
            row = self._live_row(conn, entity, doc_id)
            stamp = self._stamp(conn)
            current = jsontext.loads(row.payload)
            if row.system == "xero":
                payload = bumped(current, sync_token=row.sync_token + 1, updated=stamp)
            else:
                payload = void_payload(current, sync_token=row.sync_token + 1, updated=stamp)
            replace_payload(conn, entity, payload, updated=stamp, txn_date=row.txn_date, voided=True)
        return payload

    def delete_document(self, entity: str, doc_id: str | int) -> None:
        """Hard-delete as QBO does: gone from queries and reads, a tombstone in CDC.

        Raises:
            ObjectNotFound: no such document.
            InvalidChange: it was already deleted.
        """
        entity = _entity(entity, entities.TRANSACTIONS)
        with writing(self.engine) as conn:
            row = load_row(conn, entity, doc_id)
            if row.deleted_at is not None:
                raise InvalidChange(f"{entity} {doc_id} was already deleted")
            stamp = self._stamp(conn)
            conn.execute(
                update(StoredObject)
                .where(StoredObject.entity == entity, StoredObject.id == row.id)
                .values(deleted_at=stamp, last_updated_time=stamp)
            )
