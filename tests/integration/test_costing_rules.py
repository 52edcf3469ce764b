"""The costing rules of SPEC.md applied to hand-built documents, one table per rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from partsemble.costing.apply import (
    Applied,
    AppliedDraw,
    AppliedLine,
    ApplyContext,
    Outcome,
    apply as apply_fact,
    apply_document,
    apply_removal,
    existing_sale,
    find_sale,
)
from partsemble.costing.writer import SalesWriter
from partsemble.domain.documents import DocumentStatus, DocumentType, LineKind
from partsemble.domain.sale_plan import DocumentRejected, ItemLink
from partsemble.extensions import db
from partsemble.lots.services import void_lot
from partsemble.models.catalog import Product
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import Sale
from partsemble.models.sync import SyncRun
from tests import factories
from tests.documents import doc, line

D = Decimal
CM = DocumentType.CREDIT_MEMO


@pytest.fixture
def shop(app):  # type: ignore[no-untyped-def]
    """Two finished goods (items 1, 2), a raw material (item 7), a service (8), an unlinked
    inventory item (4), an inventory item marked not tracked (9), a category (11)."""
    a = factories.product("CND-A", "Candle A")
    b = factories.product("CND-B", "Candle B")
    wax = factories.product("WAX", "Wax", kind="raw_material")
    items = {
        "1": ItemLink("1", "Candle A", "Inventory", a.id, "finished_good", "Candle A"),
        "2": ItemLink("2", "Candle B", "NonInventory", b.id, "finished_good", "Candle B"),
        "7": ItemLink("7", "Soy Wax", "Inventory", wax.id, "raw_material", "Wax"),
        "8": ItemLink("8", "Shipping", "Service"),
        "4": ItemLink("4", "Lavender Soap 200g", "Inventory"),
        "9": ItemLink("9", "Sample", "Inventory", not_tracked=True),
        "11": ItemLink("11", "Candles", "Category"),
    }
    return {"a": a.id, "b": b.id, "wax": wax.id, "items": items}


def apply(shop, document, restock: bool = True) -> Outcome:  # type: ignore[no-untyped-def]
    outcome = apply_document(ApplyContext(db.session, shop["items"], restock_returns=restock), document)
    db.session.commit()
    return outcome


def sale(doc_id: str, doc_type: str = "Invoice") -> Sale:
    found = find_sale(db.session, "qbo", doc_type, doc_id)
    assert found is not None
    return found


def remaining(product_id: int) -> list[Decimal]:
    return list(db.session.scalars(select(Lot.quantity_remaining).where(Lot.product_id == product_id).order_by(Lot.id)))


def stock(product_id: int) -> Decimal:
    return db.session.get(Product, product_id).stock_on_hand


def worked_example_lots(shop) -> None:  # type: ignore[no-untyped-def]
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "20", "145.00", date(2026, 1, 1))
    factories.lot(p, "30", "148.00", date(2026, 1, 2))
    factories.lot(p, "25", "152.00", date(2026, 1, 3))


def test_worked_example_invoice_costs_7340_from_the_two_oldest_lots(shop) -> None:  # type: ignore[no-untyped-def]
    worked_example_lots(shop)
    assert apply(shop, doc("100", [line("1", "50", "10000")])) is Outcome.CREATED
    s = sale("100")
    assert (s.revenue, s.cost, s.margin, s.shortage) == (D(10000), D(7340), D(2660), False)
    assert [(c.quantity, c.unit_cost) for c in s.lines[0].consumptions] == [(D(20), D(145)), (D(30), D(148))]
    assert remaining(shop["a"]) == [D(0), D(0), D(25)]
    assert stock(shop["a"]) == D(25)


@pytest.mark.parametrize(
    ("lots", "sell", "expected_cost", "short_qty", "short_unit", "no_basis", "stock_after"),
    [
        pytest.param([("10", "2")], "15", "30", "5", "2", False, "-5", id="shortfall-at-active-average"),
        pytest.param([("10", "2"), ("10", "4")], "25", "75", "5", "3", False, "-5", id="average-of-active-lots-before-the-draw"),
        pytest.param([], "3", "0", "3", "0", True, "-3", id="no-lots-no-cost-basis"),
    ],
)
def test_shortages_never_block_and_are_costed_at_weighted_average(
    shop, lots, sell, expected_cost, short_qty, short_unit, no_basis, stock_after
) -> None:  # type: ignore[no-untyped-def]
    p = db.session.get(Product, shop["a"])
    for i, (q, c) in enumerate(lots):
        factories.lot(p, q, c, date(2026, 1, 1 + i))
    apply(shop, doc("1", [line("1", sell, "1000")]))
    s = sale("1")
    ln = s.lines[0]
    assert (ln.shortage_quantity, ln.shortage_unit_cost, ln.cost) == (D(short_qty), D(short_unit), D(expected_cost))
    assert s.shortage is True and ln.no_cost_basis is no_basis and s.no_cost_basis is no_basis
    assert stock(shop["a"]) == D(stock_after)


def test_a_shortfall_with_only_exhausted_lots_uses_the_average_of_all_lots_ever(shop) -> None:  # type: ignore[no-untyped-def]
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "10", "2", date(2026, 1, 1))
    factories.lot(p, "30", "6", date(2026, 1, 2))
    apply(shop, doc("1", [line("1", "40", "400")], day=date(2026, 2, 1)))
    apply(shop, doc("2", [line("1", "4", "40")], day=date(2026, 2, 2)))
    ln = sale("2").lines[0]
    assert (ln.shortage_quantity, ln.shortage_unit_cost, ln.cost) == (D(4), D(5), D(20))


@pytest.mark.parametrize(
    ("lines", "discounts", "rate", "revenues", "kinds", "document_total"),
    [
        # The shipping line takes its share of the discount (10 of 30) but is not revenue.
        pytest.param(
            [("1", "1", "100"), ("8", None, "50")],
            ("30",),
            "1",
            ["80", "0"],
            ["tracked", "skipped"],
            "120",
            id="discount-pro-rata-over-tracked-and-skipped",
        ),
        pytest.param([("1", "1", "100")], (), "0.74", ["74"], ["tracked"], "74", id="foreign-currency-at-exchange-rate"),
        pytest.param(
            [("1", "1", "100"), ("2", "1", "200")],
            ("10", "20"),
            "1",
            ["90", "180"],
            ["tracked", "tracked"],
            "270",
            id="several-discounts-add-up",
        ),
        pytest.param(
            [("1", "1", "10"), ("1", "1", "10"), ("1", "1", "10")],
            ("10",),
            "1",
            ["6.666667", "6.666667", "6.666666"],
            ["tracked"] * 3,
            "20",
            id="shares-add-up-exactly",
        ),
        pytest.param([("7", "2", "30")], (), "1", ["0"], ["skipped"], "30", id="linked-raw-material-skipped"),
        pytest.param([("9", "2", "30")], (), "1", ["0"], ["skipped"], "30", id="not-tracked-item-skipped"),
        pytest.param([("11", "1", "30")], (), "1", ["0"], ["skipped"], "30", id="category-item-skipped"),
        pytest.param([(None, None, "0")], (), "1", ["0"], ["skipped"], "0", id="line-without-item-skipped"),
    ],
)
def test_line_rules(shop, lines, discounts, rate, revenues, kinds, document_total) -> None:  # type: ignore[no-untyped-def]
    factories.lot(db.session.get(Product, shop["a"]), "100", "1")
    factories.lot(db.session.get(Product, shop["b"]), "100", "1")
    apply(shop, doc("1", [line(i, q, a) for i, q, a in lines], discounts=discounts, rate=rate))
    s = sale("1")
    assert [ln.revenue for ln in s.lines] == [D(r) for r in revenues]
    assert [ln.kind for ln in s.lines] == kinds
    assert s.revenue == sum((D(r) for r in revenues), D(0))
    assert s.document_total == D(document_total)


def test_description_and_subtotal_lines_are_not_revenue(shop) -> None:  # type: ignore[no-untyped-def]
    factories.lot(db.session.get(Product, shop["a"]), "100", "1")
    lines = [line("1", "2", "20"), line(None, None, "0", kind=LineKind.DESCRIPTION), line(None, None, "20", kind=LineKind.SUBTOTAL)]
    apply(shop, doc("1", lines))
    s = sale("1")
    assert [ln.kind for ln in s.lines] == ["tracked", "skipped"] and s.revenue == D(20)


def test_an_unlinked_inventory_item_fails_the_document_and_nothing_is_applied(shop) -> None:  # type: ignore[no-untyped-def]
    factories.lot(db.session.get(Product, shop["a"]), "100", "1")
    with pytest.raises(DocumentRejected) as caught:
        apply_document(
            ApplyContext(db.session, shop["items"]), doc("1", [line("1", "2", "20"), line("4", "1", "5", name="Lavender Soap 200g")])
        )
    db.session.rollback()
    assert caught.value.code == "item_not_linked"
    assert caught.value.message == "Item 'Lavender Soap 200g' is not linked to a product"
    assert db.session.scalar(select(func.count(Sale.id))) == 0
    assert remaining(shop["a"]) == [D(100)]


def test_a_tracked_line_with_an_amount_but_no_quantity_fails(shop) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DocumentRejected, match="has an amount but no quantity") as caught:
        apply_document(ApplyContext(db.session, shop["items"]), doc("1", [line("1", None, "20")]))
    db.session.rollback()
    assert caught.value.code == "missing_quantity"


def test_same_version_is_skipped_and_changes_nothing(shop) -> None:  # type: ignore[no-untyped-def]
    factories.lot(db.session.get(Product, shop["a"]), "100", "1")
    apply(shop, doc("1", [line("1", "2", "20")]))
    rows = db.session.scalar(select(func.count(StockTransaction.id)))
    assert apply(shop, doc("1", [line("1", "2", "20")])) is Outcome.SKIPPED
    assert db.session.scalar(select(func.count(StockTransaction.id))) == rows


def test_an_edited_invoice_is_reversed_exactly_then_reapplied(shop) -> None:  # type: ignore[no-untyped-def]
    worked_example_lots(shop)
    apply(shop, doc("1", [line("1", "50", "10000")]))
    assert apply(shop, doc("1", [line("1", "10", "2000")], version="1", day=date(2026, 2, 3))) is Outcome.UPDATED
    s = sale("1")
    assert [(c.quantity, c.unit_cost) for c in s.lines[0].consumptions] == [(D(10), D(145))]
    assert remaining(shop["a"]) == [D(10), D(30), D(25)]
    assert s.cost == D(1450) and s.version == "1"
    reversals = db.session.execute(
        select(StockTransaction.quantity, StockTransaction.lot_id)
        .where(StockTransaction.type == "SALE_REVERSAL")
        .order_by(StockTransaction.id)
    ).all()
    assert [q for q, _ in reversals] == [D(20), D(30)]
    history = [r.summary for r in s.revisions]
    assert history[-1] == "Date 2026-02-01 → 2026-02-03; Quantity of Item 1: 50 → 10; Revenue 10000.00 → 2000.00"


def test_the_history_names_a_line_without_an_item_by_its_description_or_as_no_item(shop) -> None:  # type: ignore[no-untyped-def]
    # Lines without an item are kept (skipped); the history names them by their description's first
    # 40 characters, or "(no item)" when they have none.
    wrap = replace(line(None, "1", "5"), description="Gift wrapping with a hand-written card for the customer")
    apply(shop, doc("1", [line("1", "2", "20"), wrap, line(None, "3", "0")]))
    apply(shop, doc("1", [line("1", "2", "20"), replace(wrap, quantity=D(2), amount=D(10))], version="1"))
    assert sale("1").revisions[-1].summary == "Line removed: (no item) (3); Quantity of Gift wrapping with a hand-written card f: 1 → 2"


@pytest.mark.parametrize("removal", ["voided", "deleted"])
def test_void_and_delete_restore_the_exact_lots_and_keep_the_sale(shop, removal) -> None:  # type: ignore[no-untyped-def]
    worked_example_lots(shop)
    apply(shop, doc("1", [line("1", "60", "10000")]))
    assert remaining(shop["a"]) == [D(0), D(0), D(15)]
    if removal == "voided":
        voided = doc("1", [line("1", "0", "0")], version="1", status=DocumentStatus.VOIDED)
        assert apply(shop, voided) is Outcome.VOIDED
    else:
        assert apply_removal(ApplyContext(db.session, shop["items"]), sale("1"), "deleted") is Outcome.VOIDED
        db.session.commit()
    s = sale("1")
    assert s.status == removal and s.revenue == D(10000)  # kept for the record, excluded from totals
    assert remaining(shop["a"]) == [D(20), D(30), D(25)]
    assert stock(shop["a"]) == D(75)
    assert [l.consumptions for l in s.lines] == [[]]


def test_void_of_a_sale_with_a_shortfall_restores_the_shortfall_as_plain_stock(shop) -> None:  # type: ignore[no-untyped-def]
    factories.lot(db.session.get(Product, shop["a"]), "10", "2")
    apply(shop, doc("1", [line("1", "15", "100")]))
    assert stock(shop["a"]) == D(-5)
    apply(shop, doc("1", [line("1", "0", "0")], version="1", status=DocumentStatus.VOIDED))
    assert stock(shop["a"]) == D(10) and remaining(shop["a"]) == [D(10)]


def test_a_voided_document_never_seen_before_is_recorded_without_stock(shop) -> None:  # type: ignore[no-untyped-def]
    assert apply(shop, doc("1", [line("4", "0", "0")], status=DocumentStatus.VOIDED)) is Outcome.VOIDED
    assert sale("1").status == "voided" and db.session.scalar(select(func.count(StockTransaction.id))) == 0


def test_credit_memo_returns_at_the_cost_of_the_latest_earlier_sale_to_that_customer(shop) -> None:  # type: ignore[no-untyped-def]
    worked_example_lots(shop)
    apply(shop, doc("1", [line("1", "50", "10000")], day=date(2026, 2, 1)))  # 146.80 a unit
    apply(shop, doc("2", [line("1", "5", "1000")], day=date(2026, 2, 2), customer=("C2", "Other")))
    apply(shop, doc("9", [line("1", "2", "400")], doc_type=CM, day=date(2026, 2, 5)))
    cm = sale("9", "CreditMemo")
    ln = cm.lines[0]
    assert (ln.kind, ln.revenue, ln.cost, ln.margin) == ("return", D(-400), D("-293.6"), D("-106.4"))
    lot = db.session.get(Lot, ln.return_lot_id)
    assert (lot.source, lot.unit_cost, lot.quantity_received, lot.received_date) == ("return", D("146.8"), D(2), date(2026, 2, 5))
    assert stock(shop["a"]) == D(75 - 55 + 2)


def test_credit_memo_without_an_earlier_sale_returns_at_weighted_average(shop) -> None:  # type: ignore[no-untyped-def]
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "10", "2", date(2026, 1, 1))
    factories.lot(p, "30", "4", date(2026, 1, 2))
    apply(shop, doc("9", [line("1", "1", "10")], doc_type=CM))
    assert db.session.get(Lot, sale("9", "CreditMemo").lines[0].return_lot_id).unit_cost == D("3.5")


def test_credit_memo_without_an_earlier_sale_returns_at_the_average_of_what_the_lots_still_hold(shop) -> None:  # type: ignore[no-untyped-def]
    # Another customer took 8 of lot A: the active lots hold 2 x 2 + 10 x 4, an average of 3.666667,
    # where all lots ever received average 3.
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "10", "2", date(2026, 1, 1))
    factories.lot(p, "10", "4", date(2026, 1, 2))
    apply(shop, doc("1", [line("1", "8", "80")], day=date(2026, 1, 5), customer=("C2", "Other Shop")))
    apply(shop, doc("9", [line("1", "1", "10")], doc_type=CM, day=date(2026, 1, 6)))
    assert db.session.get(Lot, sale("9", "CreditMemo").lines[0].return_lot_id).unit_cost == D("3.666667")


def test_credit_memo_returns_at_the_cost_of_the_sale_created_last_on_the_latest_day(shop) -> None:  # type: ignore[no-untyped-def]
    # Two sales to the customer on Jan 5: invoice 2 created first (lot A, 2 a unit), invoice 1 last (lot B, 6).
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "5", "2", date(2026, 1, 1))
    factories.lot(p, "5", "6", date(2026, 1, 2))
    noon = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
    apply(shop, replace(doc("2", [line("1", "5", "50")], day=date(2026, 1, 5)), created_at=noon))
    apply(shop, replace(doc("1", [line("1", "5", "50")], day=date(2026, 1, 5)), created_at=noon.replace(minute=5)))
    assert (sale("2").cost, sale("1").cost) == (D(10), D(30))
    apply(shop, doc("9", [line("1", "1", "10")], doc_type=CM, day=date(2026, 1, 6)))
    assert db.session.get(Lot, sale("9", "CreditMemo").lines[0].return_lot_id).unit_cost == D(6)


def test_the_history_adds_up_the_lines_of_one_item(shop) -> None:  # type: ignore[no-untyped-def]
    apply(shop, doc("1", [line("1", "2", "20"), line("1", "3", "30")]))
    apply(shop, doc("1", [line("1", "5", "50")], version="1"))  # the same 5 units in one line
    assert sale("1").revisions[-1].summary == "New version with no change to lines, quantities or date"


def test_credit_memo_quantity_zero_is_a_price_adjustment(shop) -> None:  # type: ignore[no-untyped-def]
    apply(shop, doc("9", [line("1", "0", "15")], doc_type=CM))
    ln = sale("9", "CreditMemo").lines[0]
    assert (ln.kind, ln.revenue, ln.cost, ln.return_lot_id) == ("price_adjustment", D(-15), D(0), None)
    assert db.session.scalar(select(func.count(Lot.id))) == 0


def test_credit_memo_with_restocking_off_returns_no_stock(shop) -> None:  # type: ignore[no-untyped-def]
    apply(shop, doc("9", [line("1", "3", "30")], doc_type=CM), restock=False)
    ln = sale("9", "CreditMemo").lines[0]
    assert (ln.kind, ln.revenue, ln.cost, ln.return_lot_id, ln.skip_reason) == ("return", D(-30), D(0), None, "Not restocked (setting)")
    assert stock(shop["a"]) == 0


def test_voiding_a_credit_memo_whose_return_lot_was_sold_recosts_its_buyers_from_the_other_lots(shop) -> None:  # type: ignore[no-untyped-def]
    apply(shop, doc("9", [line("1", "5", "50")], doc_type=CM, day=date(2026, 2, 1)))  # no basis: zero-cost return lot
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "10", "3", date(2026, 2, 2))
    apply(shop, doc("1", [line("1", "7", "70")], day=date(2026, 2, 3)))  # 5 from the return lot, 2 from the new lot
    assert sale("1").cost == D(6)
    apply(shop, doc("9", [line("1", "0", "0")], doc_type=CM, version="1", status=DocumentStatus.VOIDED))
    consumer = sale("1")
    # Without the return the buyer drew all 7 from the Feb 2 lot: 7 x 3, no shortage.
    assert consumer.shortage is False and consumer.cost == D(21)
    assert consumer.lines[0].shortage_quantity == D(0)
    assert [(c.quantity, c.unit_cost) for c in consumer.lines[0].consumptions] == [(D(7), D(3))]
    assert consumer.revisions[-1].action == "recosted"
    assert consumer.revisions[-1].summary == "Cost 6.00 → 21.00: re-costed in date order (Credit memo CRE-9 dated 2026-02-01 reversed)"
    assert stock(shop["a"]) == D(10 - 7)  # the returned 5 never came in after all
    # Undoing the consumer too brings back exactly what it took.
    apply(shop, doc("1", [line("1", "0", "0")], version="1", status=DocumentStatus.VOIDED))
    assert stock(shop["a"]) == D(10) and remaining(shop["a"]) == [D(0), D(10)]


def test_voiding_a_credit_memo_whose_return_lot_was_sold_with_no_other_stock_leaves_its_buyer_short(shop, users) -> None:  # type: ignore[no-untyped-def]
    # No other lot can take the place of the returned units: the buyer's 2 units become a shortfall at
    # the return lot's unit cost (4), its cost stays 9 and the replay agrees, so nothing is re-costed.
    # The ledger says who and which run removed them; sales of other products stay as they were.
    factories.lot(db.session.get(Product, shop["a"]), "5", "4", date(2026, 1, 1), "A")
    factories.lot(db.session.get(Product, shop["b"]), "5", "1", date(2026, 1, 1), "B")
    apply(shop, doc("1", [line("1", "5", "50")], day=date(2026, 1, 2)))
    apply(shop, doc("9", [line("1", "2", "20")], doc_type=CM, day=date(2026, 1, 3)))  # back at 4 a unit
    apply(shop, doc("2", [line("1", "2", "20"), line("2", "1", "10")], day=date(2026, 1, 4)))  # 2 of the return lot, 1 of B
    apply(shop, doc("3", [line("2", "1", "10")], day=date(2026, 1, 5)))
    run = SyncRun(user_id=users["admin"].id)
    db.session.add(run)
    db.session.commit()
    void = doc("9", [line("1", "0", "0")], doc_type=CM, version="1", status=DocumentStatus.VOIDED, day=date(2026, 1, 3))
    apply_document(ApplyContext(db.session, shop["items"], run_id=run.id, user_id=users["admin"].id), void)
    db.session.commit()
    buyer = sale("2")
    assert (buyer.cost, buyer.shortage) == (D(9), True)
    short = buyer.lines[0]
    assert (short.shortage_quantity, short.shortage_cost, short.shortage_unit_cost, short.consumptions) == (D(2), D(8), D(4), [])
    assert [r.action for r in buyer.revisions] == ["created"]
    assert (sale("1").shortage, sale("3").shortage) == (False, False)
    removed = (
        db.session.execute(
            select(
                StockTransaction.type,
                StockTransaction.quantity,
                StockTransaction.sync_run_id,
                StockTransaction.user_id,
                StockTransaction.note,
            )
            .where(StockTransaction.sale_id == buyer.id, StockTransaction.sync_run_id.is_not(None))
            .order_by(StockTransaction.id)
        )
        .tuples()
        .all()
    )
    note = "Return lot RET-CRE-9-1 removed: drawn units become a shortfall"
    assert removed == [("SALE_REVERSAL", D(2), run.id, users["admin"].id, note), ("SALE", D(-2), run.id, users["admin"].id, note)]


def test_voids_keep_a_record_of_a_document_never_seen_active_and_follow_the_version_of_one_already_voided(users, shop) -> None:  # type: ignore[no-untyped-def]
    admin = users["admin"].id
    factories.lot(db.session.get(Product, shop["a"]), "10", "2", date(2026, 1, 1), "A")
    apply(shop, doc("7", [line("1", "1", "10")], day=date(2026, 2, 1)))  # a bystander
    run = SyncRun(user_id=admin)
    db.session.add(run)
    db.session.commit()

    def void(doc_id: str, version: str, updated: datetime | None = None) -> Applied:
        ctx = ApplyContext(db.session, shop["items"], run_id=run.id, user_id=admin, writer=SalesWriter(db.session))
        document = replace(doc(doc_id, [line("1", "2", "20")], version=version, status=DocumentStatus.VOIDED), updated_at=updated)
        applied = apply_fact(ctx, document, existing_sale(db.session, "qbo", "Invoice", doc_id))
        ctx.writer.finish(admin, run.id)
        db.session.commit()
        return applied

    first = void("5", "3")  # voided upstream before any sync saw it
    kept = sale("5")
    assert (first.outcome, first.sale_id) == (Outcome.VOIDED, kept.id)
    assert (kept.status, kept.version, kept.revenue, kept.cost, kept.shortage, kept.no_cost_basis) == (
        "voided",
        "3",
        D(0),
        D(0),
        False,
        False,
    )
    assert (kept.created_by_id, kept.last_sync_run_id) == (admin, run.id) and kept.lines == []
    assert [(r.action, r.summary) for r in kept.revisions] == [("voided", "Voided upstream before it was first synced")]
    again = void("5", "4")  # a new version of a document already voided: only the version moves
    assert (again.outcome, again.sale_id) == (Outcome.SKIPPED, kept.id)
    assert (sale("5").version, sale("5").status, sale("7").version) == ("4", "voided", "0")
    apply(shop, doc("6", [line("1", "3", "30")], day=date(2026, 2, 1)))
    moment = datetime(2026, 2, 3, 9, 30, tzinfo=timezone.utc)
    gone = void("6", "1", moment)  # an active sale voided: reversed, new version and upstream time kept
    assert (gone.outcome, gone.sale_id) == (Outcome.VOIDED, sale("6").id)
    assert (sale("6").status, sale("6").version, sale("6").source_updated_at) == ("voided", "1", moment)
    assert sale("7").source_updated_at is None and remaining(shop["a"]) == [D(9)]


def test_a_draft_is_no_sale_and_a_sale_sent_back_to_draft_is_reversed_until_approved_again(users, shop) -> None:  # type: ignore[no-untyped-def]
    """Xero's DRAFT and SUBMITTED (XERO.md): never recorded while a draft; an applied sale sent back is
    reversed exactly and kept, its version and upstream time moved, and applied again once approved."""
    admin = users["admin"].id
    worked_example_lots(shop)
    apply(shop, doc("7", [line("1", "5", "900")], day=date(2026, 2, 2)))  # a bystander, sold after the draft's day
    run = SyncRun(user_id=admin)
    db.session.add(run)
    db.session.commit()
    first_sent = datetime(2026, 2, 3, 9, 30, tzinfo=timezone.utc)

    def send(doc_id: str, version: str, status: DocumentStatus, updated: datetime | None = None) -> Applied:
        ctx = ApplyContext(db.session, shop["items"], run_id=run.id, user_id=admin, writer=SalesWriter(db.session))
        document = replace(doc(doc_id, [line("1", "30", "6000")], version=version, status=status), updated_at=updated)
        applied = apply_fact(ctx, document, existing_sale(db.session, "qbo", "Invoice", doc_id))
        ctx.writer.finish(admin, run.id)
        db.session.commit()
        return applied

    assert send("5", "1", DocumentStatus.DRAFT, first_sent) == Applied(Outcome.SKIPPED, None)
    assert find_sale(db.session, "qbo", "Invoice", "5") is None and remaining(shop["a"]) == [D(15), D(30), D(25)]

    assert send("5", "2", DocumentStatus.ACTIVE).outcome is Outcome.CREATED  # approved: dated Feb 1, before the bystander
    assert (sale("5").cost, sale("7").cost, remaining(shop["a"])) == (D(4380), D(740), [D(0), D(15), D(25)])

    back = send("5", "3", DocumentStatus.DRAFT, first_sent)  # sent back to draft
    kept = sale("5")
    assert (back.outcome, back.sale_id) == (Outcome.VOIDED, kept.id)
    assert (kept.status, kept.version, kept.source_updated_at, kept.revenue, kept.cost, kept.last_sync_run_id) == (
        "voided",
        "3",
        first_sent,
        D(6000),
        D(0),
        run.id,
    )
    assert [(r.action, r.summary) for r in kept.revisions][-1] == (
        "voided",
        "Sent back to draft upstream: not a sale until it is approved again",
    )
    # The bystander draws from the oldest lot again, now the draft no longer does.
    assert (sale("7").cost, remaining(shop["a"]), stock(shop["a"])) == (D(725), [D(15), D(30), D(25)], D(70))

    later = datetime(2026, 2, 4, 8, 0, tzinfo=timezone.utc)
    again = send("5", "4", DocumentStatus.DRAFT, later)  # edited while a draft: only the version moves
    assert (again.outcome, again.sale_id) == (Outcome.SKIPPED, kept.id)
    assert (sale("5").status, sale("5").version, sale("5").source_updated_at, sale("5").cost) == ("voided", "4", first_sent, D(0))
    assert (sale("7").version, sale("7").source_updated_at, len(sale("5").revisions)) == ("0", None, len(kept.revisions))
    assert send("5", "4", DocumentStatus.DRAFT, later) == Applied(Outcome.SKIPPED, kept.id)  # the same version: nothing to do

    assert send("5", "5", DocumentStatus.ACTIVE).outcome is Outcome.UPDATED  # approved again
    assert (sale("5").status, sale("5").cost, sale("7").cost, remaining(shop["a"])) == ("active", D(4380), D(740), [D(0), D(15), D(25)])


@pytest.mark.parametrize("removal, summary", [("deleted", "Deleted upstream"), ("voided", "Voided upstream")])
def test_a_removed_sale_with_a_shortfall_costs_nothing_and_leaves_the_other_sales_alone(shop, removal, summary) -> None:  # type: ignore[no-untyped-def]
    factories.lot(db.session.get(Product, shop["a"]), "1", "4", date(2026, 1, 1), "L")
    apply(shop, doc("1", [line("1", "3", "30")], day=date(2026, 1, 5)))  # 1 of L, 2 short at 4
    apply(shop, doc("2", [line("1", "2", "20")], day=date(2026, 1, 6)))  # 2 short at 4
    assert (sale("1").cost, sale("1").shortage, sale("1").lines[0].shortage_cost) == (D(12), True, D(8))
    assert apply_removal(ApplyContext(db.session, shop["items"]), sale("1"), removal) is Outcome.VOIDED
    db.session.commit()
    gone = sale("1")
    assert (gone.status, gone.cost, gone.margin, gone.shortage, gone.no_cost_basis) == (removal, D(0), D(30), False, False)
    ln = gone.lines[0]
    assert (ln.cost, ln.margin, ln.shortage_quantity, ln.shortage_unit_cost, ln.shortage_cost, ln.no_cost_basis) == (
        D(0),
        D(30),
        0,
        0,
        0,
        False,
    )
    assert (gone.revisions[-1].action, gone.revisions[-1].summary) == (removal, summary)
    other = sale("2")  # the lot's unit now goes to invoice 2
    assert (other.status, other.cost, other.lines[0].shortage_quantity, other.lines[0].no_cost_basis) == ("active", D(8), D(1), False)
    assert remaining(shop["a"]) == [D(0)]


def test_an_invoice_line_with_a_negative_quantity_is_a_return(shop) -> None:  # type: ignore[no-untyped-def]
    factories.lot(db.session.get(Product, shop["a"]), "10", "2")
    apply(shop, doc("1", [line("1", "-2", "-20")]))
    ln = sale("1").lines[0]
    assert (ln.kind, ln.revenue, ln.cost) == ("return", D(-20), D(-4))
    assert stock(shop["a"]) == D(12)


def test_voiding_a_credit_memo_that_drew_from_its_own_return_lot_restores_everything_once(shop) -> None:  # type: ignore[no-untyped-def]
    # One credit memo: line 1 returns 3 units (a return lot), line 2 has a negative quantity,
    # so it takes 3 units out, and with no other lot it takes them from that return lot.
    cm = doc("9", [line("1", "3", "30"), line("1", "-3", "-30")], doc_type=CM)
    apply(shop, cm)
    assert stock(shop["a"]) == 0
    apply(shop, doc("9", [line("1", "0", "0")], doc_type=CM, version="1", status=DocumentStatus.VOIDED))
    assert stock(shop["a"]) == 0 and remaining(shop["a"]) == [D(0)]
    lot = db.session.scalars(select(Lot).where(Lot.product_id == shop["a"])).one()
    assert lot.status == "voided"


# The return cost's lookup, case by case. Lots of Candle A: 5 at 2 (Jan 1), 5 at 6 (Jan 2), 20 at 10
# (Jan 3), so each earlier sale below has its own unit cost and the fallback (the active lots'
# average) is none of them. The credit memo returns 1 unit on Jan 20, created after every sale.
RETURN_DAY = date(2026, 1, 20)
MEMO_CREATED = datetime(2026, 1, 20, 10, 0, tzinfo=timezone.utc)


def three_lots(shop) -> None:  # type: ignore[no-untyped-def]
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "5", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "5", "6", date(2026, 1, 2), "L2")
    factories.lot(p, "20", "10", date(2026, 1, 3), "L3")


def invoice(
    doc_id: str,
    day: int,
    quantities: tuple[str, ...] = ("5",),
    customer: tuple[str, str] = ("C1", "Acme Stores"),
    *,
    item: str = "1",
    at: int | None = None,
):  # type: ignore[no-untyped-def]
    """An invoice of Candle A (item 1) dated January `day`, created at `at` o'clock that day if given."""
    made = doc(doc_id, [line(item, q, str(10 * int(q))) for q in quantities], day=date(2026, 1, day), customer=customer)
    return made if at is None else replace(made, created_at=datetime(2026, 1, day, at, 0, tzinfo=timezone.utc))


