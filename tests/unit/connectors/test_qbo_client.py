"""QboSource reads other than changes and deletions: ids, documents by id, items, company info."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import requests
from qbo_doubles import API_BASE, COMPANY_URL, REALM, FakeTokens

from partsemble.connectors.base import SalesSource
from partsemble.connectors.errors import BadRequest, MalformedResponse, NotFound
from partsemble.connectors.qbo.client import QboSource, build_source
from partsemble.connectors.qbo.retry import RetryPolicy, Timeouts
from partsemble.domain.documents import DocumentProblem, DocumentType, ItemRecord, SalesDocument


def ids_query(position: int, size: int) -> str:
    return f"SELECT Id FROM Invoice WHERE TxnDate >= '2026-01-01' AND TxnDate <= '2026-01-31' STARTPOSITION {position} MAXRESULTS {size}"


def items_query(position: int, size: int, columns: str = "*, Sku") -> str:
    return f"SELECT {columns} FROM Item WHERE Active IN (true, false) STARTPOSITION {position} MAXRESULTS {size}"


def test_document_ids_pages_by_offset_until_a_short_page(http, serve, query_body, sent_queries):
    source = QboSource(http, page_size=2)
    serve(query_body("Invoice", [{"Id": "1", "domain": "QBO", "sparse": True}, {"Id": "2"}]))
    serve(query_body("Invoice", [{"Id": "3"}, {"Id": "4"}]))
    serve(query_body("Invoice", [{"Id": "5"}]))

    ids = source.document_ids(DocumentType.INVOICE, date(2026, 1, 1), date(2026, 1, 31))

    assert ids == {"1", "2", "3", "4", "5"}
    assert sent_queries() == [ids_query(1, 2), ids_query(3, 2), ids_query(5, 2)]


def test_document_ids_of_an_empty_range_is_one_query(source, serve, qbo_json, sent_queries):
    serve(qbo_json("query_empty.json"))

    assert source.document_ids(DocumentType.INVOICE, date(2026, 1, 1), date(2026, 1, 31)) == set()
    assert sent_queries() == [ids_query(1, 1000)]


def test_document_ids_refuses_a_repeated_page(http, serve, query_body):
    source = QboSource(http, page_size=2)
    serve(query_body("Invoice", [{"Id": "1"}, {"Id": "2"}]))
    serve(query_body("Invoice", [{"Id": "1"}, {"Id": "2"}]))

    with pytest.raises(MalformedResponse, match="page repeated"):
        source.document_ids(DocumentType.INVOICE, date(2026, 1, 1), date(2026, 1, 31))


def test_document_ids_refuses_manual_sales(source):
    with pytest.raises(ValueError):
        source.document_ids(DocumentType.MANUAL, date(2026, 1, 1), date(2026, 1, 31))


def test_get_documents_asks_100_ids_at_a_time_and_leaves_out_missing_ones(source, serve, query_body, qbo_json, sent_queries):
    receipt = qbo_json("sales_receipt_cad.json")["SalesReceipt"]
    wanted = [str(n) for n in range(1, 251)] + ["1"]
    serve(query_body("SalesReceipt", [receipt]))
    serve(query_body("SalesReceipt", []))
    serve(query_body("SalesReceipt", [{**receipt, "Id": "201", "TxnDate": None}]))

    documents = source.get_documents(DocumentType.SALES_RECEIPT, iter(wanted))

    assert [type(doc) for doc in documents] == [SalesDocument, DocumentProblem]
    assert [doc.id for doc in documents] == ["1044", "201"]
    queries = sent_queries()
    assert queries[0] == (
        "SELECT * FROM SalesReceipt WHERE Id IN (" + ", ".join(f"'{n}'" for n in range(1, 101)) + ") STARTPOSITION 1 MAXRESULTS 1000"
    )
    assert queries[2].startswith("SELECT * FROM SalesReceipt WHERE Id IN ('201', '202', ")
    assert queries[2].endswith("'250') STARTPOSITION 1 MAXRESULTS 1000")


def test_get_documents_quotes_ids_it_is_given(source, serve, query_body, sent_queries):
    serve(query_body("CreditMemo", []))

    source.get_documents(DocumentType.CREDIT_MEMO, ["12", "3'4"])

    assert sent_queries() == ["SELECT * FROM CreditMemo WHERE Id IN ('12', '3\\'4') STARTPOSITION 1 MAXRESULTS 1000"]


def test_get_documents_without_ids_asks_nothing(source, mocked):
    assert source.get_documents(DocumentType.INVOICE, []) == []
    assert len(mocked.calls) == 0


def test_list_items_pages_with_sku(http, serve, query_body, qbo_json, sent_queries):
    source = QboSource(http, page_size=2)
    item = qbo_json("item.json")["Item"]
    serve(query_body("Item", [item, {"Id": "12", "Name": "Labour", "Type": "Service", "Active": False}]))
    serve(query_body("Item", []))

    items = list(source.list_items())

    assert items == [
        ItemRecord("11", "Brass Bushing 12mm", "Inventory", True, "BB-12-KG"),
        ItemRecord("12", "Labour", "Service", False, None),
    ]
    assert sent_queries() == [items_query(1, 2), items_query(3, 2)]


def test_list_items_falls_back_to_star_when_sku_is_refused(http, serve, query_body, qbo_text, sent_queries):
    source = QboSource(http, page_size=2)
    serve(qbo_text("fault_validation.json"), status=400)
    first, second = {"Id": "1", "Name": "A", "Type": "Service"}, {"Id": "2", "Name": "B", "Type": "Service"}
    serve(query_body("Item", [first, second]))
    serve(query_body("Item", [{"Id": "3", "Name": "C", "Type": "Service"}]))

    assert [item.id for item in source.list_items()] == ["1", "2", "3"]
    assert sent_queries() == [items_query(1, 2), items_query(1, 2, "*"), items_query(3, 2, "*")]


def test_list_items_gives_up_when_the_fallback_is_refused_too(source, serve, qbo_text):
    serve(qbo_text("fault_validation.json"), status=400)
    serve(qbo_text("fault_validation.json"), status=400)

    with pytest.raises(BadRequest):
        list(source.list_items())


def test_get_item_reads_one_item(source, serve, qbo_json, mocked):
    serve(qbo_json("item.json"), url=f"{COMPANY_URL}/item/11")

    assert source.get_item("11") == ItemRecord("11", "Brass Bushing 12mm", "Inventory", True, "BB-12-KG")


def test_get_item_that_does_not_exist_raises_not_found(source, serve, qbo_text):
    serve(qbo_text("fault_object_not_found.json"), status=400, url=f"{COMPANY_URL}/item/404")

    with pytest.raises(NotFound):
        source.get_item("404")


def test_company_name_comes_from_company_info(source, serve, qbo_json):
    serve(qbo_json("company_info.json"), url=f"{COMPANY_URL}/companyinfo/{REALM}")

    assert source.company_name() == "Sandbox Company_US_1"


def test_company_info_without_a_name_is_malformed(source, serve):
    serve({"CompanyInfo": {"LegalName": "x"}, "time": "2026-05-20T10:00:00Z"}, url=f"{COMPANY_URL}/companyinfo/{REALM}")

    with pytest.raises(MalformedResponse):
        source.company_name()


def test_build_source_makes_a_working_sales_source(serve, qbo_json, mocked):
    source: SalesSource = build_source(
        requests.Session(),
        api_base=API_BASE,
        realm_id=REALM,
        tokens=FakeTokens(),
        timeouts=Timeouts(connect=Decimal(2), read=Decimal(30)),
        retry=RetryPolicy(max_retries=0),
    )
    serve(qbo_json("item.json"), url=f"{COMPANY_URL}/item/11")

    assert source.get_item("11").sku == "BB-12-KG"
    assert mocked.calls[0].request.req_kwargs["timeout"] == (2, 30)
