"""The query endpoint answers exactly the SELECT subset QBO clients send, in QBO's shapes."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sandbox_harness import stepping_clock

from partsemble.sandbox import ItemDraft, LineInput, SandboxCompany

DATES = ["2026-01-10", "2026-01-15", "2026-01-20", "2026-01-25", "2026-01-31"]
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}-0[78]:00$")


@pytest.fixture
def books(company: SandboxCompany) -> dict[str, Any]:
    """Five invoices on known dates, one sales receipt, two items (one inactive)."""
    company.clock = stepping_clock()  # each change a second after the one before, as if typed by hand
    customer = company.create_customer("Query Test Customer")
    widget = company.create_item(ItemDraft("Widget", "Inventory", "W-1", unit_price=Decimal("10.00")))
    retired = company.create_item(ItemDraft("Retired Widget", "Inventory", "W-OLD", active=False))
    invoices = [
        company.create_document(
            "Invoice", customer_id=customer["Id"], txn_date=date.fromisoformat(day), lines=[LineInput(widget["Id"], Decimal(n + 1))]
        )
        for n, day in enumerate(DATES)
    ]
    receipt = company.create_document(
        "SalesReceipt", customer_id=customer["Id"], txn_date=date(2026, 1, 12), lines=[LineInput(widget["Id"], Decimal("2"))]
    )
    return {"invoices": invoices, "receipt": receipt, "widget": widget, "retired": retired}


def _dates(rows: list[dict[str, Any]]) -> list[str]:
    return [row["TxnDate"] for row in rows]


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("=", ["2026-01-20"]),
        ("<", ["2026-01-10", "2026-01-15"]),
        (">", ["2026-01-25", "2026-01-31"]),
        ("<=", ["2026-01-10", "2026-01-15", "2026-01-20"]),
        (">=", ["2026-01-20", "2026-01-25", "2026-01-31"]),
    ],
)
def test_each_operator_filters_txn_date(api: Any, books: dict[str, Any], operator: str, expected: list[str]) -> None:
    rows = api.rows(f"SELECT * FROM Invoice WHERE TxnDate {operator} '2026-01-20' ORDERBY TxnDate", "Invoice")
    assert _dates(rows) == expected


@pytest.mark.parametrize(
    ("field", "operator", "expected_indexes"),
    [
        ("MetaData.LastUpdatedTime", ">=", [2, 3, 4]),
        ("MetaData.LastUpdatedTime", ">", [3, 4]),
        ("MetaData.LastUpdatedTime", "<", [0, 1]),
        ("MetaData.LastUpdatedTime", "<=", [0, 1, 2]),
        ("MetaData.LastUpdatedTime", "=", [2]),
        ("MetaData.CreateTime", ">=", [2, 3, 4]),
        ("MetaData.CreateTime", "<", [0, 1]),
    ],
)
def test_datetime_operators_compare_instants(
    api: Any, books: dict[str, Any], field: str, operator: str, expected_indexes: list[int]
) -> None:
    pivot = books["invoices"][2]["MetaData"]["LastUpdatedTime"]
    rows = api.rows(f"SELECT * FROM Invoice WHERE {field} {operator} '{pivot}' ORDERBY {field}", "Invoice")
    assert [row["Id"] for row in rows] == [books["invoices"][i]["Id"] for i in expected_indexes]


def test_datetime_literal_in_utc_means_the_same_instant(api: Any, books: dict[str, Any]) -> None:
    from datetime import timezone

    from partsemble.sandbox.clock import parse_timestamp, to_datetime

    pivot = books["invoices"][3]["MetaData"]["LastUpdatedTime"]
    as_utc = to_datetime(parse_timestamp(pivot)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = api.rows(f"SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '{as_utc}'", "Invoice")
    assert [row["Id"] for row in rows] == [books["invoices"][3]["Id"], books["invoices"][4]["Id"]]


def test_conditions_joined_by_and_all_apply(api: Any, books: dict[str, Any]) -> None:
    rows = api.rows("SELECT * FROM Invoice WHERE TxnDate >= '2026-01-15' AND TxnDate <= '2026-01-25' ORDERBY TxnDate", "Invoice")
    assert _dates(rows) == ["2026-01-15", "2026-01-20", "2026-01-25"]


def test_id_in_list_returns_only_those_ids(api: Any, books: dict[str, Any]) -> None:
    wanted = [books["invoices"][1]["Id"], books["invoices"][3]["Id"]]
    rows = api.rows(f"SELECT * FROM Invoice WHERE Id IN ('{wanted[0]}', '{wanted[1]}', '99999')", "Invoice")
    assert sorted(row["Id"] for row in rows) == sorted(wanted)


def test_id_of_another_entity_is_not_found_by_query(api: Any, books: dict[str, Any]) -> None:
    receipt_id = books["receipt"]["Id"]
    assert api.rows(f"SELECT * FROM Invoice WHERE Id = '{receipt_id}'", "Invoice") == []
    assert [r["Id"] for r in api.rows(f"SELECT * FROM SalesReceipt WHERE Id = '{receipt_id}'", "SalesReceipt")] == [receipt_id]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("", {"Widget"}),
        ("WHERE Active = true", {"Widget"}),
        ("WHERE Active = false", {"Retired Widget"}),
        ("WHERE Active IN (true, false)", {"Widget", "Retired Widget"}),
    ],
)
def test_items_are_active_only_unless_the_query_asks_for_inactive(api: Any, books: dict[str, Any], where: str, expected: set[str]) -> None:
    rows = api.rows(f"SELECT * FROM Item {where}", "Item")
    assert {row["Name"] for row in rows} == expected


@pytest.mark.parametrize(("direction", "reverse"), [("", False), (" ASC", False), (" DESC", True)])
def test_orderby_sorts_in_the_direction_asked(api: Any, books: dict[str, Any], direction: str, reverse: bool) -> None:
    rows = api.rows(f"SELECT * FROM Invoice ORDERBY TxnDate{direction}", "Invoice")
    assert _dates(rows) == sorted(DATES, reverse=reverse)


def test_startposition_is_one_based_and_maxresults_counts_rows_returned(api: Any, books: dict[str, Any]) -> None:
    response = api.query("SELECT * FROM Invoice ORDERBY TxnDate STARTPOSITION 2 MAXRESULTS 2")
    body = response.json()["QueryResponse"]
    assert _dates(body["Invoice"]) == DATES[1:3]
    assert (body["startPosition"], body["maxResults"]) == (2, 2)


def test_last_short_page_reports_rows_returned(api: Any, books: dict[str, Any]) -> None:
    body = api.query("SELECT * FROM Invoice ORDERBY TxnDate STARTPOSITION 4 MAXRESULTS 10").json()["QueryResponse"]
    assert (body["startPosition"], body["maxResults"], len(body["Invoice"])) == (4, 2, 2)


def test_maxresults_defaults_to_100(api: Any, company: SandboxCompany) -> None:
    company.generate(
        130, start=date(2026, 1, 1), end=date(2026, 1, 31), seed=3, credit_memo_share=0, sales_receipt_share=0, unlinked_share=0
    )
    body = api.query("SELECT Id FROM Invoice").json()["QueryResponse"]
    assert body["maxResults"] == 100 and len(body["Invoice"]) == 100


def test_empty_result_has_no_entity_key(api: Any, books: dict[str, Any]) -> None:
    response = api.query("SELECT * FROM CreditMemo WHERE TxnDate >= '2026-01-01'")
    body = response.json()
    assert response.status_code == 200
    assert body["QueryResponse"] == {}
    assert set(body) == {"QueryResponse", "time"}
    assert TIME.match(body["time"])


def test_select_id_returns_only_ids(api: Any, books: dict[str, Any]) -> None:
    rows = api.rows("SELECT Id FROM Invoice WHERE TxnDate >= '2026-01-25'", "Invoice")
    assert rows == [
        {"domain": "QBO", "sparse": True, "Id": books["invoices"][3]["Id"]},
        {"domain": "QBO", "sparse": True, "Id": books["invoices"][4]["Id"]},
    ]


@pytest.mark.parametrize(
    ("quirk", "select", "has_sku"),
    [
        (False, "SELECT *", True),
        (False, "SELECT *, Sku", True),
        (True, "SELECT *", False),
        (True, "SELECT *, Sku", True),
    ],
)
def test_sku_is_returned_unless_the_quirk_hides_it_from_select_star(
    api: Any, company: SandboxCompany, books: dict[str, Any], quirk: bool, select: str, has_sku: bool
) -> None:
    company.set_quirk("sku_only_when_selected", quirk)
    rows = api.rows(f"{select} FROM Item WHERE Active IN (true, false)", "Item")
    assert {row["Name"]: "Sku" in row for row in rows} == {"Widget": has_sku, "Retired Widget": has_sku}


def test_keywords_and_names_are_case_insensitive(api: Any, books: dict[str, Any]) -> None:
    rows = api.rows("select * from invoice where txndate >= '2026-01-25' orderby txndate desc maxresults 5", "Invoice")
    assert _dates(rows) == ["2026-01-31", "2026-01-25"]


def test_amounts_are_exact_decimal_numbers_in_the_json_text(api: Any, books: dict[str, Any]) -> None:
    response = api.query(f"SELECT * FROM Invoice WHERE Id = '{books['invoices'][0]['Id']}'")
    assert '"UnitPrice":10.00' in response.text and '"Amount":10.00' in response.text
    line = json.loads(response.text, parse_float=Decimal)["QueryResponse"]["Invoice"][0]["Line"][0]
    assert line["Amount"] == Decimal("10.00") and isinstance(line["Amount"], Decimal)


@pytest.mark.parametrize(
    ("query", "entity"),
    [
        (
            "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '2026-01-01T00:00:00-08:00' AND TxnDate >= "
            "'2026-01-01' ORDERBY MetaData.LastUpdatedTime STARTPOSITION 1 MAXRESULTS 1000",
            "Invoice",
        ),
        ("SELECT Id FROM Invoice WHERE TxnDate >= '2026-01-01' AND TxnDate <= '2026-01-31' STARTPOSITION 1 MAXRESULTS 1000", "Invoice"),
        ("SELECT * FROM SalesReceipt WHERE Id IN ('12', '15') STARTPOSITION 1 MAXRESULTS 1000", None),
        ("SELECT *, Sku FROM Item WHERE Active IN (true, false) STARTPOSITION 1 MAXRESULTS 1000", "Item"),
    ],
)
def test_the_queries_partsemble_sends_are_answered(api: Any, books: dict[str, Any], query: str, entity: str | None) -> None:
    response = api.query(query)
    assert response.status_code == 200, response.text
    body = response.json()["QueryResponse"]
    if entity is None:
        assert body == {}
    else:
        assert body["startPosition"] == 1 and body["maxResults"] == len(body[entity]) > 0


def test_deleted_documents_are_never_returned(api: Any, company: SandboxCompany, books: dict[str, Any]) -> None:
    gone = books["invoices"][2]["Id"]
    company.delete_document("Invoice", gone)
    for query in ("SELECT * FROM Invoice", f"SELECT * FROM Invoice WHERE Id = '{gone}'", "SELECT Id FROM Invoice"):
        assert gone not in [row["Id"] for row in api.rows(query, "Invoice")]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM Invoice WHERE",
        "SELECT FROM Invoice",
        "SELECT * Invoice",
        "SELECT * FROM Invoice WHERE TxnDate ~ '2026-01-01'",
        "SELECT * FROM Invoice WHERE TxnDate != '2026-01-01'",
        "SELECT * FROM Invoice WHERE TxnDate >= '2026-01-01' OR Id = '1'",
        "SELECT * FROM Invoice MAXRESULTS 10 STARTPOSITION 1",
        "SELECT * FROM Invoice WHERE Id IN ('1', '2'",
        "SELECT COUNT(*) FROM Invoice",
        "",
    ],
)
def test_malformed_queries_are_query_parser_errors(api: Any, books: dict[str, Any], query: str) -> None:
    response = api.query(query)
    fault = response.json()["Fault"]
    assert response.status_code == 400
    assert fault["type"] == "ValidationFault"
    assert (fault["Error"][0]["code"], fault["Error"][0]["Message"]) == ("4000", "Error parsing query")
    assert fault["Error"][0]["Detail"].startswith("QueryParserError: ")


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("SELECT * FROM Invoice MAXRESULTS 1001", "value 1001 is too large. Max allowed value is 1000"),
        ("SELECT * FROM Invoice MAXRESULTS 0", "value 0 is too small"),
        ("SELECT * FROM Invoice STARTPOSITION 0", "value 0 is too small"),
        ("SELECT * FROM Invoice WHERE Active = true", "property 'Active' is not queryable"),
        ("SELECT * FROM Item WHERE TxnDate >= '2026-01-01'", "property 'TxnDate' is not queryable"),
        ("SELECT * FROM Invoice WHERE Balance > '0'", "property 'Balance' is not queryable"),
        ("SELECT * FROM Invoice WHERE DocNumber LIKE '10%'", "property 'DocNumber' is not queryable"),
        ("SELECT * FROM Payment", "Entity 'Payment'"),
        ("SELECT *, Sku FROM Invoice", "property 'Sku' is not queryable"),
        ("SELECT * FROM Invoice WHERE TxnDate >= 'January'", "is not a valid Date"),
        ("SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= 'soon'", "is not a valid DateTime"),
        ("SELECT * FROM Item WHERE Active = 'yes'", "is not a valid Boolean"),
    ],
)
def test_queries_qbo_would_refuse_are_validation_errors(api: Any, books: dict[str, Any], query: str, detail: str) -> None:
    response = api.query(query)
    error = response.json()["Fault"]["Error"][0]
    assert response.status_code == 400
    assert (error["code"], error["Message"]) == ("4001", "Invalid query")
    assert error["Detail"].startswith("QueryValidationError: ") and detail in error["Detail"]
    assert TIME.match(response.json()["time"])


def test_a_syntax_error_names_where_it_happened(api: Any, books: dict[str, Any]) -> None:
    error = api.query("SELECT * FROM Invoice WHERE").json()["Fault"]["Error"][0]
    assert (error["code"], error["Message"]) == ("4000", "Error parsing query")
    assert error["Detail"].startswith("QueryParserError: Encountered") and "column 28" in error["Detail"]


def test_the_query_may_also_be_posted_as_text(api: Any, books: dict[str, Any]) -> None:
    response = api.session.post(
        api.url("query"),
        data="SELECT * FROM Invoice WHERE TxnDate = '2026-01-31'",
        headers={"Authorization": f"Bearer {api.access_token}", "Content-Type": "application/text"},
        params={"minorversion": "75"},
        timeout=10,
    )
    assert _dates(response.json()["QueryResponse"]["Invoice"]) == ["2026-01-31"]