def return_memo(customer: tuple[str, str] = ("C1", "Acme Stores"), doc_id: str = "9"):  # type: ignore[no-untyped-def]
    return replace(doc(doc_id, [line("1", "1", "10")], doc_type=CM, day=RETURN_DAY, customer=customer), created_at=MEMO_CREATED)


def voided(document):  # type: ignore[no-untyped-def]
    return replace(document, version="1", status=DocumentStatus.VOIDED)


def return_lot(doc_id: str = "9") -> Lot:
    return db.session.get(Lot, sale(doc_id, "CreditMemo").lines[0].return_lot_id)


@pytest.mark.parametrize(
    ("history", "customer", "unit_cost", "basis"),
    [
        # Matched by the customer's reference: a sale under the customer's old name counts, one to another
        # customer of the same name does not.
        pytest.param(
            [invoice("1", 5, customer=("C1", "Acme (old name)")), invoice("2", 6, customer=("C2", "Acme Stores"))],
            ("C1", "Acme Stores"),
            "2",
            "cost of sale INV-1 on 2026-01-05",
            id="by-reference-whatever-the-name",
        ),
        # Without a reference, by name: only that name's sales, not every sale without a reference.
        pytest.param(
            [invoice("1", 5, customer=("", "Walk-in")), invoice("2", 6, customer=("", "Market Stall"))],
            ("", "Walk-in"),
            "2",
            "cost of sale INV-1 on 2026-01-05",
            id="by-name-without-a-reference",
        ),
        # On the credit memo's own date (created before it) is "on or before".
        pytest.param(
            [invoice("1", 5), invoice("2", 20, at=9)], ("C1", "Acme Stores"), "6", "cost of sale INV-2 on 2026-01-20", id="same-day-sale"
        ),
        # A sale of a single unit is a sale.
        pytest.param(
            [invoice("1", 5), invoice("2", 6, ("1",))], ("C1", "Acme Stores"), "6", "cost of sale INV-2 on 2026-01-06", id="one-unit"
        ),
        # The latest date wins, not the latest entered: invoice 2 was entered after invoice 1 but is dated
        # before it (re-costed: invoice 2 takes lot L1, invoice 1 then lot L2).
        pytest.param(
            [invoice("1", 10), invoice("2", 5)],
            ("C1", "Acme Stores"),
            "6",
            "cost of sale INV-1 on 2026-01-10",
            id="latest-date-not-latest-entered",
        ),
        # On the latest day, only this customer's sales of this product count: another customer's sale
        # created later that day and this customer's sale of Candle B are not candidates.
        pytest.param(
            [invoice("1", 5, at=9), invoice("2", 5, customer=("C2", "Other Shop"), at=10), invoice("3", 5, ("1",), item="2", at=11)],
            ("C1", "Acme Stores"),
            "2",
            "cost of sale INV-1 on 2026-01-05",
            id="that-day-only-this-customer-and-product",
        ),
        # The lines of the sale add up: 3 at 2 and 2 at 2 from L1, then 2 at 6 from L2: 22 / 7.
        pytest.param(
            [invoice("1", 5, ("3", "2", "2"))], ("C1", "Acme Stores"), "3.142857", "cost of sale INV-1 on 2026-01-05", id="lines-add-up"
        ),
        # Nothing sold to this customer: the active lots' average, (5 x 6 + 20 x 10) / 25 after L1 went to
        # another customer.
        pytest.param(
            [invoice("1", 5, customer=("C2", "Other Shop"))], ("C1", "Acme Stores"), "9.2", "weighted average cost", id="no-earlier-sale"
        ),
        # Nothing sold to this customer and nothing left in stock: the average of every lot ever received,
        # (5 x 2 + 5 x 6 + 20 x 10) / 30.
        pytest.param(
            [invoice("1", 5, ("30",), customer=("C2", "Other Shop"))],
            ("C1", "Acme Stores"),
            "8",
            "weighted average cost",
            id="no-earlier-sale-and-no-stock",
        ),
    ],
)
def test_a_return_is_costed_from_the_latest_earlier_sale_of_the_product_to_that_customer(shop, history, customer, unit_cost, basis) -> None:  # type: ignore[no-untyped-def]
    three_lots(shop)
    for document in history:
        apply(shop, document)
    apply(shop, return_memo(customer))
    lot = return_lot()
    assert (lot.unit_cost, lot.note) == (D(unit_cost), f"Returned on Credit memo CRE-9 ({basis})")
    assert sale("9", "CreditMemo").cost == -D(unit_cost)  # one unit


