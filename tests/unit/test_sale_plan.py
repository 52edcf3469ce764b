"""A sales document as a costing plan, line by line (domain/sale_plan.py), without a database.

Written where mutation testing found the plan guarded only through the sync (tests/MUTATION.md):
the data are chosen so that a wrong rule gives a different number (a rate other than 1, a
discount that does not split evenly, every kind of line in one document)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from partsemble.domain.documents import CustomerRef, Discount, DocumentLine, DocumentType, LineKind, SalesDocument
from partsemble.domain.sale_plan import DocumentRejected, ItemLink, PlannedLine, item_ids, plan_document, share_discount

ITEMS = {
    "10": ItemLink("10", "Rock Fountain", "Inventory", 1, "finished_good", "Rock Fountain"),
    "20": ItemLink("20", "Brass rod", "Inventory", 2, "component", "Brass rod"),
    "30": ItemLink("30", "Shipping", "Service"),
    "40": ItemLink("40", "Samples", "NonInventory", not_tracked=True),
    "50": ItemLink("50", "Kit part", "Inventory", 5, "sub_assembly", ""),
    "60": ItemLink("60", "Lavender Soap", "Inventory"),
    "70": ItemLink("70", "Gift wrap", "NonInventory"),
}


def item(
    line_id: str, item_id: str | None, quantity: str | None, price: str | None, amount: str, name: str = "", description: str = ""
) -> DocumentLine:
    return DocumentLine(
        line_id,
        LineKind.ITEM,
        item_id,
        name,
        description,
        None if quantity is None else D(quantity),
        None if price is None else D(price),
        D(amount),
    )


def document(
    lines: list[DocumentLine], *, doc_type: DocumentType = DocumentType.INVOICE, rate: str = "1", discounts: tuple[Discount, ...] = ()
) -> SalesDocument:
    return SalesDocument(
        doc_type, "1", "0", "1001", date(2026, 5, 4), CustomerRef("7", "Acme"), tuple(lines), discounts, exchange_rate=D(rate)
    )


def test_every_kind_of_line_is_planned_in_the_home_currency_with_its_share_of_the_discounts_and_only_tracked_lines_are_revenue():
    doc = document(
        [
            item("1", "10", "2", "30", "60", "Rock Fountain", "Fountain"),
            item("2", "20", "4", "10", "40", "Brass rod", "Rod"),
            DocumentLine("3", LineKind.DESCRIPTION, description="Thank you"),
            DocumentLine("4", LineKind.SUBTOTAL, amount=D(100)),
            item("5", "30", "1", "20", "20", "Shipping"),
            DocumentLine("6", LineKind.OTHER, description="?", amount=D(5)),
            item("7", None, None, None, "10", description="Handling"),
            item("8", "40", "3", "0", "0", "Samples"),
            item("9", "50", "1", "7.5", "7.5", "Kit part"),
        ],
        rate="1.25",
        discounts=(Discount(D(7)), Discount(D(3), D(5))),
    )

    plan = plan_document(doc, ITEMS)

    finished_good, component, shipping, handling, kit = "Rock Fountain", "Brass rod", "Shipping", "", "Kit part"
    assert plan.lines == (
        PlannedLine(1, "tracked", "", 1, "10", finished_good, "Fountain", D(2), D("37.5"), D(75), D("5.454545"), D("69.545455"), D(2)),
        PlannedLine(
            2,
            "skipped",
            "Linked to Brass rod (component): only finished goods are costed",
            2,
            "20",
            component,
            "Rod",
            D(4),
            D("12.5"),
            D(50),
            D("3.636364"),
            D(0),
            D(0),
        ),
        PlannedLine(3, "skipped", "Description only", None, "", "", "Thank you", D(0), D(0), D(0), D(0), D(0), D(0)),
        PlannedLine(4, "skipped", "Service item: not stock", None, "30", shipping, "", D(1), D(25), D(25), D("1.818181"), D(0), D(0)),
        PlannedLine(5, "skipped", "Line kind not used for costing", None, "", "", "?", D(0), D(0), D("6.25"), D(0), D(0), D(0)),
        PlannedLine(6, "skipped", "No item on this line", None, "", handling, "Handling", D(0), D(0), D("12.5"), D("0.909091"), D(0), D(0)),
        PlannedLine(7, "skipped", "Item marked not tracked", None, "40", "Samples", "", D(3), D(0), D(0), D(0), D(0), D(0)),
        PlannedLine(
            8,
            "skipped",
            "Linked to a product (sub assembly): only finished goods are costed",
            5,
            "50",
            kit,
            "",
            D(1),
            D("9.375"),
            D("9.375"),
            D("0.681819"),
            D(0),
            D(0),
        ),
    )
    # Skipped lines keep their amount and discount share, but only the finished good is revenue;
    # the document total (every item line less discounts) is kept for reference.
    assert plan.revenue == D("69.545455")
    assert plan.document_total == D("69.545455") + D("46.363636") + D("23.181819") + D("11.590909") + D("8.693181") == D("159.375")
    # The shares of the whole discount (10 at 1.25) add up exactly.
    assert sum(line.discount for line in plan.lines) == D("12.5")


def test_a_credit_memo_brings_goods_back_and_a_quantity_zero_line_adjusts_the_price_only():
    doc = document([item("1", "10", "2", "25", "50"), item("2", "10", "0", "0", "15")], doc_type=DocumentType.CREDIT_MEMO, rate="2")

    plan = plan_document(doc, ITEMS)

    assert [(l.kind, l.skip_reason, l.quantity, l.revenue, l.stock_out, l.unit_price) for l in plan.lines] == [
        ("return", "", D(2), D(-100), D(-2), D(50)),
        ("price_adjustment", "", D(0), D(-30), D(0), D(0)),
    ]
    assert plan.revenue == D(-130)


def test_a_credit_memo_line_with_an_amount_and_no_quantity_is_a_price_adjustment_of_its_product():
    doc = document(
        [
            item("1", "10", "2", "25", "50"),
            item("2", "10", None, None, "30", "Rock Fountain"),
            item("3", "30", "1", "10", "10", "Shipping"),
        ],
        doc_type=DocumentType.CREDIT_MEMO,
        rate="1.25",
        discounts=(Discount(D(9)),),
    )

    plan = plan_document(doc, ITEMS)

    # Discount 9 shared 50:30:10 over all item lines, then at 1.25: the adjustment is -(30 - 3) x 1.25.
    assert [(l.kind, l.product_id, l.quantity, l.amount, l.discount, l.revenue, l.stock_out) for l in plan.lines] == [
        ("return", 1, D(2), D("62.5"), D("6.25"), D("-56.25"), D(-2)),
        ("price_adjustment", 1, D(0), D("37.5"), D("3.75"), D("-33.75"), D(0)),
        ("skipped", None, D(1), D("12.5"), D("1.25"), D(0), D(0)),
    ]
    assert plan.revenue == D("-90.00")
    assert plan.document_total == D("-101.25")


@pytest.mark.parametrize("doc_type", [DocumentType.INVOICE, DocumentType.SALES_RECEIPT])
def test_an_invoice_or_receipt_line_with_an_amount_and_no_quantity_still_fails_the_document(doc_type):
    with pytest.raises(DocumentRejected) as raised:
        plan_document(document([item("1", "10", None, None, "30", "Rock Fountain")], doc_type=doc_type), ITEMS)

    assert raised.value.code == "missing_quantity"


def test_returns_that_are_not_restocked_move_no_stock_and_say_why():
    doc = document([item("1", "10", "2", "25", "50"), item("2", "10", "0", "0", "15")], doc_type=DocumentType.CREDIT_MEMO)

    plan = plan_document(doc, ITEMS, restock_returns=False)

    assert [(l.kind, l.skip_reason, l.stock_out, l.revenue) for l in plan.lines] == [
        ("return", "Not restocked (setting)", D(0), D(-50)),
        ("price_adjustment", "", D(0), D(-15)),
    ]


def test_a_tracked_line_without_quantity_or_amount_is_skipped_and_keeps_its_product():
    doc = document([item("1", "10", None, None, "0", "Rock Fountain"), item("2", "10", "0.5", "4", "2")])

    plan = plan_document(doc, ITEMS)

    assert [(l.position, l.kind, l.skip_reason, l.product_id, l.quantity, l.amount, l.stock_out) for l in plan.lines] == [
        (1, "skipped", "No quantity and no amount", 1, D(0), D(0), D(0)),
        (2, "tracked", "", 1, D("0.5"), D(2), D("0.5")),
    ]


@pytest.mark.parametrize(
    ("line", "code", "message", "item_id", "item_name"),
    [
        (
            item("1", "99", "1", "5", "5", "Mystery"),
            "item_unknown",
            "Item 'Mystery' (Id 99) is not in the item list; refresh the accounting items.",
            "99",
            "Mystery",
        ),
        (
            item("1", "99", "1", "5", "5"),
            "item_unknown",
            "Item '99' (Id 99) is not in the item list; refresh the accounting items.",
            "99",
            "",
        ),
        (
            item("1", "60", "1", "5", "5", "Soap"),
            "item_not_linked",
            "Item 'Lavender Soap' is not linked to a product",
            "60",
            "Lavender Soap",
        ),
        (item("1", "70", "1", "5", "5"), "item_not_linked", "Item 'Gift wrap' is not linked to a product", "70", "Gift wrap"),
        (
            item("1", "10", None, None, "20", "Rock Fountain"),
            "missing_quantity",
            "Line 2 (Rock Fountain) has an amount but no quantity; enter the quantity in the accounting system.",
            "10",
            "Rock Fountain",
        ),
        (
            item("1", "10", "1000000.0001", "0", "0", "Rock Fountain"),
            "too_large",
            "Line 2 (Rock Fountain) is too large to cost: at most 1,000,000 units and 10,000,000,000 in the home currency a line.",
            "10",
            "Rock Fountain",
        ),
        (
            item("1", "10", "-1000000.0001", "0", "0", "Rock Fountain"),
            "too_large",
            "Line 2 (Rock Fountain) is too large to cost: at most 1,000,000 units and 10,000,000,000 in the home currency a line.",
            "10",
            "Rock Fountain",
        ),
        (
            item("1", "10", "1", "0", "-10000000000.000001", description="x" * 50),
            "too_large",
            f"Line 2 ({'x' * 40}) is too large to cost: at most 1,000,000 units and 10,000,000,000 in the home currency a line.",
            "10",
            "",
        ),
        (
            item("1", None, None, None, "10000000001", description="Handling"),
            "too_large",
            "Line 2 (Handling) is too large to cost: at most 1,000,000 units and 10,000,000,000 in the home currency a line.",
            "",
            "",
        ),
    ],
)
def test_a_document_that_cannot_be_costed_is_rejected_with_a_stable_code(line, code, message, item_id, item_name):
    with pytest.raises(DocumentRejected) as raised:
        plan_document(document([item("0", "10", "1", "1", "1"), line]), ITEMS)

    # The first line is fine: the message counts positions from 1 over the whole document.
    assert (raised.value.code, raised.value.message, str(raised.value)) == (code, message, message)
    assert (raised.value.item_id, raised.value.item_name) == (item_id, item_name)


def test_the_largest_line_allowed_is_planned():
    # 1,000,000 units and 10^10 in the home currency (8 * 1.25 * 10^9) are the limits, not beyond them.
    doc = document([item("1", "10", "1000000", "10000", "8000000000")], rate="1.25")

    (line,) = plan_document(doc, ITEMS).lines

    assert (line.quantity, line.amount, line.revenue) == (D(1000000), D(10) ** 10, D(10) ** 10)


def test_a_too_large_amount_is_judged_in_the_home_currency():
    doc = document([item("1", "10", "1", "0", "8000000001")], rate="1.25")

    with pytest.raises(DocumentRejected) as raised:
        plan_document(doc, ITEMS)

    assert raised.value.code == "too_large"


@pytest.mark.parametrize(
    ("amounts", "discount", "shares"),
    [
        (["60", "40", "20", "10", "0"], "10", ["4.615385", "3.076923", "1.538462", "0.769230", "0"]),
        (["10", "-5", "30", "0"], "8", ["2", "0", "6", "0"]),
        (["10", "30"], "0", ["0", "0"]),
        (["-10", "0"], "5", ["0", "0"]),
        (["0.5", "1.5", "0"], "1", ["0.25", "0.75", "0"]),
        (["2", "0.5", "0.5"], "1", ["0.666667", "0.166667", "0.166666"]),
        ([], "5", []),
    ],
)
def test_a_discount_is_shared_by_positive_amounts_and_the_last_sharing_line_takes_the_rounding(amounts, discount, shares):
    assert share_discount([D(a) for a in amounts], D(discount)) == [D(s) for s in shares]


def test_item_ids_are_those_of_item_lines_that_name_an_item():
    doc = document(
        [
            item("1", "10", "1", "1", "1"),
            item("2", None, "1", "1", "1"),
            item("3", "10", "1", "1", "1"),
            DocumentLine("4", LineKind.OTHER, item_id="20"),
            item("5", "30", "1", "1", "1"),
        ]
    )

    assert item_ids(doc) == {"10", "30"}
