"""Thousands of generated documents page fast and completely, by keyset or by offset."""
from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from partsemble.sandbox import SandboxCompany
from partsemble.sandbox.clock import parse_timestamp

ENTITIES = ("Invoice", "SalesReceipt", "CreditMemo")


@pytest.fixture
def generated(company: SandboxCompany) -> Any:
    return company.generate(2500, start=date(2025, 6, 1), end=date(2026, 5, 31), seed=7, sales_receipt_share="0.1",
                            credit_memo_share="0.03")


def keyset_pages(api: Any, entity: str) -> list[list[dict[str, Any]]]:
    """Page the way QBO.md says: LastUpdatedTime >= last seen, stop on a short page."""
    pages: list[list[dict[str, Any]]] = []
    since = "2000-01-01T00:00:00Z"
    while True:
        rows = api.rows(f"SELECT * FROM {entity} WHERE MetaData.LastUpdatedTime >= '{since}' "
                        f"ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000", entity)
        pages.append(rows)
        if len(rows) < 1000:
            return pages
        assert rows[-1]["MetaData"]["LastUpdatedTime"] != since, "a page repeated"
        since = rows[-1]["MetaData"]["LastUpdatedTime"]


def test_generation_makes_the_number_of_documents_asked_for(company: SandboxCompany, generated: Any) -> None:
    assert sum(company.count(entity) for entity in ENTITIES) == 2500
    assert sum(generated.documents.values()) == 2500
    assert generated.last_id - generated.first_id == 2499


def test_keyset_paging_sees_every_document_exactly_once(api: Any, company: SandboxCompany, generated: Any) -> None:
    seen: Counter[tuple[str, str, str]] = Counter()
    pages_of_1000 = 0
    for entity in ENTITIES:
        pages = keyset_pages(api, entity)
        pages_of_1000 += sum(1 for page in pages if len(page) == 1000)
        for page in pages:
            seen.update((entity, row["Id"], row["SyncToken"]) for row in page)
    repeats = sum(count - 1 for count in seen.values())
    # Each full page hands its last row to the next page (>=), and nothing else repeats.
    assert repeats == pages_of_1000
    assert pages_of_1000 >= 2
    assert len(seen) == 2500
    assert {int(doc_id) for _, doc_id, _ in seen} == set(range(generated.first_id, generated.last_id + 1))


def test_generated_last_updated_times_are_distinct_and_follow_ids(api: Any, generated: Any) -> None:
    stamps = []
    for entity in ENTITIES:
        for page in keyset_pages(api, entity):
            stamps += [(parse_timestamp(row["MetaData"]["LastUpdatedTime"]), int(row["Id"])) for row in page]
    unique = sorted(set(stamps))
    assert len({stamp for stamp, _ in unique}) == 2500
    assert [doc_id for _, doc_id in unique] == sorted(doc_id for _, doc_id in unique)


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
    seen: set[str] = set()
    since = "2025-01-01T00:00:00-08:00"
    while True:
        rows = api.rows(f"SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '{since}' "
                        "ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000", "Invoice")
        fresh = {row["Id"] for row in rows} - seen
        seen |= fresh
        if len(rows) < 1000 or not fresh:
            break
        since = rows[-1]["MetaData"]["LastUpdatedTime"]
    assert len(seen) == company.count("Invoice")
