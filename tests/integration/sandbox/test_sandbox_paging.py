"""Thousands of generated documents page fast and completely, by keyset or by offset."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from partsemble.sandbox import SandboxCompany
from partsemble.sandbox.clock import now_us, parse_timestamp

ENTITIES = ("Invoice", "SalesReceipt", "CreditMemo")


@pytest.fixture
def generated(company: SandboxCompany) -> Any:
    return company.generate(
        2500, start=date(2025, 6, 1), end=date(2026, 5, 31), seed=7, sales_receipt_share="0.1", credit_memo_share="0.03"
    )


def keyset_pages(api: Any, entity: str) -> list[list[dict[str, Any]]]:
    """Page the way QBO.md says: LastUpdatedTime >= last seen, stop on a short page; a full page on
    one time cannot move the bound, so step through that time by position instead."""
    pages: list[list[dict[str, Any]]] = []
    since, position = "2000-01-01T00:00:00Z", 1
    while True:
        rows = api.rows(
            f"SELECT * FROM {entity} WHERE MetaData.LastUpdatedTime >= '{since}' "
            f"ORDERBY MetaData.LastUpdatedTime STARTPOSITION {position} MAXRESULTS 1000",
            entity,
        )
        pages.append(rows)
        if len(rows) < 1000:
            return pages
        last = rows[-1]["MetaData"]["LastUpdatedTime"]
        if rows[0]["MetaData"]["LastUpdatedTime"] == last:
            position = position + 1000 if last == since else 1001
        else:
            position = 1
        since = last


def test_generation_makes_the_number_of_documents_asked_for(company: SandboxCompany, generated: Any) -> None:
    assert sum(company.count(entity) for entity in ENTITIES) == 2500
    assert sum(generated.documents.values()) == 2500
    assert generated.last_id - generated.first_id == 2499


def test_one_generation_is_one_import_sharing_one_time_never_ahead_of_now(company: SandboxCompany, generated: Any) -> None:
    """QBO gives a bulk import one LastUpdatedTime; the sandbox's clock never runs ahead of real time."""
    docs = [
        doc
        for entity in ENTITIES
        for doc in (company.get(entity, doc_id) for doc_id in range(generated.first_id, generated.last_id + 1))
        if doc
    ]
    stamps = {(doc["MetaData"]["CreateTime"], doc["MetaData"]["LastUpdatedTime"]) for doc in docs}
    assert len(docs) == 2500 and len(stamps) == 1
    [(created, updated)] = stamps
    assert created == updated and parse_timestamp(updated) <= now_us()
    assert {item["MetaData"]["LastUpdatedTime"] for item in company.items()} == {updated}


def test_time_alone_cannot_page_past_an_import(api: Any, generated: Any) -> None:
    """`>=` the last time seen, from position 1, returns the same page again: a client must step by position."""
    query = (
        "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '{since}' "
        "ORDERBY MetaData.LastUpdatedTime STARTPOSITION {position} MAXRESULTS 1000"
    )
    first = api.rows(query.format(since="2000-01-01T00:00:00Z", position=1), "Invoice")
    again = api.rows(query.format(since=first[-1]["MetaData"]["LastUpdatedTime"], position=1), "Invoice")
    assert [row["Id"] for row in again] == [row["Id"] for row in first]
    onward = api.rows(query.format(since=first[-1]["MetaData"]["LastUpdatedTime"], position=1001), "Invoice")
    assert not {row["Id"] for row in onward} & {row["Id"] for row in first}


def test_keyset_paging_sees_every_document_exactly_once(api: Any, company: SandboxCompany, generated: Any) -> None:
    seen: Counter[tuple[str, str, str]] = Counter()
    pages_of_1000 = 0
    for entity in ENTITIES:
        pages = keyset_pages(api, entity)
        pages_of_1000 += sum(1 for page in pages if len(page) == 1000)
        for page in pages:
            seen.update((entity, row["Id"], row["SyncToken"]) for row in page)
    # Every row of the import shares one time: stepping by position repeats nothing.
    assert sum(count - 1 for count in seen.values()) == 0
    assert pages_of_1000 >= 2
    assert len(seen) == 2500
    assert {int(doc_id) for _, doc_id, _ in seen} == set(range(generated.first_id, generated.last_id + 1))


def test_ties_on_last_updated_time_come_back_in_id_order(api: Any, generated: Any) -> None:
    ids = [int(row["Id"]) for page in keyset_pages(api, "Invoice") for row in page]
    assert ids == sorted(ids)


def test_offset_paging_returns_disjoint_pages(api: Any, company: SandboxCompany, generated: Any) -> None:
    ids: list[str] = []
    start = 1
    while True:
        rows = api.rows(f"SELECT Id FROM Invoice ORDERBY Id STARTPOSITION {start} MAXRESULTS 1000", "Invoice")
        ids += [row["Id"] for row in rows]
        if len(rows) < 1000:
            break
        start += 1000
    assert len(ids) == len(set(ids)) == company.count("Invoice")


@pytest.mark.slow
def test_twenty_thousand_generated_documents_page_by_keyset_without_loss(api: Any, company: SandboxCompany) -> None:
    """Speed is measured in benchmarks/, not asserted here; this checks the 20,000 all come back once."""
    company.generate(20_000, start=date(2025, 6, 1), end=date(2026, 5, 31), seed=11)
    seen = [row["Id"] for page in keyset_pages(api, "Invoice") for row in page]
    assert len(seen) == len(set(seen)) == company.count("Invoice")
