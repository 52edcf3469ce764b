"""Deletions through QBO's change data capture, each tombstone confirmed by reading the object."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from partsemble.connectors.errors import MalformedResponse, NotFound, WindowTooLarge
from partsemble.connectors.qbo.faults import OBJECT_NOT_FOUND
from partsemble.connectors.qbo.fields import FieldProblem, get_moment, get_object
from partsemble.connectors.qbo.http import QboHttp
from partsemble.connectors.qbo.queries import moment_literal
from partsemble.domain.documents import SYNCED_DOCUMENT_TYPES, Deletion, DocumentType

logger = logging.getLogger(__name__)

CDC_LIMIT = 1000  # objects per CDC response; deleted ones come last, so they are cut first
_READ_PATHS = {
    DocumentType.INVOICE: "invoice",
    DocumentType.SALES_RECEIPT: "salesreceipt",
    DocumentType.CREDIT_MEMO: "creditmemo",
}

Tombstones = dict[DocumentType, dict[str, datetime | None]]  # type -> id -> when deleted


def find_tombstones(http: QboHttp, since: datetime) -> Tombstones:
    """Every tombstone CDC reports since `since`, complete or not at all.

    One call for all three types; when that hits the limit, one call per type.
    CDC has no upper bound, so a window cannot be halved: `changedSince` of the
    earlier half still returns everything up to now.

    Raises:
        WindowTooLarge: one type alone changed 1,000 times or more since `since`.
        MalformedResponse: the CDC response is not shaped as documented.
        ConnectorError: from the transport.
    """
    counts, tombstones = _read_cdc(_fetch(http, SYNCED_DOCUMENT_TYPES, since))
    if sum(counts.values()) < CDC_LIMIT:
        return tombstones
    logger.info("QBO CDC since %s returned %s objects: asking one type at a time", moment_literal(since), counts)
    for doc_type in SYNCED_DOCUMENT_TYPES:
        counts, found = _read_cdc(_fetch(http, (doc_type,), since))
        if counts[doc_type] >= CDC_LIMIT:
            raise WindowTooLarge(
                f"QBO CDC: {counts[doc_type]} {doc_type} changes since {moment_literal(since)} "
                f"reach the {CDC_LIMIT}-object limit; compare ids instead"
            )
        tombstones[doc_type] = found[doc_type]
    return tombstones


def confirm_deletions(http: QboHttp, tombstones: Tombstones) -> list[Deletion]:
    """The tombstones whose object QBO no longer has (a read answering code 610), by type then id.

    Raises:
        ConnectorError: any read failure other than 610 Object Not Found.
    """
    deletions: list[Deletion] = []
    for doc_type, found in tombstones.items():
        for doc_id, deleted_at in sorted(found.items()):
            if _is_gone(http, doc_type, doc_id):
                deletions.append(Deletion(type=doc_type, id=doc_id, deleted_at=deleted_at))
            else:
                # One client library reports CDC marking a live, just-updated object as deleted.
                logger.warning("QBO CDC reported %s %s deleted, but it can still be read: kept", doc_type, doc_id)
    return deletions


def _is_gone(http: QboHttp, doc_type: DocumentType, doc_id: str) -> bool:
    try:
        http.get(f"{_READ_PATHS[doc_type]}/{quote(doc_id, safe='')}")
    except NotFound as error:
        if error.code == OBJECT_NOT_FOUND:
            return True
        raise  # a 404 without 610 is a wrong URL, not proof of deletion
    return False


def _fetch(http: QboHttp, doc_types: Sequence[DocumentType], since: datetime) -> dict[str, Any]:
    entities = ",".join(str(doc_type) for doc_type in doc_types)
    return http.get("cdc", {"entities": entities, "changedSince": moment_literal(since)})


def _read_cdc(body: Mapping[str, Any]) -> tuple[dict[DocumentType, int], Tombstones]:
    """How many objects each type returned, and its tombstones.

    Raises:
        MalformedResponse: CDCResponse or QueryResponse is not a list of objects.
    """
    counts = {doc_type: 0 for doc_type in SYNCED_DOCUMENT_TYPES}
    tombstones: Tombstones = {doc_type: {} for doc_type in SYNCED_DOCUMENT_TYPES}
    for response in _objects(body.get("CDCResponse"), "CDCResponse"):
        # QueryResponse is an array here, one element per entity; empty is [{}].
        for entity_result in _objects(response.get("QueryResponse"), "CDCResponse.QueryResponse"):
            for doc_type in SYNCED_DOCUMENT_TYPES:
                rows = entity_result.get(str(doc_type), [])
                if not isinstance(rows, list):
                    raise MalformedResponse(f"CDC {doc_type} is not a list")
                counts[doc_type] += len(rows)
                tombstones[doc_type].update(_tombstones(doc_type, rows))
    return counts, tombstones


def _objects(value: object, where: str) -> Iterable[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(entry, Mapping) for entry in value):
        raise MalformedResponse(f"{where} is not a list of objects")
    return value


def _tombstones(doc_type: DocumentType, rows: list[Any]) -> dict[str, datetime | None]:
    found: dict[str, datetime | None] = {}
    for row in rows:
        if not isinstance(row, Mapping) or row.get("status") != "Deleted":
            continue
        doc_id = row.get("Id")
        if not isinstance(doc_id, str) or not doc_id:
            raise MalformedResponse(f"CDC {doc_type} tombstone has no Id")
        found[doc_id] = _deleted_at(row)
    return found


def _deleted_at(row: Mapping[str, Any]) -> datetime | None:
    try:
        meta = get_object(row, "MetaData", "MetaData")
        return get_moment(meta, "LastUpdatedTime", "MetaData.LastUpdatedTime") if meta is not None else None
    except FieldProblem:
        return None
