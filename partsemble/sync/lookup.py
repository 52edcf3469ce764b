"""Finding stored sales by their upstream key, many at a time, through the unique index."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from partsemble.models.sales import Sale

CHUNK = 500


def sales_by_key(
    session: Session | scoped_session[Session], keys: Iterable[tuple[str, str]], *columns: Any, source: str = "qbo"
) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(type, id) -> the requested columns, for the keys that exist.

    One query per document type and chunk, each an index range on
    (source, external_type, external_id); row-value IN lists would not use it on PostgreSQL.
    """
    by_type: dict[str, list[str]] = defaultdict(list)
    for doc_type, doc_id in keys:
        by_type[doc_type].append(doc_id)
    found: dict[tuple[str, str], tuple[Any, ...]] = {}
    for doc_type, ids in by_type.items():
        for start in range(0, len(ids), CHUNK):
            rows = session.execute(
                select(Sale.external_id, *columns).where(
                    Sale.source == source, Sale.external_type == doc_type, Sale.external_id.in_(ids[start : start + CHUNK])
                )
            ).all()
            found.update({(doc_type, row[0]): tuple(row[1:]) for row in rows})
    return found
