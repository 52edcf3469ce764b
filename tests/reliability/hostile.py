"""Hypothesis strategies for QBO sales documents as a careless or hostile upstream could send them:
missing fields, wrong types, numbers as text, NaN and Infinity, absurd quantities, unknown line
kinds, hundreds of lines, bundles in bundles, markup and odd unicode in every text field,
repeated document numbers, dates from year 1 to 9999."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

KNOWN_ITEMS = ("1", "2", "3", "8")  # linked finished good x2, linked component, service
PAYLOADS = (
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "{{7*7}}",
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "Ünïcødé ☃ 𝔘 \u202e",
    "\u200b",
    "a\x00b",
    "line\nbreak",
    "'; DROP TABLE sales;--",
)
MISSING = object()  # a key left out of the document

texts = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(max_size=30),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=60, max_size=300),
)
numbers = st.one_of(
    st.integers(min_value=-5, max_value=50),
    st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=4),
    st.sampled_from(
        [
            Decimal("NaN"),
            Decimal("Infinity"),
            Decimal("-Infinity"),
            Decimal("1E+15"),
            Decimal("1E-30"),
            Decimal("0.00001"),
            Decimal("-0"),
            10**30,
            float("nan"),
            float("inf"),
            2.5,
        ]
    ),
)
wrong_types = st.one_of(st.none(), st.booleans(), st.just([]), st.just({}), st.just([1, 2]), texts)
numberish = st.one_of(numbers, numbers.map(lambda n: str(n)), wrong_types)
ids = st.one_of(st.integers(1, 40).map(str), st.just(""), st.text(min_size=65, max_size=80), st.integers(1, 40), st.none())
days = st.one_of(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 3, 31)).map(date.isoformat),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.sampled_from(["2026-02-30", "2026-13-01", "yesterday", "2026/02/01", "", "20260201"]),
    st.integers(),
    st.none(),
)
moments = st.one_of(
    st.sampled_from(["2026-02-01T10:00:00-08:00", "2026-02-01T10:00:00", "not a time", "9999-12-31T23:59:59+14:00"]), wrong_types
)


def tame_for_postgresql(value: Any, key: str = "") -> Any:
    """The document without what PostgreSQL is already known to refuse (NUL in text, an Id over 64 or a
    SyncToken over 32 characters), so a property keeps finding new failures instead of those."""
    if isinstance(value, str):
        value = value.replace("\x00", "")
        return value[:64] if key == "Id" else value[:32] if key == "SyncToken" else value
    if isinstance(value, dict):
        return {k: tame_for_postgresql(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [tame_for_postgresql(v) for v in value]
    return value


def maybe(value: st.SearchStrategy[Any], missing_weight: int = 1) -> st.SearchStrategy[Any]:
    """The value, or the key left out altogether."""
    return st.one_of(*([st.just(MISSING)] * missing_weight), value)


def build(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not MISSING}


item_refs = st.one_of(
    st.fixed_dictionaries({"value": st.sampled_from(KNOWN_ITEMS), "name": maybe(texts)}).map(build),
    st.fixed_dictionaries({"value": st.one_of(ids, st.just("77")), "name": maybe(texts)}).map(build),
    wrong_types,
)


def item_line() -> st.SearchStrategy[dict[str, Any]]:
    detail = st.fixed_dictionaries({"ItemRef": maybe(item_refs), "Qty": maybe(numberish), "UnitPrice": maybe(numberish)}).map(build)
    return st.fixed_dictionaries(
        {
            "Id": maybe(ids),
            "Description": maybe(texts),
            "Amount": maybe(numberish, 1),
            "DetailType": st.just("SalesItemLineDetail"),
            "SalesItemLineDetail": st.one_of(detail, wrong_types),
        }
    ).map(build)


def other_line() -> st.SearchStrategy[dict[str, Any]]:
    kind = st.sampled_from(
        ["DiscountLineDetail", "SubTotalLineDetail", "DescriptionOnly", "DescriptionLineDetail", "TaxLineDetail", "Whatever"]
    )
    return st.builds(
        lambda k, amount, description, percent: build(
            {
                "Amount": amount,
                "Description": description,
                "DetailType": k,
                k: {"PercentBased": True, "DiscountPercent": percent} if k == "DiscountLineDetail" else {},
            }
        ),
        kind,
        maybe(numberish),
        maybe(texts),
        numberish,
    )


def lines(depth: int = 0) -> st.SearchStrategy[list[Any]]:
    single = st.one_of(item_line(), other_line(), wrong_types)
    if depth < 4:
        group = st.builds(
            lambda name, inner: {
                "DetailType": "GroupLineDetail",
                "Amount": 0,
                "GroupLineDetail": {"GroupItemRef": {"value": "50", "name": name}, "Quantity": 1, "Line": inner},
            },
            texts,
            st.deferred(lambda: lines(depth + 1)),
        )
        single = st.one_of(single, group)
    return st.lists(single, max_size=6 if depth else 12)


# 750 lines, once in a while: the size QBO allows on one document.
many_lines = st.builds(
    lambda qty: [
        {
            "Amount": Decimal(3),
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": qty, "UnitPrice": Decimal(3) / qty},
        }
        for _ in range(750)
    ],
    st.sampled_from([Decimal(1), Decimal("0.5")]),
)

documents = st.fixed_dictionaries(
    {
        "Id": ids,
        "SyncToken": maybe(st.one_of(st.integers(0, 9).map(str), st.integers(0, 9), st.text(max_size=40)), 1),
        "DocNumber": maybe(st.one_of(st.sampled_from(["1001", "1001", "1002"]), texts, st.integers())),
        "TxnDate": maybe(days, 1),
        "CustomerRef": maybe(st.one_of(st.fixed_dictionaries({"value": maybe(ids), "name": maybe(texts)}).map(build), wrong_types)),
        "CurrencyRef": maybe(st.one_of(st.fixed_dictionaries({"value": st.sampled_from(["USD", "EUR", "XXXX", ""])}), wrong_types)),
        "ExchangeRate": maybe(numberish),
        "TotalAmt": maybe(numberish, 1),
        "PrivateNote": maybe(st.one_of(texts, st.just("Voided"), st.just("Voided - by the bookkeeper"))),
        "MetaData": maybe(
            st.one_of(st.fixed_dictionaries({"CreateTime": maybe(moments), "LastUpdatedTime": maybe(moments)}).map(build), wrong_types)
        ),
        "Line": maybe(st.one_of(*[lines()] * 6, many_lines, wrong_types), 1),
    }
).map(build)