def apply_together(shop, steps) -> None:  # type: ignore[no-untyped-def]
    """Documents (or ("deleted", invoice id)) applied in one transaction by one writer, as a sync batch
    applies them: the sales it changes are looked up once, before the batch."""
    keys = {("Invoice", s[1]) if isinstance(s, tuple) else (str(s.type), s.id) for s in steps}
    known = {key: existing_sale(db.session, "qbo", *key) for key in keys}
    ctx = ApplyContext(db.session, shop["items"], writer=SalesWriter(db.session))
    for step in steps:
        if isinstance(step, tuple):
            apply_removal(ctx, known[("Invoice", step[1])], step[0])
        else:
            apply_fact(ctx, step, known[(str(step.type), step.id)])
    ctx.writer.finish(None, None)
    db.session.commit()


@pytest.mark.parametrize(
    ("written", "batch", "customer", "unit_cost", "basis"),
    [
        # The batch's own sale is not written yet when the credit memo reads the earlier sales.
        pytest.param([], [invoice("1", 6)], ("C1", "Acme Stores"), "2", "cost of sale INV-1 on 2026-01-06", id="sale-in-the-batch"),
        # The batch's sale (under the customer's new name) is later than the written one (L1 at 2).
        pytest.param(
            [invoice("1", 5)],
            [invoice("2", 6, customer=("C1", "Acme Stores Ltd"))],
            ("C1", "Acme Stores"),
            "6",
            "cost of sale INV-2 on 2026-01-06",
            id="by-reference-in-the-batch",
        ),
        pytest.param(
            [],
            [invoice("1", 6, customer=("", "Walk-in"))],
            ("", "Walk-in"),
            "2",
            "cost of sale INV-1 on 2026-01-06",
            id="by-name-in-the-batch",
        ),
        pytest.param(
            [invoice("1", 5)],
            [invoice("2", 20, at=9)],
            ("C1", "Acme Stores"),
            "6",
            "cost of sale INV-2 on 2026-01-20",
            id="same-day-in-the-batch",
        ),
        pytest.param(
            [], [invoice("1", 5, ("3", "2", "2"))], ("C1", "Acme Stores"), "3.142857", "cost of sale INV-1 on 2026-01-05", id="lines-add-up"
        ),
        # A change to invoice 1 writes out what the batch holds: invoice 2 is then both written and in the
        # batch, the same sale. Re-costed in date order it takes 1 of L1 and 4 of L2: (2 + 24) / 5.
        pytest.param(
            [invoice("1", 5)],
            [invoice("2", 6), replace(invoice("1", 5, ("4",)), version="1")],
            ("C1", "Acme Stores"),
            "5.2",
            "cost of sale INV-2 on 2026-01-06",
            id="sale-in-the-batch-and-written",
        ),
        # A sale changed in the batch and then deleted in it is no longer an earlier sale: invoice 1 is.
        pytest.param(
            [invoice("1", 5), invoice("2", 6)],
            [replace(invoice("2", 6, ("4",)), version="1"), ("deleted", "2")],
            ("C1", "Acme Stores"),
            "2",
            "cost of sale INV-1 on 2026-01-05",
            id="sale-changed-then-deleted-in-the-batch",
        ),
    ],
)
def test_a_return_in_a_sync_batch_is_costed_from_the_sales_of_that_batch_too(shop, written, batch, customer, unit_cost, basis) -> None:  # type: ignore[no-untyped-def]
    three_lots(shop)
    for document in written:
        apply(shop, document)
    apply_together(shop, [*batch, return_memo(customer)])
    lot = return_lot()
    assert (lot.unit_cost, lot.note) == (D(unit_cost), f"Returned on Credit memo CRE-9 ({basis})")
    assert sale("9", "CreditMemo").cost == -D(unit_cost)  # one unit


