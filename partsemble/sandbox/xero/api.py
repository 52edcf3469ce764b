"""The Xero accounting API of the sandbox: Invoices, CreditNotes, BankTransactions, Items and
Organisation under `/sandbox/xero/api.xro/2.0/`.

Documents live in one system each; this face shows the ones in Xero (`system` "xero") to the
demo organisation, and nothing to the empty one. Lists take `where` (see `where`), `IDs`,
`page` (100 a page, `pageSize` up to 1000, with `pagination` in the answer; without `page`
every match comes back, with line items only when there are at most 100), `order`
(UpdatedDateUTC or Date, ASC or DESC), `unitdp=4` and the If-Modified-Since header
(UpdatedDateUTC strictly after it). Items are never paged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, g, request
from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from partsemble.sandbox import jsontext
from partsemble.sandbox.blueprints import api_bp, current_company
from partsemble.sandbox.clock import BadTimestamp
from partsemble.sandbox.records import load_catalog
from partsemble.sandbox.store import StoredObject, get_setting, reading
from partsemble.sandbox.xero import ids, render
from partsemble.sandbox.xero.dates import ms_date, parse_if_modified_since
from partsemble.sandbox.xero.metering import xero_metered
from partsemble.sandbox.xero.replies import collection_reply, not_found_reply, validation_reply
from partsemble.sandbox.xero.schema import BY_TENANT
from partsemble.sandbox.xero.where import Condition, WhereError, parse_where
from partsemble.web.guard import public

BASE = "/xero/api.xro/2.0"
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
UNPAGED_LINES_LIMIT = 100
_ORDER = {"updateddateutc": StoredObject.last_updated_time, "date": StoredObject.txn_date}


class BadRequest(ValueError):
    """A parameter Xero would refuse with a ValidationException."""


@dataclass(frozen=True)
class ListRequest:
    conditions: list[Condition]
    ids: list[str] | None
    page: int | None
    page_size: int
    unit_places: int
    since: int | None
    order: tuple[ColumnElement[Any], bool] | None


def _whole(name: str, text: str) -> int:
    if not text.strip().lstrip("-").isdigit():
        raise BadRequest(f"{name} must be a whole number, not {text!r}")
    return int(text)


def _list_request() -> ListRequest:
    """The list parameters of this request.

    Raises:
        BadRequest: a where clause, an ID, a page, an order or an If-Modified-Since Xero would refuse.
    """
    args = request.args
    where = args.get("where", "").strip()
    try:
        conditions = parse_where(where) if where else []
    except WhereError as error:
        raise BadRequest(str(error)) from error
    id_list = None
    if args.get("IDs") is not None:
        id_list = [part.strip().lower() for part in args["IDs"].split(",") if part.strip()]
        bad = [part for part in id_list if not ids.is_uuid(part)]
        if bad:
            raise BadRequest(f"IDs: {bad[0]!r} is not a valid GUID")
    page = max(1, _whole("page", args["page"])) if args.get("page") is not None else None
    page_size = _whole("pageSize", args["pageSize"]) if args.get("pageSize") is not None else PAGE_SIZE
    if page_size < 1:
        raise BadRequest("pageSize must be at least 1")
    order = None
    if args.get("order"):
        field, _, direction = args["order"].strip().partition(" ")
        column = _ORDER.get(field.lower())
        if column is None or direction.strip().upper() not in ("", "ASC", "DESC"):
            raise BadRequest(f"order: {args['order']!r} is not supported (UpdatedDateUTC or Date, ASC or DESC)")
        order = (column, direction.strip().upper() == "DESC")
    since = None
    header = request.headers.get("If-Modified-Since")
    if header:
        try:
            since = parse_if_modified_since(header)
        except BadTimestamp as error:
            raise BadRequest(f"If-Modified-Since: {header!r} is not a date") from error
    return ListRequest(conditions, id_list, page, min(page_size, MAX_PAGE_SIZE), 4 if args.get("unitdp") == "4" else 2, since, order)


def _holds_documents() -> bool:
    return BY_TENANT[g.xero_tenant_id].holds_documents


def _document_query(kind: render.Kind, wanted: ListRequest) -> Select[Any] | None:
    """The rows a list asks for, in order (Status aside); None when none can match."""
    if not _holds_documents():
        return None
    facts: dict[str, Any] = {"Type": kind.type}
    if any(c.field == "Type" and not c.test(facts) for c in wanted.conditions):
        return None
    clauses: list[ColumnElement[bool]] = [StoredObject.entity == kind.entity, StoredObject.system == "xero"]
    compare: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    for condition in wanted.conditions:
        if condition.field == "Date" and isinstance(condition.value, date):
            clauses.append(compare[condition.operator](StoredObject.txn_date, condition.value.isoformat()))
    if wanted.ids is not None:
        numbers = [n for n in (ids.number_of(kind.singular, text) for text in wanted.ids) if n is not None]
        clauses.append(StoredObject.id.in_(numbers))
    if wanted.since is not None:
        clauses.append(StoredObject.last_updated_time > wanted.since)
    statement = select(
        StoredObject.id,
        StoredObject.payload,
        StoredObject.last_updated_time,
        StoredObject.voided,
        StoredObject.deleted_at,
        StoredObject.xero_status,
    ).where(*clauses)
    column, descending = wanted.order or (StoredObject.last_updated_time, False)
    # Ties (a bulk import shares one time) go in the order the rows were stored, which the index holds.
    return statement.order_by(column.desc() if descending else column.asc(), StoredObject.pk.desc() if descending else StoredObject.pk)


def _stored(row: Any) -> render.StoredDocument:
    return render.StoredDocument(row.id, jsontext.loads(row.payload), row.last_updated_time, row.voided, row.deleted_at, row.xero_status)


def _matching(conn: Connection, kind: render.Kind, wanted: ListRequest) -> tuple[list[render.StoredDocument], int]:
    """The documents of the page asked for (every match without `page`) and how many match in all."""
    statement = _document_query(kind, wanted)
    if statement is None:
        return [], 0
    statuses = [c for c in wanted.conditions if c.field == "Status"]
    if statuses:
        # Status needs each document's payload (PAID), so this filter runs here, over every match.
        docs = [_stored(row) for row in conn.execute(statement).all()]
        docs = [doc for doc in docs if all(c.test({"Status": render.status(kind, doc)}) for c in statuses)]
        if wanted.page is None:
            return docs, len(docs)
        start = (wanted.page - 1) * wanted.page_size
        return docs[start : start + wanted.page_size], len(docs)
    if wanted.page is None:
        docs = [_stored(row) for row in conn.execute(statement).all()]
        return docs, len(docs)
    count = int(conn.execute(select(func.count()).select_from(statement.order_by(None).subquery())).scalar_one())
    page = conn.execute(statement.offset((wanted.page - 1) * wanted.page_size).limit(wanted.page_size)).all()
    return [_stored(row) for row in page], count


def _documents(kind: render.Kind) -> Response:
    try:
        wanted = _list_request()
    except BadRequest as error:
        return validation_reply(str(error))
    with reading(current_company().engine) as conn:
        docs, count = _matching(conn, kind, wanted)
        items = load_catalog(conn).items
    if wanted.page is None:
        with_lines = count <= UNPAGED_LINES_LIMIT
        rows = [render.render_document(kind, doc, items, unit_places=wanted.unit_places, with_lines=with_lines) for doc in docs]
        return collection_reply(kind.collection, rows)
    rows = [render.render_document(kind, doc, items, unit_places=wanted.unit_places) for doc in docs]
    pagination = {"page": wanted.page, "pageSize": wanted.page_size, "pageCount": -(-count // wanted.page_size), "itemCount": count}
    return collection_reply(kind.collection, rows, pagination)


def _items() -> Response:
    try:
        wanted = _list_request()
    except BadRequest as error:
        return validation_reply(str(error))
    if wanted.conditions:
        return validation_reply("The sandbox's Items take no where clause")
    if not _holds_documents():
        return collection_reply("Items", [])
    with reading(current_company().engine) as conn:
        clauses: list[ColumnElement[bool]] = [StoredObject.entity == "Item", StoredObject.deleted_at.is_(None)]
        if wanted.since is not None:
            clauses.append(StoredObject.last_updated_time > wanted.since)
        if wanted.ids is not None:
            clauses.append(StoredObject.id.in_([n for n in (ids.number_of("Item", t) for t in wanted.ids) if n is not None]))
        rows = conn.execute(select(StoredObject.payload, StoredObject.last_updated_time).where(*clauses).order_by(StoredObject.id)).all()
    found = [(jsontext.loads(row.payload), row.last_updated_time) for row in rows]
    return collection_reply("Items", [render.render_item(item, updated) for item, updated in found if render.sold_in_xero(item)])


def _detail(kwargs: dict[str, Any]) -> str:
    name = kwargs["collection"].lower()
    kind = render.BY_COLLECTION.get(name)
    return kind.collection if kind else "Items" if name == "items" else "Organisation" if name == "organisation" else "other"


@api_bp.get(f"{BASE}/<collection>")
@public
@xero_metered("xero_api", _detail)
def collection(collection: str) -> Response:
    """Invoices, CreditNotes, BankTransactions, Items or Organisation."""
    name = collection.lower()
    kind = render.BY_COLLECTION.get(name)
    if kind is not None:
        return _documents(kind)
    if name == "items":
        return _items()
    if name == "organisation":
        return _organisation()
    return not_found_reply()


@api_bp.get(f"{BASE}/<collection>/<object_id>")
@public
@xero_metered("xero_api", _detail)
def one(collection: str, object_id: str) -> Response:
    """One document (by its ID) or item (by its ItemID or Code), in a list of one, as Xero answers."""
    name = collection.lower()
    kind = render.BY_COLLECTION.get(name)
    if name == "items":
        response = _items()
        items = jsontext.loads(response.get_data())["Items"]
        found = [i for i in items if object_id.lower() in (i["ItemID"], i["Code"].lower())]
        return collection_reply("Items", found) if found else not_found_reply()
    number = ids.number_of(kind.singular, object_id) if kind else None
    if kind is None or number is None or not _holds_documents():
        return not_found_reply()
    unit_places = 4 if request.args.get("unitdp") == "4" else 2
    with reading(current_company().engine) as conn:
        row = conn.execute(
            select(
                StoredObject.id,
                StoredObject.payload,
                StoredObject.last_updated_time,
                StoredObject.voided,
                StoredObject.deleted_at,
                StoredObject.xero_status,
            ).where(StoredObject.entity == kind.entity, StoredObject.system == "xero", StoredObject.id == number)
        ).one_or_none()
        items = load_catalog(conn).items
    if row is None:
        return not_found_reply()
    return collection_reply(kind.collection, [render.render_document(kind, _stored(row), items, unit_places=unit_places)])


def _organisation() -> Response:
    org = BY_TENANT[g.xero_tenant_id]
    with reading(current_company().engine) as conn:
        created = int(get_setting(conn, "created_at") or 0)
    body = {
        "OrganisationID": org.tenant_id,
        "Name": org.name,
        "LegalName": org.name,
        "BaseCurrency": render.HOME_CURRENCY,
        "CountryCode": "US",
        "OrganisationType": "COMPANY",
        "OrganisationStatus": "ACTIVE",
        "CreatedDateUTC": ms_date(created),
    }
    return collection_reply("Organisations", [body])
