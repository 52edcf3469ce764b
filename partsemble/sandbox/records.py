"""Reading and writing stored objects: the row of a payload, one object, the catalog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Row

from partsemble.sandbox import jsontext
from partsemble.sandbox.store import StoredObject


class InvalidChange(ValueError):
    """QBO would refuse this change (voided or deleted document, unknown or inactive item...)."""


class ObjectNotFound(LookupError):
    """No object of that entity has that id (or it was deleted, where that matters)."""


def object_row(
    entity: str,
    payload: dict[str, Any],
    *,
    txn_date: str | None,
    created: int,
    updated: int,
    active: bool = True,
    voided: bool = False,
    system: str = "qbo",
) -> dict[str, Any]:
    """The values of a StoredObject row for a payload (for executemany)."""
    return {
        "entity": entity,
        "id": int(payload["Id"]),
        "sync_token": int(payload["SyncToken"]),
        "txn_date": txn_date,
        "create_time": created,
        "last_updated_time": updated,
        "active": active,
        "voided": voided,
        "deleted_at": None,
        "payload": jsontext.dumps(payload),
        "system": system,
    }


def load_row(conn: Connection, entity: str, object_id: str | int) -> Row[Any]:
    """The stored row of one object, deleted or not.

    Raises:
        ObjectNotFound: there is no such object.
    """
    text = str(object_id)
    row = None
    if text.isdigit():
        row = conn.execute(
            select(*StoredObject.__table__.c).where(StoredObject.entity == entity, StoredObject.id == int(text))
        ).one_or_none()
    if row is None:
        raise ObjectNotFound(f"{entity} {object_id} does not exist")
    return row


def replace_payload(
    conn: Connection,
    entity: str,
    payload: dict[str, Any],
    *,
    updated: int,
    txn_date: str | None = None,
    active: bool = True,
    voided: bool = False,
) -> None:
    """Store a new version of an existing object (its SyncToken already bumped)."""
    conn.execute(
        update(StoredObject)
        .where(StoredObject.entity == entity, StoredObject.id == int(payload["Id"]))
        .values(
            sync_token=int(payload["SyncToken"]),
            last_updated_time=updated,
            txn_date=txn_date,
            active=active,
            voided=voided,
            payload=jsontext.dumps(payload),
        )
    )


@dataclass(frozen=True)
class Catalog:
    """Every item and customer payload by Id, inactive ones included."""

    items: dict[str, dict[str, Any]]
    customers: dict[str, dict[str, Any]]


def load_catalog(conn: Connection) -> Catalog:
    rows = conn.execute(
        select(StoredObject.entity, StoredObject.payload).where(
            StoredObject.entity.in_(("Item", "Customer")), StoredObject.deleted_at.is_(None)
        )
    ).all()
    items: dict[str, dict[str, Any]] = {}
    customers: dict[str, dict[str, Any]] = {}
    for entity, text in rows:
        payload = jsontext.loads(text)
        (items if entity == "Item" else customers)[payload["Id"]] = payload
    return Catalog(items, customers)
