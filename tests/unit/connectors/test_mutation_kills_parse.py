"""What the QBO parser promises in detail, each pinned where mutation testing found it unguarded
(tests/MUTATION.md): the field each message names, the length at which a bad value is cut, the
warning an unreadable server clock leaves, and what a bundle without a name becomes."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import pytest

from partsemble.connectors.errors import MalformedResponse
from partsemble.connectors.qbo.fields import shown
from partsemble.connectors.qbo.parse import parse_document, parse_item, parse_server_time
from partsemble.domain.documents import DocumentProblem, DocumentType, SalesDocument


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a" * 38, "'" + "a" * 38 + "'"),  # repr of 40 characters: shown whole
        ("a" * 39, "'" + "a" * 36 + "..."),  # 41: cut to 37 and an ellipsis
    ],
)
def test_a_bad_value_is_shown_whole_up_to_40_characters_and_cut_beyond(value, expected):
    assert shown(value) == expected


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"Id": "3", "Name": "x", "Type": 5}, "Item 3: Type is not text (5)"),
        ({"Id": "3", "Name": "x", "Type": "Inventory", "Sku": 12}, "Item 3: Sku is not text (12)"),
    ],
)
def test_an_item_field_of_the_wrong_type_is_named_in_the_error(payload, message):
    with pytest.raises(MalformedResponse) as raised:
        parse_item(payload)

    assert str(raised.value) == message


def test_an_unreadable_server_time_leaves_a_warning_that_quotes_it(caplog):
    with caplog.at_level(logging.WARNING, logger="partsemble.connectors.qbo.parse"):
        assert parse_server_time({"time": "2026-05-20T10:00:00"}) is None

    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "QBO response time '2026-05-20T10:00:00' is not a date-time with offset"),
    ]


def _bundle(detail: Any) -> dict[str, Any]:
    return {
        "Id": "61",
        "SyncToken": "0",
        "DocNumber": "1061",
        "TxnDate": "2026-05-04",
        "TotalAmt": 10,
        "Line": [{"Id": "1", "Amount": 10, "DetailType": "GroupLineDetail", "GroupLineDetail": detail}],
    }


@pytest.mark.parametrize(
    ("detail", "message"),
    [
        ("kit", "Invoice 1061: Line 1 GroupLineDetail is not an object ('kit')"),
        ({"GroupItemRef": "kit", "Line": []}, "Invoice 1061: Line 1 GroupItemRef is not an object ('kit')"),
        ({"GroupItemRef": {"name": "Kit"}, "Line": {}}, "Invoice 1061: Line 1 GroupLineDetail.Line is not a list ({})"),
        ({"GroupItemRef": {"name": 5}, "Line": []}, "Invoice 1061: Line 1 GroupItemRef.name is not text (5)"),
    ],
)
def test_a_malformed_bundle_names_the_field_inside_it(detail, message):
    problem = parse_document(DocumentType.INVOICE, _bundle(detail))

    assert isinstance(problem, DocumentProblem)
    assert problem.message == message


def test_a_bundle_without_an_item_reference_gives_its_lines_no_group_name():
    inner = {"Id": "2", "Amount": 10, "SalesItemLineDetail": {"ItemRef": {"value": "5"}, "Qty": 1}}

    doc = parse_document(DocumentType.INVOICE, _bundle({"Line": [inner]}))

    assert isinstance(doc, SalesDocument)
    assert [(line.item_id, line.group_name) for line in doc.lines] == [("5", "")]


def _invoice(lines: list[Any], **fields: Any) -> dict[str, Any]:
    return {"Id": "42", "SyncToken": "0", "DocNumber": "1042", "TxnDate": "2026-05-04", "TotalAmt": 10, "Line": lines, **fields}


def _item(**fields: Any) -> dict[str, Any]:
    detail = {"ItemRef": {"value": "5", "name": "Rock Fountain"}, "Qty": 1, **fields.pop("detail", {})}
    return {"Id": "1", "Amount": 10, "SalesItemLineDetail": detail, **fields}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (_invoice([], DocNumber=1042), "Invoice (Id 42): DocNumber is not text (1042)"),
        (_invoice([], SyncToken="7" * 33), f"Invoice 1042: SyncToken is longer than 32 characters ('{'7' * 33}')"),
        (_invoice([_item(Id=1)]), "Invoice 1042: Line 1 Id is not text (1)"),
        (_invoice([_item(Description=5)]), "Invoice 1042: Line 1 Description is not text (5)"),
        (_invoice([_item(detail={"ItemRef": "5"})]), "Invoice 1042: Line 1 ItemRef is not an object ('5')"),
        (_invoice([_item(detail={"ItemRef": {"value": "5", "name": 5}})]), "Invoice 1042: Line 1 ItemRef.name is not text (5)"),
        (_invoice([_item(detail={"ItemRef": {"name": "Rock Fountain"}})]), "Invoice 1042: Line 1 ItemRef.value is missing"),
        (_invoice([{"Id": "1", "Amount": 10, "SalesItemLineDetail": None}]), "Invoice 1042: Line 1 SalesItemLineDetail is missing"),
        (_invoice([{"Amount": 3, "DiscountLineDetail": "10%"}]), "Invoice 1042: Line 1 DiscountLineDetail is not an object ('10%')"),
        (
            _invoice([{"Amount": 3, "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": "10"}}]),
            "Invoice 1042: Line 1 DiscountPercent is not a number ('10')",
        ),
        (_invoice([{"Amount": "3", "SubTotalLineDetail": {}}]), "Invoice 1042: Line 1 Amount is not a number ('3')"),
        (_invoice([{"Id": 3, "SubTotalLineDetail": {}}]), "Invoice 1042: Line 1 Id is not text (3)"),
        (_invoice([{"Description": 3, "DescriptionOnly": {}}]), "Invoice 1042: Line 1 Description is not text (3)"),
        (_invoice([{"Id": 3}]), "Invoice 1042: Line 1 Id is not text (3)"),
        (_invoice([], CurrencyRef="USD"), "Invoice 1042: CurrencyRef is not an object ('USD')"),
        (_invoice([], CustomerRef={"name": "Acme"}), "Invoice 1042: CustomerRef.value is missing"),
        (_invoice([], CustomerRef={"value": "7", "name": 5}), "Invoice 1042: CustomerRef.name is not text (5)"),
        (_invoice([], ExchangeRate="1.1"), "Invoice 1042: ExchangeRate is not a number ('1.1')"),
        (_invoice([], PrivateNote=5), "Invoice 1042: PrivateNote is not text (5)"),
        (_invoice([], MetaData="x"), "Invoice 1042: MetaData is not an object ('x')"),
        (_invoice([], MetaData={"CreateTime": 5}), "Invoice 1042: MetaData.CreateTime is not text (5)"),
        (_invoice([], TotalAmt=10**12), "Invoice 1042: TotalAmt is out of range (1000000000000)"),
        (_invoice([], TotalAmt=Decimal("1E+12")), "Invoice 1042: TotalAmt is out of range (Decimal('1E+12'))"),
    ],
)
def test_each_malformed_field_is_named_in_the_problem(payload, message):
    problem = parse_document(DocumentType.INVOICE, payload)

    assert isinstance(problem, DocumentProblem)
    assert problem.message == message


def test_the_longest_id_and_sync_token_allowed_are_read():
    doc = parse_document(DocumentType.INVOICE, _invoice([], Id="9" * 64, SyncToken="7" * 32))

    assert isinstance(doc, SalesDocument)
    assert (doc.id, doc.version) == ("9" * 64, "7" * 32)


def test_an_item_line_without_an_item_reference_has_no_item():
    line = {"Id": "1", "Amount": 10, "SalesItemLineDetail": {"Qty": 1}}

    doc = parse_document(DocumentType.INVOICE, _invoice([line]))

    assert isinstance(doc, SalesDocument)
    assert [(l.item_id, l.item_name) for l in doc.lines] == [(None, "")]


def test_text_lines_keep_their_id_and_the_bundle_they_are_in():
    bundle = {
        "Id": "1",
        "GroupLineDetail": {"GroupItemRef": {"name": "Kit"}, "Line": [{"Id": "2", "Description": "inside", "DescriptionOnly": {}}]},
    }
    lines = [bundle, {"Id": "3", "Amount": 10, "SubTotalLineDetail": {}}, {"Id": "4", "Description": "?"}]

    doc = parse_document(DocumentType.INVOICE, _invoice(lines))

    assert isinstance(doc, SalesDocument)
    assert [(l.line_id, l.kind.value, l.description, l.group_name) for l in doc.lines] == [
        ("2", "description", "inside", "Kit"),
        ("3", "subtotal", "", ""),
        ("4", "other", "?", ""),
    ]


def test_metadata_without_times_leaves_them_unknown():
    doc = parse_document(DocumentType.INVOICE, _invoice([], MetaData={}))

    assert isinstance(doc, SalesDocument)
    assert (doc.created_at, doc.updated_at) == (None, None)


def test_a_problem_without_id_or_number_says_so():
    payload = _invoice([])
    del payload["Id"], payload["DocNumber"]

    problem = parse_document(DocumentType.INVOICE, payload)

    assert isinstance(problem, DocumentProblem)
    assert (problem.id, problem.number, problem.message) == ("", "", "Invoice (no Id): Id is missing")


def test_a_problem_keeps_an_overlong_id_and_number_cut_to_64_characters():
    payload = _invoice([], Id="1" * 70, DocNumber="N" * 70)

    problem = parse_document(DocumentType.INVOICE, payload)

    assert isinstance(problem, DocumentProblem)
    assert (problem.id, problem.number) == ("1" * 64, "N" * 64)
    assert problem.message.startswith(f"Invoice {'N' * 64}: Id is longer than 64 characters")


@pytest.mark.parametrize("total", [10**12 - 1, Decimal("999999999999.99")], ids=["int", "decimal"])
def test_a_total_just_below_a_trillion_is_read(total):
    doc = parse_document(DocumentType.INVOICE, _invoice([], TotalAmt=total))

    assert isinstance(doc, SalesDocument)
    assert doc.total_amount == total


def test_the_highest_exchange_rate_allowed_is_read():
    doc = parse_document(DocumentType.INVOICE, _invoice([], ExchangeRate=10**6))

    assert isinstance(doc, SalesDocument)
    assert doc.exchange_rate == Decimal(10**6)


def test_a_document_that_is_not_an_object_is_a_problem_with_nothing_readable():
    problem = parse_document(DocumentType.SALES_RECEIPT, "Invoice")

    assert problem == DocumentProblem(
        DocumentType.SALES_RECEIPT, "", "", "", None, "SalesReceipt (no Id): the document is not an object ('Invoice')"
    )
    assert isinstance(problem, DocumentProblem) and problem.raw is None


class _Exploding(Mapping[str, Any]):
    """A payload whose Line cannot even be looked at: a bug in reading it must cost one document."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __getitem__(self, key: str) -> Any:
        if key == "Line":
            raise RuntimeError("boom")
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


def test_an_unexpected_failure_costs_one_document_and_is_logged(caplog):
    payload = _Exploding(_invoice([{"Id": "1"}], CustomerRef={"value": "7", "name": "Acme"}))

    with caplog.at_level(logging.ERROR, logger="partsemble.connectors.qbo.parse"):
        problem = parse_document(DocumentType.CREDIT_MEMO, payload)

    assert isinstance(problem, DocumentProblem)
    assert (problem.type, problem.id, problem.number, problem.customer_name, problem.message) == (
        DocumentType.CREDIT_MEMO,
        "42",
        "1042",
        "Acme",
        "CreditMemo 1042: could not be read (unexpected RuntimeError)",
    )
    assert problem.raw is payload
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.ERROR, "unexpected failure parsing a QBO CreditMemo"),
    ]


def test_a_blank_required_field_is_empty_and_nul_characters_are_dropped():
    blank = parse_document(DocumentType.INVOICE, _invoice([], SyncToken="  "))
    nul = parse_document(DocumentType.INVOICE, _invoice([], DocNumber="10\x0042"))

    assert isinstance(blank, DocumentProblem) and blank.message == "Invoice 1042: SyncToken is empty"
    assert isinstance(nul, SalesDocument) and nul.number == "1042"