def test_undoing_a_sale_leaves_the_return_lots_of_other_credit_memos_alone(shop) -> None:  # type: ignore[no-untyped-def]
    three_lots(shop)
    apply(shop, invoice("1", 5))  # L1, 5 at 2
    apply(shop, return_memo())  # 1 back at 2, in lot RET-CRE-9-1
    apply(shop, invoice("2", 21, ("3",)))  # 3 from L2 at 6
    apply(shop, voided(invoice("2", 21, ("3",))))
    assert (return_lot().status, return_lot().quantity_remaining) == ("active", D(1))
    assert remaining(shop["a"]) == [D(0), D(5), D(20), D(1)]
    assert stock(shop["a"]) == D(26)


def test_undoing_a_sale_gives_each_shortfall_back_at_the_cost_it_was_taken_at(shop) -> None:  # type: ignore[no-untyped-def]
    # Candle A: L1 10 at 2 (8 already sold), L2 2 at 8. Invoice 2's first line takes the 4 units left and
    # is 1 short at the active lots' average (2 x 2 + 2 x 8) / 4 = 5; its second line, with no active lot
    # left, is 1 short at the average of all lots ever, (10 x 2 + 2 x 8) / 12 = 3. Candle B: 1 lot of 1
    # at 5, and 3 short at 5.
    factories.lot(db.session.get(Product, shop["a"]), "10", "2", date(2026, 1, 1), "L1")
    factories.lot(db.session.get(Product, shop["a"]), "2", "8", date(2026, 1, 2), "L2")
    factories.lot(db.session.get(Product, shop["b"]), "1", "5", date(2026, 1, 1), "B1")
    apply(shop, invoice("1", 3, ("8",), customer=("C2", "Other Shop")))
    lines = [line("1", "5", "50"), line("1", "1", "10"), line("2", "4", "40")]
    apply(shop, doc("2", lines, day=date(2026, 1, 5)))
    shortfalls = [(ln.shortage_quantity, ln.shortage_unit_cost) for ln in sale("2").lines]
    assert shortfalls == [(D(1), D(5)), (D(1), D(3)), (D(3), D(5))]
    apply(shop, replace(doc("2", lines, day=date(2026, 1, 5)), version="1", status=DocumentStatus.VOIDED))
    given_back = db.session.execute(
        select(StockTransaction.product_id, StockTransaction.quantity, StockTransaction.unit_cost)
        .where(StockTransaction.type == "SALE_REVERSAL", StockTransaction.lot_id.is_(None))
        .order_by(StockTransaction.product_id, StockTransaction.unit_cost)
    ).all()
    assert [tuple(row) for row in given_back] == [(shop["a"], D(1), D(3)), (shop["a"], D(1), D(5)), (shop["b"], D(3), D(5))]
    assert (stock(shop["a"]), stock(shop["b"])) == (D(4), D(1))


