"""changed_documents: keyset paging over Invoice, SalesReceipt and CreditMemo."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from partsemble.connectors.errors import MalformedResponse
from partsemble.connectors.qbo.client import QboSource
from partsemble.domain.documents import DocumentProblem, SalesDocument

PACIFIC = timezone(timedelta(hours=-7))
SINCE = datetime(2026, 5, 1, tzinfo=PACIFIC)
NOT_BEFORE = date(2026, 1, 1)
T1, T2, T3 = "2026-05-02T08:00:00-07:00", "2026-05-02T09:30:00-07:00", "2026-05-03T11:15:42-07:00"


def q(entity: str, *, since: str | None, position: int, size: int) -> str:
    where = f"MetaData.LastUpdatedTime >= '{since}' AND " if since else ""
    return (
        f"SELECT * FROM {entity} WHERE {where}TxnDate >= '2026-01-01' "
        f"ORDERBY MetaData.LastUpdatedTime STARTPOSITION {position} MAXRESULTS {size}"
    )


@pytest.fixture
def invoice_row(qbo_json):
    template = qbo_json("invoice.json")["Invoice"]

    def row(doc_id: str, updated: str, sync_token: str = "0") -> dict[str, Any]:
        meta = {"CreateTime": T1, "LastUpdatedTime": updated}
        return {**template, "Id": doc_id, "SyncToken": sync_token, "MetaData": meta}

    return row


def at(entity: str, moment: str, position: int, size: int) -> str:
    """The query that reads a block of one LastUpdatedTime again, once paging has stepped past it."""
    return (
        f"SELECT * FROM {entity} WHERE MetaData.LastUpdatedTime = '{moment}' AND TxnDate >= '2026-01-01' "
        f"ORDERBY MetaData.LastUpdatedTime STARTPOSITION {position} MAXRESULTS {size}"
    )


def keys(page) -> list[tuple[str, str]]:
    return [(doc.id, doc.version) for doc in page.documents]


def test_empty_results_yield_one_empty_page_per_type(source, serve, qbo_json, sent_queries):
    for _ in range(3):
        serve(qbo_json("query_empty.json"))

    pages = list(source.changed_documents(SINCE, NOT_BEFORE))

    assert [page.documents for page in pages] == [(), (), ()]
    assert pages[0].server_time == datetime(2026, 5, 20, 10, tzinfo=PACIFIC)
    assert sent_queries() == [
        q("Invoice", since="2026-05-01T00:00:00-07:00", position=1, size=1000),
        q("SalesReceipt", since="2026-05-01T00:00:00-07:00", position=1, size=1000),
        q("CreditMemo", since="2026-05-01T00:00:00-07:00", position=1, size=1000),
    ]


def test_two_full_pages_then_a_short_one_page_on_the_last_update_time(http, serve, query_body, invoice_row, sent_queries):
    source = QboSource(http, page_size=2)
    serve(query_body("Invoice", [invoice_row("1", T1), invoice_row("2", T2)], time="2026-05-20T10:00:01-07:00"))
    serve(query_body("Invoice", [invoice_row("2", T2), invoice_row("3", T3)], time="2026-05-20T10:00:02-07:00"))
    serve(query_body("Invoice", [invoice_row("3", T3)], time="2026-05-20T10:00:03-07:00"))
    serve(query_body("SalesReceipt", []))
    serve(query_body("CreditMemo", []))

    pages = list(source.changed_documents(SINCE, NOT_BEFORE))

    assert [keys(page) for page in pages] == [[("1", "0"), ("2", "0")], [("3", "0")], [], [], []]
    assert [page.server_time.second for page in pages[:3]] == [1, 2, 3]
    assert sent_queries() == [
        q("Invoice", since="2026-05-01T00:00:00-07:00", position=1, size=2),
        q("Invoice", since=T2, position=1, size=2),
        q("Invoice", since=T3, position=1, size=2),
        q("SalesReceipt", since="2026-05-01T00:00:00-07:00", position=1, size=2),
        q("CreditMemo", since="2026-05-01T00:00:00-07:00", position=1, size=2),
    ]


def test_without_since_the_time_condition_is_left_out_but_the_order_kept(http, serve, query_body, sent_queries):
    source = QboSource(http, page_size=5)
    for entity in ("Invoice", "SalesReceipt", "CreditMemo"):
        serve(query_body(entity, []))

    list(source.changed_documents(None, date(2026, 3, 15)))

    assert sent_queries()[0] == (
        "SELECT * FROM Invoice WHERE TxnDate >= '2026-03-15' ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 5"
    )


def test_since_keeps_its_offset_and_drops_fractions_of_a_second(source, serve, query_body, sent_queries):
    for entity in ("Invoice", "SalesReceipt", "CreditMemo"):
        serve(query_body(entity, []))

    list(source.changed_documents(datetime(2026, 5, 1, 14, 30, 5, 999999, tzinfo=timezone.utc), NOT_BEFORE))

    assert sent_queries()[0].startswith("SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '2026-05-01T14:30:05+00:00' AND")


def test_full_pages_on_one_timestamp_advance_by_position_within_it(http, serve, query_body, invoice_row, sent_queries):
    source = QboSource(http, page_size=2)
    serve(query_body("Invoice", [invoice_row("1", T2), invoice_row("2", T2)]))
    serve(query_body("Invoice", [invoice_row("3", T2), invoice_row("4", T2)]))
    serve(query_body("Invoice", [invoice_row("5", T2), invoice_row("6", T3)]))
    for block in (["1", "2"], ["3", "4"], ["5"]):  # past the block: read it again, nothing was missed
        serve(query_body("Invoice", [invoice_row(doc_id, T2) for doc_id in block]))
    serve(query_body("Invoice", [invoice_row("6", T3)]))
    serve(query_body("SalesReceipt", []))
    serve(query_body("CreditMemo", []))

    pages = list(source.changed_documents(None, NOT_BEFORE))

    assert [keys(page) for page in pages[:4]] == [
        [("1", "0"), ("2", "0")],
        [("3", "0"), ("4", "0")],
        [("5", "0"), ("6", "0")],
        [],
    ]
    assert sent_queries()[:7] == [
        q("Invoice", since=None, position=1, size=2),
        q("Invoice", since=T2, position=3, size=2),
        q("Invoice", since=T2, position=5, size=2),
        at("Invoice", T2, position=1, size=2),
        at("Invoice", T2, position=3, size=2),
        at("Invoice", T2, position=5, size=2),
        q("Invoice", since=T3, position=1, size=2),
    ]


def test_a_full_page_on_a_later_timestamp_restarts_positions_within_that_timestamp(http, serve, query_body, invoice_row, sent_queries):
    source = QboSource(http, page_size=2)
    serve(query_body("Invoice", [invoice_row("1", T1), invoice_row("2", T1)]))
    serve(query_body("Invoice", [invoice_row("3", T2), invoice_row("4", T2)]))
    serve(query_body("Invoice", [invoice_row("1", T1), invoice_row("2", T1)]))  # block T1 read again
    serve(query_body("Invoice", []))
    serve(query_body("Invoice", [invoice_row("5", T2)]))
    serve(query_body("Invoice", [invoice_row("3", T2), invoice_row("4", T2)]))  # block T2 read again
    serve(query_body("Invoice", [invoice_row("5", T2)]))
    serve(query_body("SalesReceipt", []))
    serve(query_body("CreditMemo", []))

    pages = list(source.changed_documents(None, NOT_BEFORE))

    assert [keys(page) for page in pages[:3]] == [[("1", "0"), ("2", "0")], [("3", "0"), ("4", "0")], [("5", "0")]]
    assert [query for query in sent_queries() if " >= '2026-05" in query or "WHERE TxnDate" in query][:3] == [
        q("Invoice", since=None, position=1, size=2),
        q("Invoice", since=T1, position=3, size=2),
        q("Invoice", since=T2, position=3, size=2),
    ]


def test_a_row_edited_inside_a_block_being_stepped_through_moves_the_rest_up_and_the_re_read_finds_what_moved(
    http, serve, query_body, invoice_row, sent_queries
):
    """Invoice 2 is edited after page one: 3 slides into position 2 and the position step misses it."""
    source = QboSource(http, page_size=2)
    serve(query_body("Invoice", [invoice_row("1", T2), invoice_row("2", T2)]))
    serve(query_body("Invoice", [invoice_row("4", T2), invoice_row("5", T2)]))
    serve(query_body("Invoice", [invoice_row("2", T3, sync_token="1")]))
    serve(query_body("Invoice", [invoice_row("1", T2), invoice_row("3", T2)]))
    serve(query_body("Invoice", [invoice_row("4", T2), invoice_row("5", T2)]))
    serve(query_body("Invoice", []))
    serve(query_body("SalesReceipt", []))
    serve(query_body("CreditMemo", []))

    pages = list(source.changed_documents(None, NOT_BEFORE))

    read = [key for page in pages for key in keys(page)]
    assert sorted(read) == [("1", "0"), ("2", "0"), ("2", "1"), ("3", "0"), ("4", "0"), ("5", "0")]
    assert sent_queries()[3:6] == [at("Invoice", T2, position=p, size=2) for p in (1, 3, 5)]


def test_a_page_that_repeats_the_previous_one_raises(http, serve, query_body, invoice_row):
    source = QboSource(http, page_size=2)
    page = query_body("Invoice", [invoice_row("1", T1), invoice_row("2", T2)])
    serve(page)
    serve(page)

    pages = source.changed_documents(SINCE, NOT_BEFORE)
    next(pages)
    with pytest.raises(MalformedResponse, match="page repeated"):
        next(pages)


def test_a_newer_version_of_a_seen_document_is_emitted_again(http, serve, query_body, invoice_row):
    source = QboSource(http, page_size=2)
    serve(query_body("Invoice", [invoice_row("1", T1), invoice_row("2", T2)]))
    # Invoice 1 was edited during the scan: new SyncToken, new LastUpdatedTime.
    serve(query_body("Invoice", [invoice_row("2", T2), invoice_row("1", T3, sync_token="1")]))
    serve(query_body("Invoice", [invoice_row("1", T3, sync_token="1")]))
    serve(query_body("SalesReceipt", []))
    serve(query_body("CreditMemo", []))

    pages = list(source.changed_documents(SINCE, NOT_BEFORE))

    assert [keys(page) for page in pages[:3]] == [[("1", "0"), ("2", "0")], [("1", "1")], []]


def test_a_malformed_row_becomes_a_problem_and_the_page_goes_on(source, serve, query_body, invoice_row):
    bad = invoice_row("2", T2)
    bad["TxnDate"] = "last week"
    serve(query_body("Invoice", [invoice_row("1", T1), bad]))

    first = next(iter(source.changed_documents(SINCE, NOT_BEFORE)))

    assert isinstance(first.documents[0], SalesDocument)
    assert isinstance(first.documents[1], DocumentProblem)
    assert first.documents[1].message == "Invoice 1042: TxnDate is not a date ('last week')"


def test_pages_arrive_one_http_page_at_a_time(http, serve, query_body, invoice_row, mocked):
    source = QboSource(http, page_size=2)
    serve(query_body("Invoice", [invoice_row("1", T1), invoice_row("2", T2)]))
    serve(query_body("Invoice", [invoice_row("3", T3)]))
    serve(query_body("SalesReceipt", []))
    serve(query_body("CreditMemo", []))
    pages = source.changed_documents(SINCE, NOT_BEFORE)

    next(pages)
    calls_after_first_page = len(mocked.calls)
    rest = list(pages)

    assert calls_after_first_page == 1
    assert len(rest) == 3


def test_sales_receipts_and_credit_memos_are_parsed_as_their_types(source, serve, query_body, qbo_json):
    serve(query_body("Invoice", []))
    serve(query_body("SalesReceipt", [qbo_json("sales_receipt_cad.json")["SalesReceipt"]]))
    serve(query_body("CreditMemo", [qbo_json("credit_memo.json")["CreditMemo"]]))

    pages = list(source.changed_documents(SINCE, NOT_BEFORE))

    assert [doc.key for page in pages for doc in page.documents] == [("SalesReceipt", "1044"), ("CreditMemo", "312")]
    assert pages[1].documents[0].exchange_rate == Decimal("0.74")


@pytest.mark.parametrize("body", [{"time": "2026-05-20T10:00:00Z"}, {"QueryResponse": {"Invoice": {"Id": "1"}}}])
def test_query_response_of_the_wrong_shape_raises_malformed(source, serve, body):
    serve(body)

    with pytest.raises(MalformedResponse):
        next(iter(source.changed_documents(SINCE, NOT_BEFORE)))


def test_naive_since_is_refused(source):
    with pytest.raises(ValueError, match="timezone-aware"):
        next(iter(source.changed_documents(datetime(2026, 5, 1), NOT_BEFORE)))


@pytest.mark.parametrize("page_size", [0, 1001])
def test_page_size_must_be_within_qbo_limits(http, page_size):
    with pytest.raises(ValueError):
        QboSource(http, page_size=page_size)
