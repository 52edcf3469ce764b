"""Property: no mutation of a valid QBO document makes parsing raise."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
from qbo_doubles import load_json

from partsemble.connectors.qbo.parse import parse_document
from partsemble.domain.documents import DocumentProblem, DocumentType, SalesDocument

SAMPLES = [
    (DocumentType.INVOICE, load_json("invoice.json")["Invoice"]),
    (DocumentType.INVOICE, load_json("invoice_voided.json")["Invoice"]),
    (DocumentType.INVOICE, load_json("invoice_bundle.json")["Invoice"]),
    (DocumentType.SALES_RECEIPT, load_json("sales_receipt_cad.json")["SalesReceipt"]),
    (DocumentType.CREDIT_MEMO, load_json("credit_memo.json")["CreditMemo"]),
]

ODD_TEXT = [
    "",
    " ",
    "abc",
    "4.5",
    "NaN",
    "1e400",
    "Voided",
    "2026-02-30",
    "2026-05-04T13:16:17",
    "<script>alert('x')</script>",
    "Ünïcødé – 発注書 😀",
    "\u0000\u202e",
    "２０２６-０５-０４",
]
ODD_NUMBERS = [
    Decimal("NaN"),
    Decimal("-NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    Decimal("1E+400"),
    Decimal("-1E+999999"),
    Decimal("1E-400"),
    Decimal("-0"),
    -(10**40),
]
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(ODD_NUMBERS),
    # Built lazily: past 4300 digits an int has no repr, and Hypothesis reprs its strategies.
    st.just(5000).map(lambda digits: 10**digits),
    st.text(max_size=20),
    st.sampled_from(ODD_TEXT),
)
odd_scalars = st.one_of(st.sampled_from(ODD_NUMBERS), st.sampled_from(ODD_TEXT), st.sampled_from([None, True, [], {}]))
json_like = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)


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


# Keys the parser reads: mutations aim here half the time, the rest anywhere.
READ_KEYS = {
    "Id", "SyncToken", "DocNumber", "TxnDate", "CustomerRef", "CurrencyRef", "value", "name",
    "ExchangeRate", "TotalAmt", "PrivateNote", "MetaData", "CreateTime", "LastUpdatedTime", "Line",
    "Amount", "Description", "SalesItemLineDetail", "ItemRef", "Qty", "UnitPrice", "GroupLineDetail",
    "GroupItemRef", "DiscountLineDetail", "PercentBased", "DiscountPercent", "SubTotalLineDetail",
    "DescriptionLineDetail",
}  # fmt: skip


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


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_parse_never_raises_on_mutated_documents(data: st.DataObject) -> None:
    doc_type, sample = data.draw(st.sampled_from(SAMPLES))
    doc = copy.deepcopy(sample)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        slots = list(_slots(doc))
        scalars = [(c, k) for c, k in slots if isinstance(c[k], (str, int, Decimal)) and not isinstance(c[k], bool)]
        aimed = [(c, k) for c, k in slots if isinstance(c, list) or k in READ_KEYS]
        how = data.draw(st.sampled_from(["odd scalar", "delete", "replace"]))
        if how == "odd scalar" and scalars:
            container, key = data.draw(st.sampled_from(scalars))
            container[key] = data.draw(odd_scalars)
            continue
        container, key = data.draw(st.sampled_from(aimed if aimed and data.draw(st.booleans()) else slots))
        if how == "delete":
            del container[key]
        else:
            container[key] = data.draw(json_like)
        if not doc:
            break

    result = parse_document(doc_type, doc)

    assert isinstance(result, (SalesDocument, DocumentProblem))
    if isinstance(result, DocumentProblem):
        assert result.message.startswith(f"{doc_type} ")
        assert "unexpected" not in result.message, result.message
    else:
        assert all(number.is_finite() for number in _decimals(result))
