"""Property: no mutation of a valid Xero document makes parsing raise, and every problem names its field."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
from xero_doubles import ITEM_ID, credit_note, invoice, line, receive_money

from partsemble.connectors.xero.parse import parse_document
from partsemble.domain.documents import DocumentProblem, DocumentType, SalesDocument

SAMPLES = [
    (DocumentType.INVOICE, invoice()),
    (DocumentType.INVOICE, invoice(line(Item=None), line(DiscountRate=10, LineAmount=90), LineAmountTypes="Inclusive", Status="PAID")),
    (DocumentType.INVOICE, invoice(Status="VOIDED", CurrencyCode="EUR", CurrencyRate=Decimal("1.6"))),
    (DocumentType.CREDIT_MEMO, credit_note()),
    (DocumentType.SALES_RECEIPT, receive_money(LineItems=[line(DiscountAmount=5, LineAmount=None)], Contact=None)),
]
CODES = {"FOUNT-ROCK": ITEM_ID}

ODD_TEXT = [
    "",
    " ",
    "abc",
    "4.5",
    "NaN",
    "/Date()/",
    "/Date(-99999999999999)/",
    "/Date(1777852800000+9999)/",
    "/Date(1777852800000+0000)",
    "2026-02-30T00:00:00",
    "0001-01-01T00:00:00-23:59",
    "9999-12-31T23:59:59+00:00",
    "Ünïcødé – 発注書 😀",
    "\u0000\u202e",
]
ODD_NUMBERS = [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("1E+400"), Decimal("1E-400"), Decimal("-0"), -(10**40), 10**11]
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(ODD_NUMBERS),
    st.text(max_size=20),
    st.sampled_from(ODD_TEXT),
)
json_like = st.recursive(
    leaves, lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3), max_leaves=6
)

# Every field the parser reads: a problem must name one of them (or the line it is on).
READ_KEYS = {
    "InvoiceID", "CreditNoteID", "BankTransactionID", "InvoiceNumber", "CreditNoteNumber", "Reference", "Type",
    "Status", "UpdatedDateUTC", "UpdatedDateUTCString", "Date", "DateString", "Contact", "ContactID", "Name",
    "CurrencyCode", "CurrencyRate", "LineAmountTypes", "LineItems", "Total", "LineItemID", "Description",
    "Quantity", "UnitAmount", "Item", "ItemID", "ItemCode", "LineAmount", "TaxAmount", "DiscountRate", "DiscountAmount",
}  # fmt: skip


def _slots(value: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key) pair inside a JSON-like value, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield value, key
            yield from _slots(item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield value, index
            yield from _slots(item)


def _decimals(value: Any) -> Iterator[Decimal]:
    if isinstance(value, Decimal):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _decimals(item)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            if name != "raw":
                yield from _decimals(getattr(value, name))


def _names_a_field(message: str) -> bool:
    reason = message.split(": ", 1)[1]
    first_word = reason.split(" ", 1)[0]
    return all(part in READ_KEYS for part in first_word.split(".")) or (first_word == "Line" and reason.split(" ")[1].isdigit())


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_documents_never_raise_and_every_problem_names_its_field(data: st.DataObject) -> None:
    doc_type, sample = data.draw(st.sampled_from(SAMPLES))
    doc = copy.deepcopy(sample)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        slots = list(_slots(doc))
        aimed = [(c, k) for c, k in slots if isinstance(c, list) or k in READ_KEYS]
        container, key = data.draw(st.sampled_from(aimed if aimed and data.draw(st.booleans()) else slots))
        if data.draw(st.booleans()):
            del container[key]
        else:
            container[key] = data.draw(json_like)
        if not doc:
            break

    result = parse_document(doc_type, doc, CODES)

    assert isinstance(result, (SalesDocument, DocumentProblem))
    if isinstance(result, DocumentProblem):
        assert result.message.startswith(f"{doc_type} "), result.message
        assert "unexpected" not in result.message, result.message
        assert _names_a_field(result.message), result.message
    else:
        assert all(number.is_finite() for number in _decimals(result))


@given(payload=json_like)
def test_anything_at_all_is_a_problem_or_a_document(payload: Any) -> None:
    result = parse_document(DocumentType.INVOICE, payload, CODES)
    assert isinstance(result, (SalesDocument, DocumentProblem))
    if isinstance(result, DocumentProblem):
        assert "unexpected" not in result.message, result.message