def test_a_return_with_no_lots_ever_received_has_no_cost_basis(shop) -> None:  # type: ignore[no-untyped-def]
    apply(shop, return_memo())
    lot, memo = return_lot(), sale("9", "CreditMemo")
    assert (lot.unit_cost, lot.note) == (D(0), "Returned on Credit memo CRE-9 (no cost basis: no earlier sale and no lots)")
    assert (memo.cost, memo.no_cost_basis, memo.lines[0].no_cost_basis) == (D(0), True, True)


def test_the_average_of_every_lot_ever_received_counts_the_batch_s_unwritten_return_lots_and_not_voided_lots(shop, users) -> None:  # type: ignore[no-untyped-def]
    three_lots(shop)
    void_lot(db.session, factories.lot(db.session.get(Product, shop["a"]), "10", "100", date(2026, 1, 3), "V").id, users["admin"].id)
    apply(shop, invoice("0", 4, customer=("C3", "Third Shop")))  # L1, 5 at 2
    batch = [
        doc("8", [line("1", "2", "20")], doc_type=CM, day=date(2026, 1, 5), customer=("C3", "Third Shop")),  # 2 back at 2: lot R
        invoice("1", 6, ("27",), customer=("C2", "Other Shop")),  # L2, L3 and R: nothing left
    ]
    apply_together(shop, [*batch, return_memo()])
    # Nothing sold to Acme, nothing in stock: L1, L2, L3 and R, not the voided V:
    # (5 x 2 + 5 x 6 + 20 x 10 + 2 x 2) / 32.
    assert (return_lot().unit_cost, return_lot().note) == (D("7.625"), "Returned on Credit memo CRE-9 (weighted average cost)")


