"""Rules of SPEC.md that a plausible one-line mistake would break, each built so the mistake
changes the number: same-day lots, touched lots for shortfalls, a rate other than 1, description
lines with amounts, a sale after the credit memo, an unlinked NonInventory item.

Where the fast path (drawing as facts arrive in date order) and the date-order replay (facts
that arrive late) could each make the mistake, the test enters the facts both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from partsemble.costing.apply import ApplyContext, apply_document
from partsemble.domain.documents import DocumentType, LineKind
from partsemble.domain.sale_plan import DocumentRejected, ItemLink
from partsemble.extensions import db
from partsemble.models.catalog import Product
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import Sale
from tests import factories
from tests.documents import doc, line
from tests.integration.test_costing_rules import apply, sale, shop  # noqa: F401  (shop is a fixture)

D = Decimal
CM = DocumentType.CREDIT_MEMO
JAN = lambda day: date(2026, 1, day)  # noqa: E731


def lot(shop, qty: str, cost: str, day: date, number: str) -> Lot:  # type: ignore[no-untyped-def]
    return factories.lot(db.session.get(Product, shop["a"]), qty, cost, day, number)


def invoice(doc_id: str, qty: str, day: date, minute: int = 0):  # type: ignore[no-untyped-def]
    created = datetime(2026, 1, 1, 12, minute, tzinfo=timezone.utc)
    return replace(doc(doc_id, [line("1", qty, str(D(qty) * 10))], day=day), created_at=created)


def draws(doc_id: str, doc_type: str = "Invoice") -> list[tuple[str, Decimal, Decimal]]:
    return [(c.lot.lot_number, c.quantity, c.unit_cost) for ln in sale(doc_id, doc_type).lines for c in ln.consumptions]


def lots_left(shop) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    return dict(db.session.execute(select(Lot.lot_number, Lot.quantity_remaining).where(Lot.product_id == shop["a"])).tuples().all())


def enter(steps: dict[str, Callable[[], object]], order: list[str]) -> None:
    for step in order:
        steps[step]()


# Lots first: each sale draws as it comes (the fast path). Sales first: the lots arrive late and
# the product is re-costed by the date-order replay.
ORDERS = {"lots first": ["lots", "sales"], "sales first": ["sales", "lots"]}


@pytest.mark.parametrize("order", list(ORDERS), ids=list(ORDERS))
def test_lots_received_the_same_day_are_drawn_lowest_id_first(shop, order) -> None:  # type: ignore[no-untyped-def]
    def lots() -> None:
        lot(shop, "10", "2", JAN(1), "FIRST")  # the lower id
        lot(shop, "10", "5", JAN(1), "SECOND")

    enter({"lots": lots, "sales": lambda: apply(shop, invoice("1", "12", JAN(10)))}, ORDERS[order])
    assert draws("1") == [("FIRST", D(10), D(2)), ("SECOND", D(2), D(5))]
    assert sale("1").cost == D(30)  # newest id first would give 10 x 5 + 2 x 2 = 54
    assert lots_left(shop) == {"FIRST": D(0), "SECOND": D(8)}


@pytest.mark.parametrize("order", list(ORDERS), ids=list(ORDERS))
def test_a_shortfall_is_costed_at_the_active_lots_average_just_before_the_draw(shop, order) -> None:  # type: ignore[no-untyped-def]
    # Touched lots, so the three candidate averages differ: when invoice 2 draws, OLD is exhausted,
    # MID holds 2 of its 10 and NEW all 10.
    #   active lots, by what they hold:     (2 x 2 + 10 x 8) / 12 = 7        (the rule)
    #   every lot ever received:            (10 x 1 + 10 x 2 + 10 x 8) / 30 = 3.666667
    #   active lots, by what they received: (10 x 2 + 10 x 8) / 20 = 5
    def lots() -> None:
        lot(shop, "10", "1", JAN(1), "OLD")
        lot(shop, "10", "2", JAN(2), "MID")
        lot(shop, "10", "8", JAN(3), "NEW")

    def sales() -> None:
        apply(shop, invoice("1", "18", JAN(10)))
        apply(shop, invoice("2", "14", JAN(11), minute=1))

    enter({"lots": lots, "sales": sales}, ORDERS[order])
    assert draws("1") == [("OLD", D(10), D(1)), ("MID", D(8), D(2))]
    assert draws("2") == [("MID", D(2), D(2)), ("NEW", D(10), D(8))]
    short = sale("2").lines[0]
    assert (short.shortage_quantity, short.shortage_unit_cost, short.shortage_cost) == (D(2), D(7), D(14))
    assert (sale("2").cost, sale("2").shortage, sale("2").no_cost_basis) == (D(98), True, False)
    assert db.session.get(Product, shop["a"]).stock_on_hand == D(-2)


def test_a_document_discount_share_is_converted_at_the_exchange_rate(shop) -> None:  # type: ignore[no-untyped-def]
    lot(shop, "10", "3", JAN(1), "A")
    # CAD 100 of candles and CAD 50 of shipping, CAD 30 off the document: shares 20 and 10, at 1.25.
    apply(shop, doc("1", [line("1", "2", "100"), line("8", None, "50")], discounts=("30",), currency="CAD", rate="1.25"))
    s = sale("1")
    assert [(ln.kind, ln.amount, ln.discount, ln.revenue) for ln in s.lines] == [
        ("tracked", D("125"), D("25"), D("100")),  # (100 - 20) x 1.25; unconverted share: 125 - 20 = 105
        ("skipped", D("62.5"), D("12.5"), D("0")),  # its share is taken from it, but it is no revenue
    ]
    assert (s.revenue, s.document_total) == (D(100), D(150))
    assert (s.lines[0].cost, s.lines[0].margin) == (D(6), D(94))


@pytest.mark.parametrize("discounts, tracked_revenue", [((), "20"), (("10",), "10")], ids=["no-discount", "discount"])
def test_description_only_and_unknown_lines_are_never_revenue_nor_share_a_discount(shop, discounts, tracked_revenue) -> None:  # type: ignore[no-untyped-def]
    lot(shop, "10", "3", JAN(1), "A")
    lines = [
        line("1", "2", "20"),
        line(None, None, "15", kind=LineKind.DESCRIPTION),
        line(None, None, "7", kind=LineKind.OTHER),
        line(None, None, "42", kind=LineKind.SUBTOTAL),
    ]
    apply(shop, doc("1", lines, discounts=discounts, rate="1.5"))
    s = sale("1")
    assert [(ln.kind, ln.revenue, ln.discount) for ln in s.lines] == [
        ("tracked", D(tracked_revenue) * D("1.5"), D(20 - int(tracked_revenue)) * D("1.5")),
        ("skipped", D(0), D(0)),
        ("skipped", D(0), D(0)),
    ]
    assert s.revenue == D(tracked_revenue) * D("1.5")
    assert s.margin == s.revenue - D(6)


RETURN_ORDERS = {
    "in date order": ["s1", "memo", "s2"],
    "memo entered last": ["s1", "s2", "memo"],
    "memo entered first": ["memo", "s2", "s1"],
}


@pytest.mark.parametrize("order", list(RETURN_ORDERS), ids=list(RETURN_ORDERS))
def test_a_return_is_never_costed_from_a_sale_dated_after_the_credit_memo(shop, order) -> None:  # type: ignore[no-untyped-def]
    lot(shop, "10", "2", JAN(1), "A")
    lot(shop, "10", "5", JAN(2), "B")
    memo = replace(doc("9", [line("1", "1", "10")], doc_type=CM, day=JAN(5)), created_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    steps: dict[str, Callable[[], object]] = {
        "s1": lambda: apply(shop, invoice("1", "10", JAN(3))),  # all of A: 2 a unit
        "s2": lambda: apply(shop, invoice("2", "3", JAN(10), minute=1)),  # dated after the memo, same customer
        "memo": lambda: apply(shop, memo),
    }
    enter(steps, RETURN_ORDERS[order])
    credit = sale("9", "CreditMemo")
    returned = credit.lines[0].return_lot
    assert (credit.cost, returned.unit_cost, returned.received_date) == (D(-2), D(2), JAN(5))
    assert draws("2") == [("B", D(3), D(5))]  # B (Jan 2) is older than the returned unit (Jan 5)
    assert lots_left(shop) == {"A": D(0), "B": D(7), returned.lot_number: D(1)}
    if order != "memo entered first":  # (entered first, it came in at the average, 3.5, and was revalued once invoice 1 came)
        # Entered after invoice 1, the return came in at 2 at once: never priced from invoice 2 and revalued.
        moves = (
            db.session.execute(
                select(StockTransaction.type, StockTransaction.unit_cost).where(
                    StockTransaction.lot_id == returned.id, StockTransaction.type.in_(("RETURN", "REVALUE"))
                )
            )
            .tuples()
            .all()
        )
        assert moves == [("RETURN", D(2))]


@pytest.fixture
def gift_shop(shop):  # type: ignore[no-untyped-def]
    """The shop with a NonInventory item linked to nothing, and one marked not tracked."""
    items = dict(
        shop["items"],
        **{
            "20": ItemLink("20", "Gift Box", "NonInventory"),
            "21": ItemLink("21", "Tissue Paper", "NonInventory", not_tracked=True),
        },
    )
    return {**shop, "items": items}


def test_an_unlinked_non_inventory_item_fails_the_document_and_nothing_is_applied(gift_shop) -> None:  # type: ignore[no-untyped-def]
    lot(gift_shop, "10", "2", JAN(1), "A")
    with pytest.raises(DocumentRejected) as caught:
        apply_document(
            ApplyContext(db.session, gift_shop["items"]), doc("1", [line("1", "2", "20"), line("20", "1", "5", name="Gift Box")])
        )
    db.session.rollback()
    assert (caught.value.code, caught.value.message, caught.value.item_id) == (
        "item_not_linked",
        "Item 'Gift Box' is not linked to a product",
        "20",
    )
    assert db.session.scalar(select(func.count(Sale.id))) == 0
    assert lots_left(gift_shop) == {"A": D(10)}


def test_a_non_inventory_item_marked_not_tracked_is_a_skipped_line(gift_shop) -> None:  # type: ignore[no-untyped-def]
    lot(gift_shop, "10", "2", JAN(1), "A")
    apply(gift_shop, doc("1", [line("1", "2", "20"), line("21", "1", "5", name="Tissue Paper")]))
    s = sale("1")
    assert [(ln.kind, ln.skip_reason) for ln in s.lines] == [("tracked", ""), ("skipped", "Item marked not tracked")]
    assert s.cost == D(4) and lots_left(gift_shop) == {"A": D(8)}
