"""Changes to the name lists (items and customers), as SandboxCompany makes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection, Engine

from partsemble.sandbox import entities, jsontext
from partsemble.sandbox.namelists import ItemDraft, item_draft_from_payload, render_customer, render_item
from partsemble.sandbox.records import InvalidChange, load_row, object_row, replace_payload
from partsemble.sandbox.store import StoredObject, next_id, next_stamp, writing


class NameListChanges:
    """Mixed into SandboxCompany: create and edit items and customers (SyncToken and time move on)."""

    engine: Engine
    clock: Callable[[], int] | None

    def _stamp(self, conn: Connection) -> int:
        """The stamp of a change made now by the company's clock (never later than real time)."""
        return next_stamp(conn, None if self.clock is None else self.clock())

    # Items and customers
    def create_item(self, draft: ItemDraft) -> dict[str, Any]:
        """A new item with the next Item id."""
        if draft.type not in entities.ITEM_TYPES:
            raise InvalidChange(f"item type must be one of {', '.join(entities.ITEM_TYPES)}")
        with writing(self.engine) as conn:
            item_id = next_id(conn, "Item")
            stamp = self._stamp(conn)
            payload = render_item(draft, item_id=item_id, sync_token=0, created=stamp, updated=stamp)
            conn.execute(
                insert(StoredObject), [object_row("Item", payload, txn_date=None, created=stamp, updated=stamp, active=draft.active)]
            )
        return payload

    def update_item(self, item_id: str | int, **changes: Any) -> dict[str, Any]:
        """Edit an item (name, sku, type, active, unit_price...): SyncToken + 1.

        Raises:
            ObjectNotFound: no such item.
        """
        with writing(self.engine) as conn:
            row = load_row(conn, "Item", item_id)
            current = item_draft_from_payload(jsontext.loads(row.payload))
            draft = ItemDraft(**{**current.__dict__, **changes})
            if draft.type not in entities.ITEM_TYPES:
                raise InvalidChange(f"item type must be one of {', '.join(entities.ITEM_TYPES)}")
            stamp = self._stamp(conn)
            payload = render_item(draft, item_id=row.id, sync_token=row.sync_token + 1, created=row.create_time, updated=stamp)
            replace_payload(conn, "Item", payload, updated=stamp, active=draft.active)
        return payload

    def delete_item(self, item_id: str | int) -> dict[str, Any]:
        """ "Delete" an item the only way QBO can: make it inactive (SyncToken + 1).

        Raises:
            ObjectNotFound: no such item.
        """
        return self.update_item(item_id, active=False)

    def create_customer(self, display_name: str, *, email: str | None = None) -> dict[str, Any]:
        if not display_name.strip():
            raise InvalidChange("a customer needs a display name")
        with writing(self.engine) as conn:
            customer_id = next_id(conn, "Customer")
            stamp = self._stamp(conn)
            payload = render_customer(
                display_name.strip(), customer_id=customer_id, sync_token=0, created=stamp, updated=stamp, email=email
            )
            conn.execute(insert(StoredObject), [object_row("Customer", payload, txn_date=None, created=stamp, updated=stamp)])
        return payload