def test_a_changed_invoice_s_return_is_costed_from_the_sale_before_it_not_from_its_own_old_version(shop) -> None:  # type: ignore[no-untyped-def]
    # Invoice 2 sells 5 (L2, at 6) and takes 1 back; the unit it takes back was sold by invoice 1 (L1, at 2).
    three_lots(shop)
    apply(shop, invoice("1", 5))
    lines = [line("1", "5", "50"), line("1", "-1", "-10")]
    apply(shop, doc("2", lines, day=date(2026, 1, 6)))
    apply(shop, doc("2", [*lines[:1], line("1", "-1", "-12")], day=date(2026, 1, 6), version="1"))
    returned = db.session.get(Lot, sale("2").lines[1].return_lot_id)
    assert (returned.unit_cost, returned.note) == (D(2), "Returned on Invoice INV-2 (cost of sale INV-1 on 2026-01-05)")
    assert sale("2").lines[1].cost == D(-2)
    # Costed right when applied, not only put right by the replay that follows the edit: one RETURN row, no REVALUE.
    rows = db.session.execute(select(StockTransaction.type, StockTransaction.note).where(StockTransaction.lot_id == returned.id))
    assert [tuple(r) for r in rows] == [("RETURN", "Returned on Invoice INV-2 (cost of sale INV-1 on 2026-01-05)")]


