"""SPEC "costs follow the dates": what a re-cost writes when facts arrive out of date order.

A re-cost makes a product's stored costs equal its date-order replay. These tests check what it
writes beside the new draws: the sale's shortage and no-cost-basis flags (which other products'
lines share), the sale's total and its history entry, and the ledger rows (RECOST, SETTLE,
REVALUE) that move quantities between lots so that the ledger still adds up per lot and per sale.
Each case is built so that a wrong rule gives another number.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from partsemble.costing.apply import ApplyContext, apply as apply_fact, apply_removal, existing_sale
from partsemble.costing.order import CarriedOrder
from partsemble.costing.writer import SalesWriter
from partsemble.domain.documents import DocumentType
from partsemble.extensions import db
from partsemble.lots.services import adjust_lot, import_lots
from partsemble.models.catalog import Product
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import LotConsumption, Sale
from partsemble.models.sync import SyncRun
from tests import factories
from tests.documents import doc, line
from tests.integration.test_costing_rules import apply, apply_together, invoice, return_lot, return_memo, sale, shop  # noqa: F401  (shop is a fixture)

D = Decimal
JAN = lambda day: date(2026, 1, day)  # noqa: E731
BACK_DATED = date(2025, 12, 31)  # before every sale below


def lot(shop, qty: str, cost: str, day: date, number: str, product: str = "a") -> Lot:  # type: ignore[no-untyped-def]
    return factories.lot(db.session.get(Product, shop[product]), qty, cost, day, number)


def moves(kind: str, doc_id: str, doc_type: str = "Invoice") -> list[tuple[str | None, Decimal, Decimal, str]]:
    """A sale's ledger rows of one type, in the order written: (lot number, quantity, unit cost, note)."""
    rows = db.session.execute(
        select(Lot.lot_number, StockTransaction.quantity, StockTransaction.unit_cost, StockTransaction.note)
        .outerjoin(Lot, Lot.id == StockTransaction.lot_id)
        .where(StockTransaction.type == kind, StockTransaction.sale_id == sale(doc_id, doc_type).id)
        .order_by(StockTransaction.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def assert_the_ledger_adds_up(product_id: int) -> None:
    """Every lot's ledger rows add up to what it holds, and every sale's to minus its cost."""
    held = dict(db.session.execute(select(Lot.id, Lot.quantity_remaining).where(Lot.product_id == product_id)).tuples().all())
    per_lot = dict(
        db.session.execute(
            select(StockTransaction.lot_id, func.sum(StockTransaction.quantity))
            .where(StockTransaction.product_id == product_id, StockTransaction.lot_id.is_not(None))
            .group_by(StockTransaction.lot_id)
        )
        .tuples()
        .all()
    )
    assert per_lot == held
    total = db.session.scalar(select(func.sum(StockTransaction.quantity)).where(StockTransaction.product_id == product_id))
    assert total == db.session.get(Product, product_id).stock_on_hand
    for sale_id, cost in db.session.execute(select(Sale.id, Sale.cost).where(Sale.status == "active")).tuples():
        value = db.session.scalar(select(func.sum(StockTransaction.value)).where(StockTransaction.sale_id == sale_id))
        assert -(value or 0) == cost, f"sale {sale_id}"


# Candle B's lines on the two invoices below, and what they leave on each invoice: (shortage, no cost basis).
# Candle A is never short; a back-dated lot of A re-costs both invoices' A lines, and the invoices' flags
# must still count their Candle B line, which that re-cost does not touch.
OTHER_PRODUCT = [
    # B's one lot of 2 at 5: invoice 1 is 1 short at the lots' average, invoice 2 1 short at the average of
    # every lot ever: short, with a cost basis (one unit short is short).
    pytest.param([("2", "5")], "3", "1", [(True, False), (True, False)], id="short-with-a-cost-basis"),
    # No lot of B ever: short with no cost basis, both.
    pytest.param([], "1", "1", [(True, True), (True, True)], id="short-without-a-cost-basis"),
    # No lot of B ever, and invoice 1 takes one unit back: a return with no cost basis is not a shortage.
    # Invoice 2's return has a basis: invoice 1's return lot (at 0).
    pytest.param([], "-1", "-1", [(False, True), (False, False)], id="return-without-a-cost-basis"),
    pytest.param([("10", "5")], "3", "1", [(False, False), (False, False)], id="covered"),
]


@pytest.mark.parametrize(("b_lots", "b_first", "b_second", "flags"), OTHER_PRODUCT)
def test_a_recost_keeps_the_flags_that_the_sale_s_other_products_give_it(shop, b_lots, b_first, b_second, flags) -> None:  # type: ignore[no-untyped-def]
    lot(shop, "10", "3", JAN(1), "A1")
    for quantity, cost in b_lots:
        lot(shop, quantity, cost, JAN(1), "B1", product="b")
    apply(shop, doc("1", [line("1", "2", "20"), line("2", b_first, str(10 * int(b_first)))], day=JAN(10)))
    apply(shop, doc("2", [line("1", "2", "20"), line("2", b_second, str(10 * int(b_second)))], day=JAN(11)))
    before = [(sale(i).shortage, sale(i).no_cost_basis) for i in ("1", "2")]
    assert before == flags
    b_costs = [sale(i).lines[1].cost for i in ("1", "2")]
    lot(shop, "10", "1", BACK_DATED, "A0")  # both invoices' A lines now cost 2 x 1 instead of 2 x 3
    assert [(sale(i).shortage, sale(i).no_cost_basis) for i in ("1", "2")] == flags
    assert [sale(i).cost for i in ("1", "2")] == [D(2) + c for c in b_costs]
    assert [sale(i).lines[0].cost for i in ("1", "2")] == [D(2), D(2)]


def test_a_back_dated_sale_moves_the_later_sale_s_units_between_lots_with_one_recost_row_per_lot(shop) -> None:  # type: ignore[no-untyped-def]
    # Invoice 2 took A1's 3 units and 2 of A2. Invoice 1, synced late and dated before it, takes 1 of A1:
    # invoice 2 now takes 2 of A1 and 3 of A2, its cost goes 3 x 2 + 2 x 3 = 12 to 2 x 2 + 3 x 3 = 13.
    lot(shop, "3", "2", JAN(1), "A1")
    lot(shop, "10", "3", JAN(2), "A2")
    apply(shop, invoice("2", 10))
    apply(shop, invoice("1", 5, ("1",)))
    note = "Re-costed in date order: Invoice INV-1 dated 2026-01-05"
    # What moved, per lot: 1 unit back into A1 at its cost, 1 more out of A2 (not the whole draws out and in).
    assert moves("RECOST", "2") == [("A1", D(1), D(2), note), ("A2", D(-1), D(3), note)]
    moved = sale("2")
    assert (moved.cost, moved.margin) == (D(13), D(50 - 13))
    assert [(r.action, r.summary) for r in moved.revisions][1:] == [
        ("recosted", "Cost 12.00 → 13.00: re-costed in date order (Invoice INV-1 dated 2026-01-05)"),
    ]
    assert_the_ledger_adds_up(shop["a"])


def test_a_sale_whose_draws_move_to_a_lot_of_the_same_cost_gets_no_history_entry(shop) -> None:  # type: ignore[no-untyped-def]
    # Invoice 2 moves from A1 to A2, both at 2: its cost stays 10, so nothing is said about it.
    lot(shop, "5", "2", JAN(1), "A1")
    lot(shop, "5", "2", JAN(2), "A2")
    apply(shop, invoice("2", 10))
    apply(shop, invoice("1", 5))
    assert [(c.lot.lot_number, c.quantity) for c in sale("2").lines[0].consumptions] == [("A2", D(5))]
    assert sale("2").cost == D(10)
    assert [r.action for r in sale("2").revisions] == ["created"]
    assert_the_ledger_adds_up(shop["a"])


def test_a_lot_that_settles_two_lines_of_a_sale_names_each_in_the_ledger_and_the_history(shop) -> None:  # type: ignore[no-untyped-def]
    # Line 1 takes A1's 3 units at 2; lines 2 and 3 are 2 and 1 short at the average of every lot ever (2).
    # Lot X (at 5) arrives after the sale and settles both: 12 = 3 x 2 + 3 x 2 becomes 3 x 2 + 3 x 5 = 21.
    lot(shop, "3", "2", JAN(1), "A1")
    apply(shop, doc("1", [line("1", "3", "30"), line("1", "2", "20"), line("1", "1", "10")], day=JAN(10)))
    assert [ln.shortage_quantity for ln in sale("1").lines] == [D(0), D(2), D(1)] and sale("1").cost == D(12)
    lot(shop, "10", "5", JAN(15), "X")
    settled = sale("1")
    assert [(ln.cost, ln.margin, ln.shortage_quantity) for ln in settled.lines] == [(D(6), D(24), 0), (D(10), D(10), 0), (D(5), D(5), 0)]
    assert (settled.cost, settled.margin, settled.shortage) == (D(21), D(60 - 21), False)
    two, one = "2 units settled from lot X received 2026-01-15", "1 unit settled from lot X received 2026-01-15"
    assert settled.revisions[-1].summary == f"Cost 12.00 → 21.00: {two}; {one}"
    # Each line's units come out of lot X, and its provisional shortfall goes back at the cost it was taken at.
    assert moves("SETTLE", "1") == [("X", D(-2), D(5), two), (None, D(2), D(2), two), ("X", D(-1), D(5), one), (None, D(1), D(2), one)]
    assert moves("RECOST", "1") == []
    assert_the_ledger_adds_up(shop["a"])


def test_a_revalued_return_lot_is_moved_out_at_its_old_cost_and_in_at_its_new_one_for_the_sale_that_drew_it(shop) -> None:  # type: ignore[no-untyped-def]
    # Acme bought 5 (A1, at 2) and returns 1 on Jan 20: lot RET-CRE-9-1 at 2. Invoice 2 (Other Shop, Jan 21)
    # takes A2's 5, that unit, then 1 of A3 (received Jan 21, after the return): 5 x 6 + 2 + 8 = 40. Invoice 5,
    # a sale to Acme on Jan 10 entered late, takes 1 of A2 at 6: it is now Acme's latest sale before the
    # return, which comes back at 6; invoice 2 takes 4 of A2, the returned unit and 2 of A3: 24 + 6 + 16 = 46.
    lot(shop, "5", "2", JAN(1), "A1")
    lot(shop, "5", "6", JAN(2), "A2")
    lot(shop, "10", "8", JAN(21), "A3")
    apply(shop, invoice("1", 5))
    apply(shop, return_memo())
    apply(shop, invoice("2", 21, ("7",), customer=("C2", "Other Shop")))
    assert sale("2").cost == D(40)
    apply(shop, invoice("5", 10, ("1",)))
    assert return_lot().unit_cost == D(6)
    note = "Re-costed in date order: Invoice INV-5 dated 2026-01-10"
    returned = "RET-CRE-9-1"
    # A2 and A3 hold their unit cost: one row each for the unit moved. The return lot's unit cost changed: the
    # unit invoice 2 drew goes back in at the old cost and out again at the new one.
    assert moves("RECOST", "2") == [
        ("A2", D(1), D(6), note),
        ("A3", D(-1), D(8), note),
        (returned, D(1), D(2), note),
        (returned, D(-1), D(6), note),
    ]
    revalue = "Return lot RET-CRE-9-1: unit cost 2 → 6 (cost of sale INV-5 on 2026-01-10)"
    assert moves("REVALUE", "9", "CreditMemo") == [(returned, D(-1), D(2), revalue), (returned, D(1), D(6), revalue)]
    assert return_lot().note == "Returned on Credit memo CRE-9 (cost of sale INV-5 on 2026-01-10)"  # was INV-1's
    drew = sale("2")
    assert (drew.cost, drew.margin, drew.lines[0].cost, drew.lines[0].margin) == (D(46), D(70 - 46), D(46), D(70 - 46))
    assert [(c.lot.lot_number, c.quantity, c.unit_cost) for c in drew.lines[0].consumptions] == [
        ("A2", D(4), D(6)),
        (returned, D(1), D(6)),
        ("A3", D(2), D(8)),
    ]
    memo = sale("9", "CreditMemo")
    assert (memo.cost, memo.margin) == (D(-6), D(-10 + 6))
    assert memo.revisions[-1].summary == "Cost -2.00 → -6.00: re-costed in date order (Invoice INV-5 dated 2026-01-10)"
    assert_the_ledger_adds_up(shop["a"])


def test_a_line_that_drew_a_lot_and_was_then_settled_from_it_gives_the_lot_back_whole(shop) -> None:  # type: ignore[no-untyped-def]
    # Invoice 1 takes A1's 5 units and is 2 short; 3 more of A1 are found on Jan 15 and settle those 2. The line
    # holds two draws of A1 (5, then 2 settled). A back-dated lot A0 then takes the whole line: all 7 go back to A1.
    a1 = lot(shop, "5", "2", JAN(1), "A1")
    apply(shop, invoice("1", 10, ("7",)))
    adjust_lot(db.session, a1.id, "3", "count_correction", "", None, JAN(15).isoformat())
    assert [(c.quantity, c.settled) for c in sale("1").lines[0].consumptions] == [(D(5), False), (D(2), True)]
    settled = "2 units settled from lot A1 received 2026-01-01"
    assert moves("SETTLE", "1") == [("A1", D(-2), D(2), settled), (None, D(2), D(2), settled)]
    lot(shop, "10", "1", BACK_DATED, "A0")
    note = "Re-costed in date order: lot A0 received 2025-12-31"
    assert moves("RECOST", "1") == [("A1", D(7), D(2), note), ("A0", D(-7), D(1), note)]
    assert (sale("1").cost, db.session.get(Lot, a1.id).quantity_remaining) == (D(7), D(8))
    assert_the_ledger_adds_up(shop["a"])


def test_a_lot_import_that_settles_a_line_from_many_lots_names_every_lot_and_the_ledger_note_fits_its_column(shop) -> None:  # type: ignore[no-untyped-def]
    # Invoice 1 is 12 short with no lots at all. One import brings 12 lots of 1 unit, dated after the sale, at
    # 1 to 12: one re-cost settles the line from all of them (cost 78). The history names every lot; the
    # ledger rows' note is cut to the column's 500 characters (on PostgreSQL a longer one fails the import).
    apply(shop, invoice("1", 10, ("12",)))
    rows = [f"CND-A,LOT-2026-01-15-{n:02d},2026-01-15,1,{n}" for n in range(1, 13)]
    import_lots(db.session, "\n".join(["sku,lot_number,received_date,quantity,unit_cost", *rows]), None)
    settled = "; ".join(f"1 unit settled from lot LOT-2026-01-15-{n:02d} received 2026-01-15" for n in range(1, 13))
    assert len(settled) > 500
    assert sale("1").revisions[-1].summary == f"Cost 0.00 → 78.00: {settled}"
    notes = {note for _, _, _, note in moves("SETTLE", "1")}
    assert notes == {settled[:500]}
    assert_the_ledger_adds_up(shop["a"])


def test_a_recost_of_more_than_a_thousand_lines_replaces_the_draws_of_every_one(shop) -> None:  # type: ignore[no-untyped-def]
    # The draws of re-costed lines are deleted in chunks: every line's draws must go, the last ones too.
    lines = 1001
    lot(shop, str(lines), "3", JAN(1), "A1")
    apply(shop, doc("1", [line("1", "1", "10")] * lines, day=JAN(10)))
    lot(shop, str(lines), "1", BACK_DATED, "A0")
    drawn = db.session.execute(
        select(Lot.lot_number, func.count(LotConsumption.id)).join(Lot, Lot.id == LotConsumption.lot_id).group_by(Lot.lot_number)
    ).all()
    assert [tuple(row) for row in drawn] == [("A0", lines)]
    assert sale("1").cost == D(lines)
    assert_the_ledger_adds_up(shop["a"])


def test_deleting_a_sale_recosts_the_later_ones_in_the_name_of_whoever_deleted_it_and_clears_its_warnings(shop, users) -> None:  # type: ignore[no-untyped-def]
    # Invoice 1 took A1 (at 2) and its Candle B line had no cost basis; invoice 2 took A2 (at 4). Invoice 1 is
    # deleted in a sync run: invoice 2 takes A1 instead, and the ledger and its history say who and which run.
    admin = users["admin"].id
    lot(shop, "5", "2", JAN(1), "A1")
    lot(shop, "5", "4", JAN(2), "A2")
    apply(shop, doc("1", [line("1", "5", "50"), line("2", "1", "10")], day=JAN(5)))
    apply(shop, invoice("2", 8))
    assert (sale("1").no_cost_basis, sale("1").lines[1].no_cost_basis, sale("2").cost) == (True, True, D(20))
    run = SyncRun(user_id=admin)
    db.session.add(run)
    db.session.commit()
    apply_removal(ApplyContext(db.session, shop["items"], run_id=run.id, user_id=admin), sale("1"), "deleted")
    db.session.commit()
    gone = sale("1")
    assert (gone.no_cost_basis, [ln.no_cost_basis for ln in gone.lines]) == (False, [False, False])
    moved = sale("2")
    assert moved.cost == D(10)
    assert (moved.revisions[-1].user_id, moved.revisions[-1].sync_run_id) == (admin, run.id)
    recost = db.session.execute(
        select(StockTransaction.user_id, StockTransaction.sync_run_id).where(
            StockTransaction.sale_id == moved.id, StockTransaction.type == "RECOST"
        )
    ).all()
    assert [tuple(row) for row in recost] == [(admin, run.id), (admin, run.id)]


def sync_batch(shop, carried: CarriedOrder, documents) -> None:  # type: ignore[no-untyped-def]
    """Documents applied as one batch of a sync applies them, with the date order carried from the last batch."""
    writer = SalesWriter(db.session)
    if (order := carried.take(db.session)) is not None:
        writer.book.order = order
    ctx = ApplyContext(db.session, shop["items"], writer=writer)
    for document in documents:
        apply_fact(ctx, document, existing_sale(db.session, "qbo", str(document.type), document.id))
    writer.finish(None, None)
    carried.keep(db.session, writer.book.order)
    db.session.commit()


def test_the_batch_after_a_recost_costs_its_sales_in_date_order_too(shop) -> None:  # type: ignore[no-untyped-def]
    # Batch 1 holds invoice 1, dated before invoice 2: it re-costs. Batch 2 holds invoice 0, dated before both:
    # it must re-cost them again, from the date order read after batch 1's re-cost.
    lot(shop, "5", "2", JAN(1), "A1")
    lot(shop, "5", "4", JAN(2), "A2")
    lot(shop, "5", "6", JAN(3), "A3")
    carried = CarriedOrder()
    sync_batch(shop, carried, [invoice("2", 8), invoice("1", 5)])
    assert [sale(i).cost for i in ("1", "2")] == [D(10), D(20)]
    if db.engine.dialect.name == "sqlite":
        assert carried.take(db.session) is not None  # nothing else moved stock: batch 2 starts from it
    sync_batch(shop, carried, [invoice("0", 4)])
    assert [sale(i).cost for i in ("0", "1", "2")] == [D(10), D(20), D(30)]


def test_a_lot_that_settles_a_hundred_lines_of_a_sale_keeps_its_history_entry_short(shop) -> None:  # type: ignore[no-untyped-def]
    # A short change history (SPEC): the entry names each settled line, and is cut at 4,000 characters.
    apply(shop, doc("1", [line("1", "1", "10")] * 100, day=JAN(10)))
    lot(shop, "100", "1", JAN(15), "X")
    named = "; ".join(["1 unit settled from lot X received 2026-01-15"] * 100)
    summary = sale("1").revisions[-1].summary
    assert summary == f"Cost 0.00 → 100.00: {named}"[:4000] and len(summary) == 4000


def _no_a_lot_and_a_return_after_the_short_line(shop) -> None:  # type: ignore[no-untyped-def]
    # Candle A was never received. Invoice 0 sold Acme 1 unit (no cost basis); invoice 1 sells 3 and takes 1
    # back, at invoice 0's cost (a basis): the line of 3 stays short with no basis after lot X settles 1 of it.
    apply(shop, invoice("0", 5, ("1",)))
    apply(shop, doc("1", [line("1", "3", "30"), line("1", "-1", "-10")], day=JAN(10)))
    lot(shop, "1", "5", JAN(20), "X")


def _no_a_lot_and_candle_b_short_with_a_basis(shop) -> None:  # type: ignore[no-untyped-def]
    # Candle A's line has no basis and stays 2 short after lot X; Candle B's is 1 short at B1's cost.
    lot(shop, "2", "5", JAN(1), "B1", product="b")
    apply(shop, doc("1", [line("1", "3", "30"), line("2", "3", "30")], day=JAN(10)))
    lot(shop, "1", "5", JAN(20), "X")


def _candle_a_short_and_a_candle_b_return_without_basis(shop) -> None:  # type: ignore[no-untyped-def]
    # Candle A's line is 1 short at A1's cost, 2 short once invoice 0 (back-dated) takes 1 of A1; Candle B was
    # never received: its return has no cost basis and is not short.
    lot(shop, "2", "3", JAN(1), "A1")
    apply(shop, doc("1", [line("1", "3", "30"), line("2", "-1", "-10")], day=JAN(10)))
    apply(shop, invoice("0", 5, ("1",)))


@pytest.mark.parametrize(
    "story",
    [
        _no_a_lot_and_a_return_after_the_short_line,
        _no_a_lot_and_candle_b_short_with_a_basis,
        _candle_a_short_and_a_candle_b_return_without_basis,
    ],
    ids=[
        "own-short-line-then-a-return-with-a-basis",
        "own-line-without-basis-other-short-with-basis",
        "own-line-short-other-return-without-basis",
    ],
)
def test_a_recost_flags_the_sale_from_every_line_it_has(shop, story) -> None:  # type: ignore[no-untyped-def]
    # Each story ends with a re-cost of Candle A that leaves invoice 1 with one line short and one line
    # without a cost basis, never both on the last line read: the sale is short and has no cost basis.
    story(shop)
    recosted = sale("1")
    assert any(ln.shortage_quantity > 0 for ln in recosted.lines) and any(ln.no_cost_basis for ln in recosted.lines)
    assert (recosted.shortage, recosted.no_cost_basis) == (True, True)


def test_a_return_that_gains_a_cost_basis_at_the_same_cost_is_not_revalued(shop) -> None:  # type: ignore[no-untyped-def]
    # Candle A was never received: Acme's return comes back at 0 with no cost basis. A sale to Acme dated
    # before it, entered late, is now its basis: it cost 0 too (the returned unit settles it), so the return
    # lot keeps its cost and no REVALUE row is written; the memo loses its warning.
    apply(shop, return_memo())
    assert (return_lot().unit_cost, sale("9", "CreditMemo").no_cost_basis) == (D(0), True)
    apply(shop, invoice("1", 5, ("1",)))
    memo = sale("9", "CreditMemo")
    assert (return_lot().unit_cost, memo.cost, memo.no_cost_basis) == (D(0), D(0), False)
    assert moves("REVALUE", "9", "CreditMemo") == []
    assert_the_ledger_adds_up(shop["a"])


def test_a_shortfall_in_a_sync_batch_is_costed_from_the_product_s_own_lots_not_another_product_s_new_return_lot(shop) -> None:  # type: ignore[no-untyped-def]
    # Candle A's only lot (2 at 2) went to invoice 0. One sync batch brings Candle B back (credit memo 8: a
    # return lot of 2 at B1's 50, not written yet) and invoice 1, 1 unit of A short with no active lot: it is
    # costed at the average of every lot A ever received, 2, not (2 x 2 + 2 x 50) / 4.
    lot(shop, "2", "2", JAN(1), "A1")
    lot(shop, "1", "50", JAN(1), "B1", product="b")
    apply(shop, invoice("0", 4, ("2",)))
    back = doc("8", [line("2", "2", "20")], doc_type=DocumentType.CREDIT_MEMO, day=JAN(5), customer=("C3", "Third Shop"))
    apply_together(shop, [back, invoice("1", 10, ("1",))])
    short = sale("1").lines[0]
    assert (short.shortage_quantity, short.shortage_unit_cost, short.no_cost_basis) == (D(1), D(2), False)
    assert db.session.get(Lot, sale("8", "CreditMemo").lines[0].return_lot_id).unit_cost == D(50)


def test_a_back_dated_lot_changes_the_cost_of_a_shortfall_whose_draws_and_quantity_stay_the_same(shop) -> None:  # type: ignore[no-untyped-def]
    # Invoice 3 (1 unit, 5 January) finds no active lot of A: A1's 10 went to invoice 1, and invoice 0 (1 January,
    # 4 units, entered before A0 exists) was settled from A1 too. Its unit is short at the average of every lot A
    # ever received: A1 alone, 10. Lot A0 (4 at 4, 1 January) then arrives: invoice 0 draws it, invoice 1 draws
    # A1 whole, and invoice 3 is still 1 unit short with no draw, but every lot ever is now A0 and A1:
    # (4 x 4 + 10 x 10) / 14 = 8.285714. Only the shortfall's unit cost changed, and it is re-costed for that.
    lot(shop, "10", "10", JAN(2), "A1")
    apply(shop, invoice("1", 3, ("10",)))
    apply(shop, invoice("3", 5, ("1",)))
    apply(shop, invoice("0", 1, ("4",)))
    short = sale("3").lines[0]
    assert (short.shortage_quantity, short.shortage_unit_cost, sale("3").cost) == (D(1), D(10), D(10))
    assert sale("1").lines[0].shortage_quantity == D(4)
    lot(shop, "4", "4", JAN(1), "A0")
    short = sale("3").lines[0]
    assert (short.consumptions, short.shortage_quantity, short.shortage_unit_cost) == ([], D(1), D("8.285714"))
    assert (sale("3").cost, sale("3").shortage) == (D("8.285714"), True)
    assert sale("3").revisions[-1].summary.startswith("Cost 10.00 → 8.29: ")
    assert (sale("0").cost, sale("1").cost) == (D(16), D(100))
    assert_the_ledger_adds_up(shop["a"])
