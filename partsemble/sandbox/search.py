"""Answer queries, CDC and reads from the stored payloads, filtering and paging in SQL.

Only documents that live in QBO (`system` "qbo") are seen here; name lists are shared.
Results are the stored JSON texts themselves, so a response is assembled by
joining strings and never re-encodes a document.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, not_, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from partsemble.sandbox import entities, jsontext
from partsemble.sandbox.clock import BadTimestamp, parse_date, parse_timestamp
from partsemble.sandbox.query import Condition, Literal, Query, QueryError
from partsemble.sandbox.revisions import tombstone
from partsemble.sandbox.store import StoredObject

CDC_LIMIT = 1000
_COMPARE = {"=": operator.eq, "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}
_COLUMNS = {
    "MetaData.LastUpdatedTime": StoredObject.last_updated_time,
    "MetaData.CreateTime": StoredObject.create_time,
    "TxnDate": StoredObject.txn_date,
    "Id": StoredObject.id,
    "Active": StoredObject.active,
}


def _invalid(detail: str) -> QueryError:
    return QueryError("4001", "Invalid query", f"QueryValidationError: {detail}")


def _value(field: str, literal: Literal) -> Any:
    """The literal as the indexed column stores it; None for an Id that cannot exist."""
    try:
        if field.startswith("MetaData."):
            if literal.kind != "string":
                raise BadTimestamp(literal.text)
            return parse_timestamp(literal.text)
        if field == "TxnDate":
            if literal.kind != "string":
                raise BadTimestamp(literal.text)
            return parse_date(literal.text).isoformat()
    except BadTimestamp as exc:
        kind = "Date" if field == "TxnDate" else "DateTime"
        raise _invalid(f"value '{literal.text}' for property '{field}' is not a valid {kind}") from exc
    if field == "Active":
        if literal.kind != "boolean":
            raise _invalid(f"value '{literal.text}' for property 'Active' is not a valid Boolean")
        return literal.text == "true"
    if literal.kind == "boolean":
        raise _invalid(f"value '{literal.text}' for property 'Id' is not a valid String")
    return int(literal.text) if literal.text.isdigit() else None


def _clause(condition: Condition) -> ColumnElement[bool]:
    column = _COLUMNS[condition.field]
    values = [_value(condition.field, literal) for literal in condition.values]
    if condition.operator == "IN":
        known = [v for v in values if v is not None]
        return column.in_(known) if known else not_(true())
    value = values[0]
    if value is None:
        return not_(true())
    if isinstance(value, bool):
        if condition.operator != "=":
            raise _invalid("property 'Active' only supports = and IN")
        return column.is_(value)
    return _COMPARE[condition.operator](column, value)


def run_query(conn: Connection, query: Query, *, sku_only_when_selected: bool = False) -> list[str]:
    """The JSON texts of one page of the query's answer, in order.

    Deleted documents are never returned; items and customers are active only
    unless the query filters on Active, as in QBO.

    Raises:
        QueryError: a literal does not suit its field (code 4001).
    """
    clauses = [StoredObject.entity == query.entity, StoredObject.deleted_at.is_(None), StoredObject.system == "qbo"]
    clauses += [_clause(condition) for condition in query.conditions]
    if query.entity in entities.NAME_LISTS and not any(c.field == "Active" for c in query.conditions):
        clauses.append(StoredObject.active.is_(True))
    columns = (StoredObject.id,) if query.select == "Id" else (StoredObject.payload,)
    statement = select(*columns).where(and_(*clauses))
    if query.order_field:
        column = _COLUMNS[query.order_field]
        statement = statement.order_by(column.desc() if query.descending else column.asc())
    statement = statement.order_by(StoredObject.id.asc()).offset(query.start_position - 1).limit(query.max_results)
    rows = conn.execute(statement).scalars().all()
    if query.select == "Id":
        return [jsontext.dumps({"domain": "QBO", "sparse": True, "Id": str(doc_id)}) for doc_id in rows]
    if query.entity == "Item" and query.select == "*" and sku_only_when_selected:
        return [_without_sku(text) for text in rows]
    return list(rows)


def _without_sku(text: str) -> str:
    payload = jsontext.loads(text)
    payload.pop("Sku", None)
    return jsontext.dumps(payload)


@dataclass(frozen=True)
class ChangeSet:
    entity: str
    objects: list[str]  # active objects first, then tombstones


def changes_since(conn: Connection, entity_names: Sequence[str], since: int, *, report_live_as_deleted: bool = False) -> list[ChangeSet]:
    """What CDC reports per entity: changed objects, then deletions, at most 1000 in the whole answer.

    The cap is on the response, across all the entities asked for: the changed
    objects of each entity in the order asked fill it first, then the deletions,
    so deletions are the first to be cut off. With `report_live_as_deleted`, the
    latest changed live document also comes back as a tombstone, as one client
    library reports QBO doing.
    """
    entity_names = list(dict.fromkeys(entity_names))
    room = CDC_LIMIT
    found: dict[str, list[str]] = {}
    for entity in entity_names:
        active = (
            conn.execute(
                select(StoredObject.payload)
                .where(
                    StoredObject.entity == entity,
                    StoredObject.system == "qbo",
                    StoredObject.deleted_at.is_(None),
                    StoredObject.last_updated_time >= since,
                )
                .order_by(StoredObject.last_updated_time, StoredObject.id)
                .limit(room)
            )
            .scalars()
            .all()
            if room > 0
            else []
        )
        found[entity] = list(active)
        room -= len(active)
    for entity in entity_names:
        if room <= 0:
            break
        deleted = conn.execute(
            select(StoredObject.id, StoredObject.deleted_at)
            .where(StoredObject.entity == entity, StoredObject.system == "qbo", StoredObject.deleted_at >= since)
            .order_by(StoredObject.deleted_at, StoredObject.id)
            .limit(room)
        ).all()
        found[entity] += [jsontext.dumps(tombstone(doc_id, at)) for doc_id, at in deleted]
        room -= len(deleted)
    if report_live_as_deleted and room > 0:
        _add_false_tombstone(found)
    return [ChangeSet(entity, found[entity]) for entity in entity_names]


def _add_false_tombstone(found: dict[str, list[str]]) -> None:
    for entity, objects in found.items():
        live = [jsontext.loads(text) for text in objects]
        live = [obj for obj in live if obj.get("status") != "Deleted"]
        if live and entities.is_transaction(entity):
            latest = live[-1]
            stamp = parse_timestamp(latest["MetaData"]["LastUpdatedTime"])
            objects.append(jsontext.dumps(tombstone(int(latest["Id"]), stamp)))
            return


def read_object(conn: Connection, entity: str, object_id: str) -> str | None:
    """The JSON text of one live object, or None when it does not exist or was deleted."""
    if not object_id.isdigit():
        return None
    return conn.execute(
        select(StoredObject.payload).where(
            StoredObject.entity == entity,
            StoredObject.id == int(object_id),
            StoredObject.deleted_at.is_(None),
            StoredObject.system == "qbo",
        )
    ).scalar_one_or_none()