def test_a_back_dated_sale_revalues_the_later_return_lot_whole_and_leaves_the_earlier_one(shop) -> None:  # type: ignore[no-untyped-def]
    three_lots(shop)
    apply(shop, invoice("1", 5))  # L1: 5 at 2 to Acme
    apply(shop, doc("8", [line("1", "1", "10")], doc_type=CM, day=date(2026, 1, 6), customer=("C3", "Third Shop")))  # RA: 1 at 9.2
    apply(shop, replace(return_memo(), lines=(line("1", "2", "20"),)))  # RB: 2 of Acme's units back at 2 (invoice 1)
    apply(shop, invoice("2", 21, ("25",), customer=("C2", "Other Shop")))  # L2, L3
    apply(shop, invoice("3", 22, ("2",), customer=("C2", "Other Shop")))  # RA and 1 of RB
    apply(shop, invoice("4", 23, ("1",), customer=("C2", "Other Shop")))  # the other of RB
    assert [(c.lot_id, c.unit_cost) for c in sale("4").lines[0].consumptions] == [(return_lot().id, D(2))]
    apply(shop, invoice("5", 10, ("1",)))  # back-dated: Acme's latest sale before the return is now this one, from L2 at 6
    assert (return_lot().unit_cost, return_lot("8").unit_cost) == (D(6), D("9.2"))
    revalues = db.session.execute(
        select(
            StockTransaction.lot_id, StockTransaction.sale_id, StockTransaction.quantity, StockTransaction.unit_cost, StockTransaction.note
        )
        .where(StockTransaction.type == "REVALUE")
        .order_by(StockTransaction.id)
    ).all()
    note = "Return lot RET-CRE-9-1: unit cost 2 → 6 (cost of sale INV-5 on 2026-01-10)"
    memo = sale("9", "CreditMemo").id
    # Both units the sales drew come back to the lot, which is revalued whole, then drawn again at 6.
    assert [tuple(r) for r in revalues] == [(return_lot().id, memo, D(-2), D(2), note), (return_lot().id, memo, D(2), D(6), note)]


def test_a_document_of_another_type_or_channel_with_the_same_id_is_another_sale(shop) -> None:  # type: ignore[no-untyped-def]
    """QuickBooks numbers each entity on its own (Invoice 5 and SalesReceipt 5 can both exist), and Xero's ids
    are its own: each (channel, type, id) is one sale."""
    worked_example_lots(shop)
    assert apply(shop, doc("5", [line("1", "2", "400")])) is Outcome.CREATED
    assert apply(shop, doc("5", [line("1", "3", "600")], doc_type=DocumentType.SALES_RECEIPT)) is Outcome.CREATED
    xero = ApplyContext(db.session, shop["items"], source="xero")
    assert apply_document(xero, doc("5", [line("1", "1", "200")])) is Outcome.CREATED
    db.session.commit()
    found = {key: find_sale(db.session, *key) for key in (("qbo", "Invoice", "5"), ("qbo", "SalesReceipt", "5"), ("xero", "Invoice", "5"))}
    assert {key: s.revenue for key, s in found.items() if s is not None} == {
        ("qbo", "Invoice", "5"): D(400),
        ("qbo", "SalesReceipt", "5"): D(600),
        ("xero", "Invoice", "5"): D(200),
    }
    assert {key: existing_sale(db.session, *key).id for key in found} == {key: s.id for key, s in found.items()}  # type: ignore[union-attr]
    assert stock(shop["a"]) == D(69)


def test_a_sale_line_keeps_what_the_document_said_cut_to_its_columns(shop) -> None:  # type: ignore[no-untyped-def]
    """Item id, item name, unit price and the reason a line is not costed are stored as the document gave
    them, cut to the column's length (PostgreSQL refuses a longer value)."""
    long_id, long_name, long_product = "7" * 70, "N" * 300, "W" * 200
    items = {
        **shop["items"],
        long_id: ItemLink(long_id, long_name, "Inventory", shop["a"], "finished_good", "Candle A"),
        "7": ItemLink("7", "Soy Wax", "Inventory", shop["wax"], "raw_material", long_product),
    }
    worked_example_lots(shop)
    document = doc("1", [line(long_id, "2", "300", name=long_name, price="150"), line("7", "1", "5")])
    apply_document(ApplyContext(db.session, items), document)
    db.session.commit()
    tracked, wax = sale("1").lines
    assert (tracked.item_external_id, tracked.item_name, tracked.unit_price) == (long_id[:64], long_name[:255], D(150))
    assert (tracked.cost, tracked.skip_reason) == (D(290), "")
    reason = f"Linked to {long_product} (raw material): only finished goods are costed"
    assert (wax.kind, wax.item_external_id, wax.skip_reason, wax.no_cost_basis) == ("skipped", "7", reason[:200], False)
    assert sale("1").no_cost_basis is False


def test_a_re_cost_names_the_kind_of_document_that_caused_it(shop) -> None:  # type: ignore[no-untyped-def]
    worked_example_lots(shop)
    apply(shop, doc("1", [line("1", "10", "2000")], day=date(2026, 2, 5)))  # 10 of L1: 1450
    apply(shop, doc("2", [line("1", "15", "3000")], doc_type=DocumentType.SALES_RECEIPT, day=date(2026, 2, 1)))
    assert sale("1").cost == D(1465)  # 5 of L1 and 5 of L2 once the earlier receipt took 15 of L1
    assert sale("1").revisions[-1].summary == "Cost 1450.00 → 1465.00: re-costed in date order (Sales receipt SAL-2 dated 2026-02-01)"


def test_a_re_cost_caused_by_a_back_dated_credit_memo_names_it(shop) -> None:  # type: ignore[no-untyped-def]
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "1", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "1", "10", date(2026, 1, 2), "L2")
    apply(shop, doc("1", [line("1", "1", "20")], day=date(2026, 1, 3)))  # L1, to Acme
    apply(shop, doc("3", [line("1", "1", "20")], day=date(2026, 1, 4), customer=("C2", "Other Shop")))  # L2
    apply(shop, doc("2", [line("1", "1", "20")], day=date(2026, 2, 5)))  # short: the average of every lot, 6
    assert sale("2").cost == D(6)
    apply(shop, doc("9", [line("1", "1", "20")], doc_type=CM, day=date(2026, 2, 1)))  # Acme returns one, at 2
    assert sale("2").cost == D(2)
    assert sale("2").revisions[-1].summary == "Cost 6.00 → 2.00: re-costed in date order (Credit memo CRE-9 dated 2026-02-01)"


def test_apply_document_updates_the_sale_it_is_given_and_re_costs_in_the_name_of_its_user_and_run(users, shop) -> None:  # type: ignore[no-untyped-def]
    admin = users["admin"].id
    worked_example_lots(shop)
    apply(shop, doc("1", [line("1", "10", "2000")], day=date(2026, 2, 5)))
    apply(shop, doc("2", [line("1", "5", "1000")], day=date(2026, 2, 1)))
    run = SyncRun(user_id=admin)
    db.session.add(run)
    db.session.commit()
    ctx = ApplyContext(db.session, shop["items"], run_id=run.id, user_id=admin)
    edited = doc("2", [line("1", "15", "3000")], day=date(2026, 2, 1), version="1")  # 15 of L1, before sale 1
    assert apply_document(ctx, edited, sale("2")) is Outcome.UPDATED
    db.session.commit()
    assert db.session.scalar(select(func.count(Sale.id))) == 2 and sale("2").cost == D(2175)
    # Drawn as the lots stood (10 of L1, 5 of L2), then replayed to 15 of L1: still one "updated" entry.
    assert [r.action for r in sale("2").revisions] == ["created", "updated"]
    moved = sale("1").revisions[-1]
    assert (moved.action, sale("1").cost, moved.user_id, moved.sync_run_id) == ("recosted", D(1465), admin, run.id)


def test_a_sale_drawn_whole_from_its_lots_writes_no_shortfall_row(shop) -> None:  # type: ignore[no-untyped-def]
    worked_example_lots(shop)
    apply(shop, doc("100", [line("1", "50", "10000")]))
    s = sale("100")
    rows = db.session.execute(
        select(StockTransaction.lot_id.is_not(None), StockTransaction.quantity)
        .where(StockTransaction.sale_id == s.id)
        .order_by(StockTransaction.id)
    ).all()
    assert [tuple(r) for r in rows] == [(True, D(-20)), (True, D(-30))]
    assert (s.lines[0].shortage_quantity, s.lines[0].shortage_unit_cost, s.lines[0].shortage_cost) == (D(0), D(0), D(0))


