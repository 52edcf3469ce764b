"""XeroSource over `responses`: paging, the headers every call carries, reads by id and the item fallback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from xero_doubles import (
    CREDIT_ID,
    INVOICE_ID,
    ITEM_ID,
    RECEIVE_ID,
    TENANT,
    credit_note,
    invoice,
    item,
    line,
    ms_date,
    page_of,
    receive_money,
)

from partsemble.connectors.errors import MalformedResponse, NotFound
from partsemble.connectors.xero.client import XeroSource
from partsemble.connectors.xero.http import XeroHttp
from partsemble.domain.documents import DocumentType, SalesDocument

Answer = Callable[..., None]


def params(call: responses.Call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(call.request.url or "").query).items()}


def invoices(count: int, start: int = 0) -> list[dict[str, object]]:
    return [invoice(InvoiceID=f"00000000-0000-4000-8000-{n:012d}", InvoiceNumber=f"INV-{n}") for n in range(start, start + count)]


def test_changed_documents_reads_each_kind_with_type_date_page_and_four_decimals(
    xero: XeroSource, answer: Answer, mocked: responses.RequestsMock
) -> None:
    answer("Invoices", page_of("Invoices", [invoice()]))
    answer("BankTransactions", page_of("BankTransactions", [receive_money()]))
    answer("CreditNotes", page_of("CreditNotes", [credit_note()]))

    pages = list(xero.changed_documents(None, date(2026, 5, 1)))

    assert [type(d).__name__ for page in pages for d in page.documents] == ["SalesDocument"] * 3
    assert [d.id for page in pages for d in page.documents] == [INVOICE_ID, RECEIVE_ID, CREDIT_ID]
    assert [urlsplit(call.request.url or "").path for call in mocked.calls] == [
        "/api.xro/2.0/Invoices",
        "/api.xro/2.0/BankTransactions",
        "/api.xro/2.0/CreditNotes",
    ]
    assert [params(call) for call in mocked.calls] == [
        {"where": f'Type=="{kind}" AND Date >= DateTime(2026,5,1)', "order": "UpdatedDateUTC ASC", "page": "1", "unitdp": "4"}
        for kind in ("ACCREC", "RECEIVE", "ACCRECCREDIT")
    ]
    assert pages[0].server_time == datetime(2026, 5, 20, 10, 0, tzinfo=UTC)
    for call in mocked.calls:
        assert call.request.headers["xero-tenant-id"] == TENANT
        assert call.request.headers["Authorization"] == "Bearer access-token-one-SECRET"
        assert "If-Modified-Since" not in call.request.headers


def test_since_becomes_if_modified_since_in_utc_a_second_early(xero: XeroSource, answer: Answer, mocked: responses.RequestsMock) -> None:
    for collection in ("Invoices", "BankTransactions", "CreditNotes"):
        answer(collection, page_of(collection, []))
    since = datetime(2026, 5, 10, 10, 15, 30, 900000, tzinfo=timezone(timedelta(hours=2)))

    assert list(xero.changed_documents(since, date(2026, 5, 1)))[0].documents == ()

    # Whether Xero counts the named second in or out, nothing changed at 08:15:30.9 is missed.
    assert {call.request.headers["If-Modified-Since"] for call in mocked.calls} == {"2026-05-10T08:15:29"}


def changed_at(n: int, second: int) -> dict[str, object]:
    """Invoice n, last changed at 2026-05-19 12:00:<second>.<n> UTC."""
    return invoice(
        InvoiceID=f"00000000-0000-4000-8000-{n:012d}",
        InvoiceNumber=f"INV-{n}",
        UpdatedDateUTC=ms_date(datetime(2026, 5, 19, 12, 0, second, n * 1000, tzinfo=UTC)),
    )


def test_after_a_full_page_the_read_starts_again_from_the_last_change_seen(
    xero_http: XeroHttp, answer: Answer, mocked: responses.RequestsMock
) -> None:
    source = XeroSource(xero_http, page_size=2)
    answer("Invoices", page_of("Invoices", [changed_at(1, 10), changed_at(2, 20)]))
    # From 12:00:19 on: invoice 2 again (not handed over twice), and 3.
    answer("Invoices", page_of("Invoices", [changed_at(2, 20), changed_at(3, 30)]))
    answer("Invoices", page_of("Invoices", [changed_at(4, 40)]))  # short: the last page
    for collection in ("BankTransactions", "CreditNotes"):
        answer(collection, page_of(collection, []))

    documents = [d for page in source.changed_documents(None, date(2026, 5, 1)) for d in page.documents]

    assert [d.number for d in documents if isinstance(d, SalesDocument)] == ["INV-1", "INV-2", "INV-3", "INV-4"]
    invoice_calls = [call for call in mocked.calls if "/Invoices" in (call.request.url or "")]
    assert [(params(call)["page"], call.request.headers.get("If-Modified-Since")) for call in invoice_calls] == [
        ("1", None),
        ("1", "2026-05-19T12:00:19"),
        ("1", "2026-05-19T12:00:29"),
    ]


def test_a_full_page_changed_within_one_second_is_stepped_through_by_page(
    xero_http: XeroHttp, answer: Answer, mocked: responses.RequestsMock
) -> None:
    source = XeroSource(xero_http, page_size=2)
    since = datetime(2026, 5, 19, 12, 0, 6, tzinfo=UTC)
    answer("Invoices", page_of("Invoices", [changed_at(1, 5), changed_at(2, 5)]))  # a bulk import: one second
    answer("Invoices", page_of("Invoices", [changed_at(3, 5)]))
    for collection in ("BankTransactions", "CreditNotes"):
        answer(collection, page_of(collection, []))

    documents = [d for page in source.changed_documents(since - timedelta(seconds=1), date(2026, 5, 1)) for d in page.documents]

    assert [d.number for d in documents if isinstance(d, SalesDocument)] == ["INV-1", "INV-2", "INV-3"]
    invoice_calls = [call for call in mocked.calls if "/Invoices" in (call.request.url or "")]
    assert [(params(call)["page"], call.request.headers["If-Modified-Since"]) for call in invoice_calls] == [
        ("1", "2026-05-19T12:00:04"),
        ("2", "2026-05-19T12:00:04"),
    ]


def test_a_stepped_page_repeating_the_previous_one_stops_the_read(xero_http: XeroHttp, answer: Answer) -> None:
    source = XeroSource(xero_http, page_size=2)
    answer("Invoices", page_of("Invoices", [changed_at(1, 5), changed_at(2, 5)]))
    answer("Invoices", page_of("Invoices", [changed_at(1, 5), changed_at(2, 5)]))
    with pytest.raises(MalformedResponse, match="page 2 repeated"):
        list(source.changed_documents(datetime(2026, 5, 19, 12, 0, 5, tzinfo=UTC), date(2026, 5, 1)))


def test_a_document_without_a_change_time_cannot_be_paged_past(xero_http: XeroHttp, answer: Answer) -> None:
    source = XeroSource(xero_http, page_size=1)
    answer("Invoices", page_of("Invoices", [invoice(UpdatedDateUTC=None)]))
    with pytest.raises(MalformedResponse, match="no UpdatedDateUTC to page on"):
        list(source.changed_documents(None, date(2026, 5, 1)))


@pytest.mark.parametrize(
    ("sizes", "page_counts", "calls"),
    [
        ([2, 2, 1], [None, None, None], 3),  # a short page is the last one
        ([2, 2], [2, 2], 2),  # a full page numbered pageCount is the last one
        ([2, 2, 0], [None, None, None], 3),  # full pages all the way: an empty page ends it
    ],
)
def test_paging_by_number_stops_on_the_last_or_a_short_page(
    xero_http: XeroHttp, answer: Answer, mocked: responses.RequestsMock, sizes: list[int], page_counts: list[int | None], calls: int
) -> None:
    source = XeroSource(xero_http, page_size=2)
    start = 0
    for number, (size, count) in enumerate(zip(sizes, page_counts), start=1):
        answer("Invoices", page_of("Invoices", invoices(size, start), page=number, page_count=count, page_size=2))
        start += size

    ids = source.document_ids(DocumentType.INVOICE, date(2026, 5, 1), date(2026, 5, 31))

    assert len(ids) == sum(sizes)
    assert [(params(call)["page"], params(call)["pageSize"]) for call in mocked.calls] == [(str(n), "2") for n in range(1, calls + 1)]


def test_a_numbered_page_repeating_the_previous_one_stops_the_read(xero_http: XeroHttp, answer: Answer) -> None:
    source = XeroSource(xero_http, page_size=2)
    answer("Invoices", page_of("Invoices", invoices(2)))
    answer("Invoices", page_of("Invoices", invoices(2)))
    with pytest.raises(MalformedResponse, match="page 2 repeated"):
        source.document_ids(DocumentType.INVOICE, date(2026, 5, 1), date(2026, 5, 31))


def test_not_modified_is_an_empty_page(xero: XeroSource, answer: Answer) -> None:
    answer("Invoices", "", status=304)
    answer("BankTransactions", "", status=304)
    answer("CreditNotes", "", status=304)
    pages = list(xero.changed_documents(datetime(2026, 5, 19, tzinfo=UTC), date(2026, 5, 1)))
    assert [page.documents for page in pages] == [(), (), ()]


def test_deletions_are_always_empty_because_xero_reports_them_as_statuses(xero: XeroSource) -> None:
    assert xero.deletions(datetime(2026, 5, 1, tzinfo=UTC)) == []


def test_document_ids_reads_a_date_range(xero: XeroSource, answer: Answer, mocked: responses.RequestsMock) -> None:
    answer("CreditNotes", page_of("CreditNotes", [credit_note(), credit_note(CreditNoteID="11111111-2222-4333-8444-555555555555")]))
    ids = xero.document_ids(DocumentType.CREDIT_MEMO, date(2026, 4, 1), date(2026, 4, 30))
    assert ids == {CREDIT_ID, "11111111-2222-4333-8444-555555555555"}
    assert params(mocked.calls[0])["where"] == 'Type=="ACCRECCREDIT" AND Date >= DateTime(2026,4,1) AND Date <= DateTime(2026,4,30)'


def test_get_documents_asks_invoices_by_id_list_and_leaves_out_what_is_not_a_xero_id(
    xero: XeroSource, answer: Answer, mocked: responses.RequestsMock
) -> None:
    answer("Invoices", page_of("Invoices", [invoice()]))
    other = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    documents = xero.get_documents(DocumentType.INVOICE, [INVOICE_ID, other, INVOICE_ID, "42,43"])
    assert [d.id for d in documents] == [INVOICE_ID]
    assert params(mocked.calls[0]) == {"IDs": f"{INVOICE_ID},{other}", "page": "1", "unitdp": "4"}


def test_get_documents_reads_bank_transactions_one_by_one_and_skips_the_missing(xero: XeroSource, answer: Answer) -> None:
    missing = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    answer(f"BankTransactions/{RECEIVE_ID}", page_of("BankTransactions", [receive_money()]))
    answer(f"BankTransactions/{missing}", "The resource you're looking for cannot be found", status=404, content_type="text/plain")
    documents = xero.get_documents(DocumentType.SALES_RECEIPT, [RECEIVE_ID, missing])
    assert [(d.type, d.id) for d in documents] == [(DocumentType.SALES_RECEIPT, RECEIVE_ID)]


def test_a_line_with_only_an_item_code_is_matched_through_the_item_list_read_once(
    xero: XeroSource, answer: Answer, mocked: responses.RequestsMock
) -> None:
    answer("Invoices", page_of("Invoices", [invoice(line(Item=None, ItemCode="FOUNT-ROCK"))]))
    answer("Items", page_of("Items", [item()]))
    answer("BankTransactions", page_of("BankTransactions", [receive_money(LineItems=[line(Item=None, ItemCode="FOUNT-ROCK")])]))
    answer("CreditNotes", page_of("CreditNotes", []))

    documents = [d for page in xero.changed_documents(None, date(2026, 5, 1)) for d in page.documents]

    assert [d.lines[0].item_id for d in documents if isinstance(d, SalesDocument)] == [ITEM_ID, ITEM_ID]
    assert sum(1 for call in mocked.calls if "/Items" in (call.request.url or "")) == 1


def test_items_and_one_item(xero: XeroSource, answer: Answer) -> None:
    answer("Items", page_of("Items", [item(), item(ItemID="22222222-2222-4222-8222-222222222222", Code="SVC", IsTrackedAsInventory=False)]))
    answer(f"Items/{ITEM_ID}", page_of("Items", [item()]))
    answer("Items/33333333-3333-4333-8333-333333333333", page_of("Items", []))
    assert [(i.sku, i.type) for i in xero.list_items()] == [("FOUNT-ROCK", "Inventory"), ("SVC", "Service")]
    assert xero.get_item(ITEM_ID).id == ITEM_ID
    with pytest.raises(NotFound):
        xero.get_item("33333333-3333-4333-8333-333333333333")


def test_misuse_is_a_value_error(xero: XeroSource) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        list(xero.changed_documents(datetime(2026, 5, 1), date(2026, 5, 1)))
    with pytest.raises(ValueError, match="no ManualSale"):
        xero.document_ids(DocumentType.MANUAL, date(2026, 5, 1), date(2026, 5, 2))


def test_an_unknown_item_code_rereads_the_item_list_once_and_no_more(
    xero: XeroSource, answer: Answer, mocked: responses.RequestsMock
) -> None:
    pump = "44444444-4444-4444-8444-444444444444"
    answer("Invoices", page_of("Invoices", [invoice(line(Item=None, ItemCode="FOUNT-ROCK"))]))
    answer("Items", page_of("Items", [item()]))
    # The pump was created after the list was read: one more read finds it.
    answer("BankTransactions", page_of("BankTransactions", [receive_money(LineItems=[line(Item=None, ItemCode="PUMP-S")])]))
    answer("Items", page_of("Items", [item(), item(ItemID=pump, Code="PUMP-S")]))
    # A code still unknown after that is a deleted item: the list is not read a third time.
    answer("CreditNotes", page_of("CreditNotes", [credit_note(LineItems=[line(Item=None, ItemCode="GONE-1")])]))

    documents = [d for page in xero.changed_documents(None, date(2026, 5, 1)) for d in page.documents]

    assert [d.lines[0].item_id for d in documents if isinstance(d, SalesDocument)] == [ITEM_ID, pump]
    assert "ItemCode 'GONE-1' matches no Xero item" in getattr(documents[2], "message", "")
    assert sum(1 for call in mocked.calls if "/Items" in (call.request.url or "")) == 2
