"""Recorded QuickBooks answers loaded into the sandbox company as they are.

A document or item that a real company returned (an Australian tax-inclusive
invoice, a bundle with a discount...) is stored byte for byte, with its own Id,
SyncToken and MetaData times, so the query, CDC and reads serve it exactly as
QBO did and a sync runs over it end to end. Nothing is re-rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from partsemble.sandbox import entities, jsontext
from partsemble.sandbox.clock import BadTimestamp, now_us, parse_date, parse_timestamp
from partsemble.sandbox.records import object_row
from partsemble.sandbox.store import StoredObject, note_stamp, reserve_ids_through


class BadRecording(ValueError):
    """The payload cannot be stored as it is: unknown entity, no numeric Id, bad or future times, Id taken."""


def _stamp(meta: Mapping[str, Any], key: str) -> int:
    text = meta.get(key)
    if not isinstance(text, str):
        raise BadRecording(f"MetaData.{key} is missing")
    try:
        stamp = parse_timestamp(text)
    except BadTimestamp as exc:
        raise BadRecording(f"MetaData.{key} {text!r} is not a date-time") from exc
    if stamp > now_us():
        raise BadRecording(f"MetaData.{key} {text!r} lies in the future; the sandbox's clock never runs ahead")
    return stamp


def load_recorded(conn: Connection, entity: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Store one recorded Invoice, SalesReceipt, CreditMemo, Item or Customer as it was answered.

    Raises:
        BadRecording: the payload cannot be served as QBO served it.
    """
    name = entities.canonical(entity)
    if name is None:
        raise BadRecording(f"{entity!r} is not one of {', '.join(entities.ENTITIES)}")
    doc_id, version = payload.get("Id"), payload.get("SyncToken", "0")
    if not isinstance(doc_id, str) or not doc_id.isdigit():
        raise BadRecording(f"{name} Id {doc_id!r} is not a numeric string")
    if not isinstance(version, str) or not version.isdigit():
        raise BadRecording(f"{name} {doc_id}: SyncToken {version!r} is not a numeric string")
    meta = payload.get("MetaData")
    if not isinstance(meta, Mapping):
        raise BadRecording(f"{name} {doc_id}: no MetaData")
    created, updated = _stamp(meta, "CreateTime"), _stamp(meta, "LastUpdatedTime")
    txn_date = None
    if entities.is_transaction(name):
        try:
            txn_date = parse_date(str(payload.get("TxnDate", ""))).isoformat()
        except BadTimestamp as exc:
            raise BadRecording(f"{name} {doc_id}: TxnDate {payload.get('TxnDate')!r} is not a date") from exc
    taken = conn.execute(select(StoredObject.pk).where(StoredObject.entity == name, StoredObject.id == int(doc_id)))
    if taken.first() is not None:
        raise BadRecording(f"{name} {doc_id} is already in the company")
    row = object_row(
        name,
        dict(payload),
        txn_date=txn_date,
        created=created,
        updated=updated,
        active=payload.get("Active", True) is not False,
        voided=str(payload.get("PrivateNote", "")).startswith("Voided") and payload.get("TotalAmt") == 0,
    )
    row["payload"] = jsontext.dumps(payload)
    conn.execute(insert(StoredObject), [row])
    reserve_ids_through(conn, entities.SEQUENCES[name], int(doc_id))
    note_stamp(conn, updated)
    return dict(payload)