def test_every_row_a_sync_writes_names_its_user_and_run_and_a_same_version_names_the_sale(users, shop) -> None:  # type: ignore[no-untyped-def]
    admin = users["admin"].id
    worked_example_lots(shop)
    run = SyncRun(user_id=admin)
    db.session.add(run)
    db.session.commit()

    def send(document) -> Applied:  # type: ignore[no-untyped-def]
        ctx = ApplyContext(db.session, shop["items"], run_id=run.id, user_id=admin, writer=SalesWriter(db.session))
        applied = apply_fact(ctx, document, existing_sale(db.session, "qbo", "Invoice", document.id))
        ctx.writer.finish(admin, run.id)
        db.session.commit()
        return applied

    created = send(doc("1", [line("1", "25", "5000")]))
    s = sale("1")
    assert (created.sale_id, s.last_sync_run_id, s.created_by_id) == (s.id, run.id, admin)
    assert send(doc("1", [line("1", "25", "5000")])) == Applied(Outcome.SKIPPED, s.id)
    assert send(doc("1", [line("1", "30", "6000")], version="1")).outcome is Outcome.UPDATED
    ledger = db.session.execute(
        select(StockTransaction.type, StockTransaction.user_id, StockTransaction.sync_run_id).where(StockTransaction.sale_id == s.id)
    ).all()
    assert sorted({tuple(row) for row in ledger}) == [("SALE", admin, run.id), ("SALE_REVERSAL", admin, run.id)]
    assert [(r.action, r.user_id, r.sync_run_id) for r in sale("1").revisions] == [("created", admin, run.id), ("updated", admin, run.id)]


def test_a_sale_s_header_is_cut_to_its_columns(shop) -> None:  # type: ignore[no-untyped-def]
    worked_example_lots(shop)
    document = doc("1", [line("1", "1", "100")], customer=("R" * 70, "C" * 5000), number="9" * 70, currency="USDX")
    apply(shop, document)
    s = sale("1")
    assert (s.doc_number, s.customer_ref, s.customer_name, s.currency) == ("9" * 64, "R" * 64, "C" * 255, "USD")
    assert s.revisions[0].summary == f"Created with 1 line (1 units) for {'C' * 5000}"[:4000]  # the history names it whole, to a point


def test_a_deleted_sale_whose_document_comes_back_unchanged_is_applied_again(shop) -> None:  # type: ignore[no-untyped-def]
    worked_example_lots(shop)
    apply(shop, doc("1", [line("1", "25", "5000")]))
    assert apply_removal(ApplyContext(db.session, shop["items"]), sale("1"), "deleted") is Outcome.VOIDED
    db.session.commit()
    assert apply(shop, doc("1", [line("1", "25", "5000")])) is Outcome.UPDATED  # same version, found again upstream
    assert (sale("1").status, sale("1").cost, remaining(shop["a"])) == ("active", D(3640), [D(0), D(25), D(25)])


def test_a_change_that_moves_a_sale_out_of_the_closed_period_is_refused(shop) -> None:  # type: ignore[no-untyped-def]
    worked_example_lots(shop)
    apply(shop, doc("1", [line("1", "5", "1000")], day=date(2026, 1, 15)))
    closed = ApplyContext(db.session, shop["items"], closed_through=date(2026, 1, 31))
    with pytest.raises(DocumentRejected) as refused:
        apply_document(closed, doc("1", [line("1", "5", "1000")], day=date(2026, 2, 5), version="1"))
    db.session.rollback()
    assert refused.value.code == "closed_period"
    assert (sale("1").txn_date, sale("1").version, remaining(shop["a"])) == (date(2026, 1, 15), "0", [D(15), D(30), D(25)])


def test_apply_tells_what_each_line_drew_for_the_preview(shop) -> None:  # type: ignore[no-untyped-def]
    """The sync preview shows these figures without writing them: every field of every line counts."""
    worked_example_lots(shop)
    lots = db.session.execute(select(Lot.id, Lot.lot_number).order_by(Lot.id)).tuples().all()
    ctx = ApplyContext(db.session, shop["items"], writer=SalesWriter(db.session))
    note = replace(line(None, None, "0", kind=LineKind.DESCRIPTION), description="Gift wrapped")
    applied = apply_fact(ctx, doc("1", [line("1", "80", "16000"), note, line(None, "1", "5")]), None)
    db.session.rollback()
    assert (applied.outcome, applied.revenue, applied.cost, applied.shortage) == (Outcome.CREATED, D(16000), D("11882.666665"), True)
    assert applied.sale_id is not None
    tracked, described, bare = applied.lines
    # 75 units from the three lots (11,140.00), 5 short at their average 148.533333 (742.666665).
    draws = tuple(AppliedDraw(i, n, q, c) for (i, n), q, c in zip(lots, (D(20), D(30), D(25)), (D(145), D(148), D(152))))
    assert tracked == AppliedLine("Item 1", "tracked", D(80), D(16000), D("11882.666665"), draws, D(5), D("742.666665"), False)
    assert (described.item, described.kind, bare.item, bare.kind, bare.cost) == ("Gift wrapped", "skipped", "(no item)", "skipped", D(0))
    assert described.draws == bare.draws == ()


def test_an_edited_sale_keeps_the_upstream_time_of_its_new_version_in_any_time_zone(shop) -> None:  # type: ignore[no-untyped-def]
    worked_example_lots(shop)
    apply(shop, doc("1", [line("1", "5", "1000")]))
    moment = datetime(2026, 2, 3, 10, 30, tzinfo=timezone(timedelta(hours=-8)))  # QuickBooks answers in the company's zone
    assert apply(shop, replace(doc("1", [line("1", "6", "1200")], version="1"), updated_at=moment)) is Outcome.UPDATED
    db.session.expire_all()
    assert (sale("1").source_updated_at, sale("1").revenue, sale("1").cost) == (moment, D(1200), D(870))


def test_a_batch_that_edits_two_sales_writes_both_headers(shop) -> None:  # type: ignore[no-untyped-def]
    worked_example_lots(shop)
    apply(shop, doc("1", [line("1", "5", "1000")]))
    apply(shop, doc("2", [line("1", "5", "1000")], day=date(2026, 2, 2)))
    apply_together(
        shop, [doc("1", [line("1", "6", "1300")], version="1"), doc("2", [line("1", "4", "900")], day=date(2026, 2, 2), version="1")]
    )
    assert [(sale(i).version, sale(i).revenue, sale(i).cost) for i in ("1", "2")] == [("1", D(1300), D(870)), ("1", D(900), D(580))]


def test_the_closed_period_refuses_a_document_dated_on_its_last_day_and_lets_a_voided_sale_leave_it(shop) -> None:  # type: ignore[no-untyped-def]
    worked_example_lots(shop)
    apply(shop, doc("2", [line("1", "5", "1000")], day=date(2026, 1, 15)))
    apply(shop, doc("2", [line("1", "5", "1000")], day=date(2026, 1, 15), version="1", status=DocumentStatus.VOIDED))
    closed = ApplyContext(db.session, shop["items"], closed_through=date(2026, 1, 31))
    with pytest.raises(DocumentRejected) as refused:
        apply_document(closed, doc("1", [line("1", "5", "1000")], day=date(2026, 1, 31)))
    db.session.rollback()
    assert str(refused.value) == (
        "Invoice INV-1 dated 2026-01-31 is in the closed period ending 2026-01-31: costs are final through that date. "
        "Move the date in Settings → Costs to let it in; it is retried on every sync."
    )
    # The voided sale of Jan 15 moved nothing: its new version, dated after the closed period, is let in.
    assert apply_document(closed, doc("2", [line("1", "5", "1000")], day=date(2026, 2, 5), version="2")) is Outcome.UPDATED
    db.session.commit()
    assert (sale("2").status, sale("2").txn_date, sale("2").cost) == ("active", date(2026, 2, 5), D(725))
