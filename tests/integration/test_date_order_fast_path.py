"""Facts that land in date order are costed by drawing from the lots as they are; the rest are replayed.

partsemble.costing.order decides, fact by fact, whether drawing from the lots as they stand is
what the date-order replay would do. Replaying too often gives the same numbers, only slower
(a first sync of a year is written in date order: it must not replay every product); replaying too
rarely gives wrong numbers. These tests pin both sides: a spy on `recost_product` says which
products were replayed, and every case checks the numbers too.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from partsemble.costing import recost
from partsemble.costing.apply import ApplyContext, apply as apply_fact, existing_sale
from partsemble.costing.closing import set_costs_final_through
from partsemble.costing.writer import SalesWriter
from partsemble.domain.documents import DocumentType
from partsemble.extensions import db
from partsemble.lots import services
from partsemble.lots.check import find_violations
from partsemble.models.catalog import Product
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import SaleLine
from partsemble.models.sync import SyncRun
from tests import factories
from tests.documents import doc, line
from tests.integration.test_costing_rules import apply, sale, shop  # noqa: F401  (shop is a fixture)

D = Decimal
CM = DocumentType.CREDIT_MEMO
FEB = lambda day: date(2026, 2, day)  # noqa: E731


@pytest.fixture
def replayed(monkeypatch) -> Iterator[list[int]]:  # type: ignore[no-untyped-def]
    """The products re-costed by the date-order replay, in the order it ran."""
    seen: list[int] = []
    original = recost.recost_product

    def spy(session, product_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(product_id)
        return original(session, product_id, *args, **kwargs)

    monkeypatch.setattr(recost, "recost_product", spy)
    yield seen


C1, C2 = ("C1", "Acme Stores"), ("C2", "Other Shop")


def invoice(doc_id: str, qty: str, day: date, minute: int = 0, customer: tuple[str, str] = C1):  # type: ignore[no-untyped-def]
    created = datetime(2026, 3, 1, 12, minute, tzinfo=timezone.utc)
    return replace(doc(doc_id, [line("1", qty, str(D(qty) * 10))], day=day, customer=customer), created_at=created)


def memo(doc_id: str, qty: str, day: date, minute: int = 0, customer: tuple[str, str] = C1):  # type: ignore[no-untyped-def]
    created = datetime(2026, 3, 1, 12, minute, tzinfo=timezone.utc)
    return replace(doc(doc_id, [line("1", qty, str(D(qty) * 10))], doc_type=CM, day=day, customer=customer), created_at=created)


def together(shop, documents) -> None:  # type: ignore[no-untyped-def]
    """One writer, one transaction: a sync batch."""
    ctx = ApplyContext(db.session, shop["items"], writer=SalesWriter(db.session))
    for document in documents:
        apply_fact(ctx, document, existing_sale(db.session, "qbo", str(document.type), document.id))
    ctx.writer.finish(None, None)
    db.session.commit()


def left(product_id: int) -> dict[str, Decimal]:
    return dict(db.session.execute(select(Lot.lot_number, Lot.quantity_remaining).where(Lot.product_id == product_id)).tuples().all())


def in_date_order() -> list[object]:
    """Lots L1 (Jan 1, 5 at 2) and L2 (same day, 5 at 8) are received first; then, in date order:"""
    return [
        invoice("2", "3", FEB(1), minute=0),  # 3 of L1: 6
        invoice("1", "6", FEB(1), minute=5),  # same day, created later (a lower id): 2 of L1 and 4 of L2: 36
        memo("3", "1", FEB(1), minute=10),  # one back that day, at the cost of sale 1 (36 / 6 = 6): a return lot
        invoice("4", "2", FEB(3)),  # the last of L2, then the returned one: 8 + 6 = 14
    ]


def test_documents_in_date_order_one_by_one_are_costed_without_a_replay(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "5", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "5", "8", date(2026, 1, 1), "L2")
    for document in in_date_order():
        apply(shop, document)
    assert [sale(i).cost for i in ("2", "1", "4")] == [D(6), D(36), D(14)] and sale("3", "CreditMemo").cost == D(-6)
    assert left(shop["a"]) == {"L1": D(0), "L2": D(0), "RET-CRE-3-1": D(0)}
    factories.lot(p, "2", "7", FEB(4), "L3")  # a lot after every sale, no shortfall open
    services.adjust_lot(db.session, left_lot("L3").id, "1", "count_correction", "", None, FEB(5).isoformat())
    services.adjust_lot(db.session, left_lot("L3").id, "-2", "damage", "", None, FEB(6).isoformat())
    apply(shop, invoice("5", "1", FEB(7)))
    assert sale("5").cost == D(7) and left(shop["a"])["L3"] == D(0)
    assert replayed == []
    reasons = db.session.scalars(
        select(StockTransaction.reason).where(StockTransaction.type == "LOT_ADJUSTMENT").order_by(StockTransaction.id)
    )
    assert list(reasons) == ["count_correction", "damage"]


def test_documents_in_date_order_in_one_batch_are_costed_without_a_replay(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "5", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "5", "8", date(2026, 1, 1), "L2")
    together(shop, in_date_order())  # L2 keeps one unit after sale 1, for sale 4
    assert [sale(i).cost for i in ("2", "1", "4")] == [D(6), D(36), D(14)] and sale("3", "CreditMemo").cost == D(-6)
    assert replayed == []


def left_lot(number: str) -> Lot:
    found = db.session.scalar(select(Lot).where(Lot.lot_number == number))
    assert found is not None
    return found


@pytest.mark.parametrize(("sold", "short"), [("3", "1"), ("4", "2")], ids=["one-short", "two-short"])
def test_a_return_later_in_the_batch_settles_a_shortfall_of_the_batch(shop, replayed, sold, short) -> None:  # type: ignore[no-untyped-def]
    """The shortfall waits for stock while the batch runs: the return lot that arrives after it settles it."""
    factories.lot(db.session.get(Product, shop["a"]), "2", "5", date(2026, 1, 1), "L1")
    together(shop, [invoice("1", sold, FEB(1)), memo("3", "3", FEB(2))])  # 2 from L1, the rest short at 5; 3 back at 5 each
    assert replayed == [shop["a"]]
    first = sale("1").lines[0]
    assert (first.shortage_quantity, sale("1").shortage) == (D(0), False)
    assert sorted((c.lot.lot_number, c.quantity, c.settled) for c in first.consumptions) == [
        ("L1", D(2), False),
        ("RET-CRE-3-1", D(short), True),
    ]
    assert left(shop["a"]) == {"L1": D(0), "RET-CRE-3-1": D(3) - D(short)}


def test_a_sale_dated_before_the_batch_s_last_sale_is_replayed(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """In one batch, a sale dated before one already drawn: drawing as the lots stand would be wrong."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "2", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "2", "6", date(2026, 1, 2), "L2")
    together(shop, [invoice("2", "2", FEB(3)), invoice("1", "1", FEB(1)), invoice("0", "1", date(2026, 1, 20))])
    assert replayed == [shop["a"]]
    assert (sale("0").cost, sale("1").cost, sale("2").cost) == (D(2), D(2), D(12))


def test_lots_read_back_put_a_day_s_receipts_before_its_returns_whatever_their_ids(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """A return lot (Feb 2, at 2) is entered before a receipt of the same day (at 8): the receipt has the
    higher id, yet a later sale, drawing from lots read back from the database, takes the receipt first."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "5", "2", date(2026, 1, 1), "L1")
    apply(shop, invoice("1", "3", date(2026, 1, 5)))
    apply(shop, memo("9", "1", FEB(2)))  # one back at the cost of sale 1: 2
    factories.lot(p, "2", "8", FEB(2), "L2")  # received that day, entered after: replayed once
    assert left_lot("RET-CRE-9-1").id < left_lot("L2").id and replayed == [shop["a"]]
    apply(shop, invoice("2", "4", FEB(3)))  # in date order: drawn as the lots stand
    assert replayed == [shop["a"]]
    assert sorted((c.lot.lot_number, c.quantity) for c in sale("2").lines[0].consumptions) == [("L1", D(2)), ("L2", D(2))]
    assert sale("2").cost == D(20)  # 2 x 2 + 2 x 8; the return lot first would give 2 x 2 + 1 x 2 + 1 x 8 = 14


def test_return_lots_of_one_day_are_drawn_in_the_order_their_credit_memos_were_created(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """Memo 9 (to C2, at 6) was created before memo 8 (to C1, at 2), though entered after it and with the
    higher id: the next sale takes memo 9's unit first."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "5", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "5", "6", date(2026, 1, 2), "L2")
    apply(shop, invoice("1", "5", date(2026, 1, 3)))  # to C1: all of L1
    apply(shop, invoice("2", "5", date(2026, 1, 4), customer=C2))  # all of L2
    apply(shop, memo("8", "1", FEB(2), minute=30))
    apply(shop, memo("9", "1", FEB(2), minute=10, customer=C2))
    assert (sale("8", "CreditMemo").cost, sale("9", "CreditMemo").cost) == (D(-2), D(-6))
    replayed.clear()
    apply(shop, invoice("3", "1", FEB(3)))
    assert replayed == [] and [(c.lot.lot_number, c.unit_cost) for c in sale("3").lines[0].consumptions] == [("RET-CRE-9-1", D(6))]


def test_a_return_in_a_batch_is_costed_from_the_batch_s_latest_created_sale_even_of_one_unit(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """Sales B (11:00) and A (12:00) of one day, one unit each, in one batch: the credit memo after them
    takes A's cost (the later created, though its id sorts first)."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "1", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "1", "8", date(2026, 1, 2), "L2")
    together(shop, [invoice("B", "1", FEB(1), minute=0), invoice("A", "1", FEB(1), minute=30), memo("3", "1", FEB(2))])
    assert replayed == [] and (sale("B").cost, sale("A").cost) == (D(2), D(8))
    assert sale("3", "CreditMemo").cost == D(-8)


def test_a_batch_draws_a_return_lot_it_wrote_before_reading_the_product_s_lots(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """The credit memo comes first in the batch, so its one-unit return lot exists only in memory when the
    next sale reads the product's lots; another product read in between leaves them alone."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "1", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "5", "3", date(2026, 1, 1), "L2")
    factories.lot(db.session.get(Product, shop["b"]), "5", "4", date(2026, 1, 1), "B1")
    apply(shop, invoice("1", "6", date(2026, 1, 5)))  # all of L1 and L2
    replayed.clear()
    candle_b = replace(doc("7", [line("2", "1", "10")], day=FEB(2)), created_at=datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc))
    together(shop, [memo("3", "1", FEB(1)), candle_b, invoice("4", "2", FEB(2), minute=5)])
    assert replayed == []
    assert [(c.lot.lot_number, c.quantity) for c in sale("4").lines[0].consumptions] == [("RET-CRE-3-1", D(1))]
    assert (sale("4").lines[0].shortage_quantity, sale("4").cost) == (
        D(1),
        D("5.666666"),
    )  # the return at 17 / 6, then 1 short at that cost too


def test_a_sale_with_two_lines_of_one_product_is_costed_without_a_replay(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    factories.lot(db.session.get(Product, shop["a"]), "5", "2", date(2026, 1, 1), "L1")
    apply(
        shop,
        replace(doc("1", [line("1", "1", "10"), line("1", "2", "20")], day=FEB(1)), created_at=datetime(2026, 3, 1, tzinfo=timezone.utc)),
    )
    assert replayed == [] and sale("1").cost == D(6)


def test_a_credit_memo_edited_twice_numbers_its_new_return_lots_after_the_old_ones(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    factories.lot(db.session.get(Product, shop["a"]), "5", "2", date(2026, 1, 1), "L1")
    apply(shop, invoice("1", "2", date(2026, 1, 5)))
    for version, qty in (("0", "1"), ("1", "2"), ("2", "1")):
        apply(shop, replace(memo("3", qty, FEB(1)), version=version))
    numbers = db.session.execute(select(Lot.lot_number, Lot.status).where(Lot.source == "return").order_by(Lot.id)).tuples().all()
    assert numbers == [("RET-CRE-3-1", "voided"), ("RET-CRE-3-1-2", "voided"), ("RET-CRE-3-1-3", "active")]


def test_a_batch_replay_names_the_earliest_fact_that_was_out_of_date_order(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """A late sale (Feb 1) and then an edit of a sale of Feb 12 in one batch: the later sale's history names
    the earlier of the two as the reason for its re-cost."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "10", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "4", "6", date(2026, 1, 2), "L2")
    factories.lot(p, "10", "9", date(2026, 1, 3), "L3")
    for document in (invoice("5", "5", FEB(10)), invoice("6", "5", FEB(12)), invoice("8", "2", FEB(15))):
        apply(shop, document)
    assert sale("8").cost == D(12)
    together(shop, [invoice("7", "4", FEB(1)), replace(invoice("6", "4", FEB(12)), version="1")])
    assert replayed == [shop["a"]]
    assert [sale(i).cost for i in ("7", "5", "6", "8")] == [D(8), D(10), D(20), D(15)]
    assert sale("8").revisions[-1].summary == "Cost 12.00 → 15.00: re-costed in date order (Invoice INV-7 dated 2026-02-01)"


def test_two_credit_memos_of_one_number_in_a_batch_get_two_return_lot_numbers(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """QuickBooks lets two credit memos share a number: the second return lot of the batch, not written yet
    when the first is numbered, still counts as taken."""
    factories.lot(db.session.get(Product, shop["a"]), "5", "2", date(2026, 1, 1), "L1")
    apply(shop, invoice("1", "4", date(2026, 1, 5)))
    together(shop, [replace(memo("3", "1", FEB(1)), number="CM-1"), replace(memo("4", "1", FEB(2)), number="CM-1")])
    numbers = db.session.execute(select(Lot.lot_number).where(Lot.source == "return").order_by(Lot.id)).scalars().all()
    assert numbers == ["RET-CM-1-1", "RET-CM-1-1-2"] and replayed == []


def test_a_sale_entered_after_a_later_positive_adjustment_does_not_take_the_units_it_found(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """3 units of L1 are found on Jan 20; a sale of Jan 10 entered afterwards cannot have taken them."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "2", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "10", "8", date(2026, 1, 2), "L2")
    services.adjust_lot(db.session, left_lot("L1").id, "3", "count_correction", "", None, date(2026, 1, 20).isoformat())
    apply(shop, invoice("1", "4", date(2026, 1, 10)))
    assert replayed == [shop["a"]] and sale("1").cost == D(20)  # 2 of L1 and 2 of L2; drawn as the lots stand: 4 x 2 = 8
    assert left(shop["a"]) == {"L1": D(3), "L2": D(8)}


def test_a_sale_entered_late_between_two_sales_of_its_day_is_replayed(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """Sales of Feb 1 created at 12:00 and 12:30 are in; one created at 12:15 is entered last: it comes between them."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "2", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "2", "8", date(2026, 1, 2), "L2")
    apply(shop, invoice("A", "1", FEB(1), minute=0))
    apply(shop, invoice("B", "1", FEB(1), minute=30))
    replayed.clear()
    apply(shop, invoice("C", "1", FEB(1), minute=15))
    assert replayed == [shop["a"]]
    assert [sale(i).cost for i in ("A", "C", "B")] == [D(2), D(2), D(8)]


def test_a_late_sale_is_replayed_when_the_stored_sales_have_no_creation_time(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """Manual sales and some documents carry no creation time: the horizon still counts them."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "2", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "2", "8", date(2026, 1, 2), "L2")
    apply(shop, doc("2", [line("1", "2", "20")], day=FEB(5)))  # L1
    apply(shop, doc("1", [line("1", "2", "20")], day=FEB(1)))  # dated before it: takes L1 from it
    assert replayed == [shop["a"]] and (sale("1").cost, sale("2").cost) == (D(4), D(16))


def test_a_batch_that_reads_several_products_at_once_keeps_each_one_s_horizon(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """The sync reads the lots of every product of a batch in one go (Candle A has no sales, Candle B has one)."""
    factories.lot(db.session.get(Product, shop["a"]), "5", "2", date(2026, 1, 1), "A1")
    b = db.session.get(Product, shop["b"])
    factories.lot(b, "2", "4", date(2026, 1, 1), "B1")
    factories.lot(b, "2", "9", date(2026, 1, 2), "B2")
    apply(shop, replace(doc("1", [line("2", "2", "40")], day=FEB(5)), created_at=datetime(2026, 3, 1, tzinfo=timezone.utc)))
    ctx = ApplyContext(db.session, shop["items"], writer=SalesWriter(db.session))
    ctx.writer.book.load([shop["a"], shop["b"]])
    late = replace(doc("0", [line("2", "2", "40")], day=FEB(1)), created_at=datetime(2026, 3, 1, tzinfo=timezone.utc))
    apply_fact(ctx, late, None)
    recosted = ctx.writer.finish(None, None)
    db.session.commit()
    assert replayed == [shop["b"]] and recosted == {sale("1").id}
    assert (sale("0").cost, sale("1").cost) == (D(8), D(18))


def test_a_batch_that_re_costs_two_products_reports_the_sales_of_both(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    for product, item in ((shop["a"], "1"), (shop["b"], "2")):
        factories.lot(db.session.get(Product, product), "2", "4", date(2026, 1, 1))
        factories.lot(db.session.get(Product, product), "2", "9", date(2026, 1, 2))
        apply(shop, doc(f"later-{item}", [line(item, "2", "40")], day=FEB(5)))
    ctx = ApplyContext(db.session, shop["items"], writer=SalesWriter(db.session))
    for item in ("1", "2"):
        apply_fact(ctx, doc(f"early-{item}", [line(item, "2", "40")], day=FEB(1)), None)
    recosted = ctx.writer.finish(None, None)
    db.session.commit()
    assert sorted(replayed) == sorted([shop["a"], shop["b"]])
    assert recosted == {sale("later-1").id, sale("later-2").id} and sale("later-1").cost == sale("later-2").cost == D(18)


def test_a_return_lot_names_its_credit_memo_as_the_sale_keeps_it_and_who_synced_it(users, shop, replayed) -> None:  # type: ignore[no-untyped-def]
    admin = users["admin"].id
    run = SyncRun(user_id=admin)
    db.session.add(run)
    db.session.commit()
    factories.lot(db.session.get(Product, shop["a"]), "5", "2", date(2026, 1, 1), "L1")
    apply(shop, invoice("1", "2", date(2026, 1, 5)))
    number = "N" * 600  # a Xero credit note number can be this long; QuickBooks' DocNumber is short
    ctx = ApplyContext(db.session, shop["items"], run_id=run.id, user_id=admin, writer=SalesWriter(db.session))
    apply_fact(ctx, replace(memo("3", "1", FEB(1)), number=number), None)
    ctx.writer.finish(admin, run.id)
    db.session.commit()
    lot = db.session.scalar(select(Lot).where(Lot.source == "return"))
    assert lot is not None and (lot.sale_id, lot.created_by_id) == (sale("3", "CreditMemo").id, admin)
    note = f"Returned on Credit memo {'N' * 64} (cost of sale INV-1 on 2026-01-05)"  # the memo's number as its sale keeps it
    row = db.session.scalars(select(StockTransaction).where(StockTransaction.type == "RETURN")).one()
    assert (lot.note, row.note, row.user_id, row.sync_run_id) == (note, note, admin, run.id)
    assert lot.lot_number == f"RET-{'N' * 64}-1"  # cut like the sale's number, to fit the lot's 80 characters


def test_a_batch_with_a_back_dated_return_and_then_an_edit_replays_once(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """A credit memo dated before a stored sale, then an edit of a later sale, in one batch."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "2", "2", date(2026, 1, 1), "L1")
    apply(shop, invoice("1", "2", date(2026, 1, 5)))  # all of L1
    apply(shop, invoice("2", "1", FEB(5)))  # short: 1 at 2
    apply(shop, invoice("4", "1", FEB(10)))  # short: 1 at 2
    together(shop, [memo("3", "1", FEB(1)), replace(invoice("4", "2", FEB(10)), version="1")])
    assert replayed == [shop["a"]]
    assert sale("2").lines[0].shortage_quantity == D(0) and sale("4").lines[0].shortage_quantity == D(2)


def test_partsemble_check_names_a_sale_whose_stored_draws_differ_from_the_replay(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """`partsemble check` tells the bookkeeper which document is off, by its kind and number (a line corrupted
    by hand: 1 short at 2 on top of its two units from L1, then put back)."""
    factories.lot(db.session.get(Product, shop["a"]), "5", "2", date(2026, 1, 1), "L1")
    apply(shop, replace(doc("1", [line("1", "2", "20")], doc_type=DocumentType.SALES_RECEIPT, day=FEB(1)), created_at=None))
    receipt = sale("1", "SalesReceipt")
    db.session.execute(
        update(SaleLine).where(SaleLine.sale_id == receipt.id).values(shortage_quantity=D(1), shortage_unit_cost=D(2), cost=D(6))
    )
    db.session.commit()
    found = find_violations(db.session)
    db.session.execute(
        update(SaleLine).where(SaleLine.sale_id == receipt.id).values(shortage_quantity=D(0), shortage_unit_cost=D(0), cost=D(4))
    )
    db.session.commit()
    assert (
        f"Product CND-A: Sales receipt SAL-1 (sale id {receipt.id}) is costed 6.000000 but the date-order replay costs it 4.000000."
        in found
    )


def test_a_shortage_on_the_closing_day_itself_stays_as_it_was_closed(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    apply(shop, invoice("1", "2", date(2026, 1, 31)))  # short: no lots yet
    set_costs_final_through(db.session, date(2026, 1, 31), None)
    factories.lot(db.session.get(Product, shop["a"]), "5", "2", FEB(2), "FEB")  # would settle it, were it open
    assert (sale("1").cost, sale("1").lines[0].shortage_quantity, sale("1").lines[0].consumptions) == (D(0), D(2), [])


# What the replay reads back: every field it orders or explains by, taken from the rows the fast path wrote.


def test_a_credit_memo_line_that_takes_stock_is_no_basis_for_a_later_return(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """A credit memo with a negative quantity takes units out of stock, but it is not a sale: a later return
    of that customer is costed at the last invoice (2 a unit), not at the memo's draw (8 a unit)."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "2", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "5", "8", date(2026, 1, 1), "L2")
    apply(shop, invoice("1", "2", FEB(1)))  # all of L1: 4
    apply(shop, memo("2", "-1", FEB(2)))  # one of L2 out: 8
    apply(shop, memo("3", "1", FEB(3)))  # one back, at the cost of sale 1
    assert replayed == [] and (sale("2", "CreditMemo").cost, sale("3", "CreditMemo").cost) == (D(8), D(-2))
    assert left_lot("RET-CRE-3-1").unit_cost == D(2)
    assert find_violations(db.session) == []  # the replay reads the memo as no sale too


def test_a_return_that_is_not_restocked_hides_no_later_sale_from_the_replay(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "5", "2", date(2026, 1, 1), "L1")
    apply(shop, invoice("1", "2", FEB(1)))
    apply(shop, memo("2", "1", FEB(2)), restock=False)  # money back, no goods back: no return lot
    apply(shop, invoice("3", "1", FEB(3)))
    assert replayed == [] and left(shop["a"]) == {"L1": D(2)}
    assert find_violations(db.session) == []  # the replay counts sale 3's unit too


def test_a_voided_lot_does_not_stop_the_replay_from_revaluing_the_lots_after_it(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """A late invoice becomes the customer's last sale before a return: the return lot is revalued at its cost."""
    p = db.session.get(Product, shop["a"])
    services.void_lot(db.session, factories.lot(p, "4", "3", date(2026, 1, 1), "A-VOID").id, None)  # first by id and by number
    factories.lot(p, "2", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "5", "8", date(2026, 1, 1), "L2")
    apply(shop, invoice("1", "2", FEB(1)))  # all of L1: 2 a unit
    apply(shop, memo("3", "1", FEB(10)))  # one back at 2
    replayed.clear()
    apply(shop, invoice("2", "1", FEB(5)))  # late: one of L2 at 8, now the last sale before the return
    assert replayed == [shop["a"]]
    assert sale("3", "CreditMemo").cost == D(-8) and left_lot("RET-CRE-3-1").unit_cost == D(8)
    assert left(shop["a"]) == {"A-VOID": D(0), "L1": D(0), "L2": D(4), "RET-CRE-3-1": D(1)}


def test_a_return_lot_written_mid_batch_and_then_drawn_keeps_its_balance(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """In one batch: a return lot arrives; an edit of another product's sale writes what the batch holds so far;
    then a sale draws the returned unit. The return lot ends at 0, as the replay would leave it."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "2", "5", date(2026, 1, 1), "L1")
    factories.lot(db.session.get(Product, shop["b"]), "5", "3", date(2026, 1, 1), "B1")
    apply(shop, invoice("1", "2", FEB(1)))  # all of L1
    other = replace(doc("9", [line("2", "1", "10")], day=FEB(1)), created_at=datetime(2026, 3, 1, 11, 0, tzinfo=timezone.utc))
    apply(shop, other)
    edited = replace(other, version="1")  # the same line again, a new version: reversed and written anew
    together(shop, [memo("3", "1", FEB(2)), edited, invoice("4", "1", FEB(3))])
    assert shop["a"] not in replayed
    assert left(shop["a"]) == {"L1": D(0), "RET-CRE-3-1": D(0)} and sale("4").cost == D(5)
    assert find_violations(db.session) == []


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=lambda o: "".join(map(str, o)))
def test_a_return_lot_names_the_same_basis_in_any_order_of_entry(shop, replayed, order) -> None:  # type: ignore[no-untyped-def]
    """Every unit costs 2, so a late sale changes no number: the note must still name the customer's last
    sale before the return, whatever order the three documents were entered in."""
    factories.lot(db.session.get(Product, shop["a"]), "5", "2", date(2026, 1, 1), "L1")
    documents = [invoice("1", "1", FEB(1)), invoice("2", "1", FEB(5)), memo("3", "1", FEB(10))]
    for i in order:
        apply(shop, documents[i])
    returned = left_lot("RET-CRE-3-1")
    assert (returned.unit_cost, returned.note) == (D(2), "Returned on Credit memo CRE-3 (cost of sale INV-2 on 2026-02-05)")
    assert left(shop["a"]) == {"L1": D(3), "RET-CRE-3-1": D(1)}
    assert [sale("1").cost, sale("2").cost, sale("3", "CreditMemo").cost] == [D(2), D(2), D(-2)]


def test_documents_of_one_moment_are_replayed_in_the_order_of_their_ids(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """A bulk import gives documents one date and one creation time: they then go by id ("10" before "9",
    as their ids compare), not by the order they were synced in."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "1", "2", date(2026, 1, 1), "L1")
    factories.lot(p, "5", "8", date(2026, 1, 1), "L2")
    apply(shop, invoice("9", "1", FEB(1)))
    apply(shop, invoice("10", "1", FEB(1)))  # the same moment, an id that comes first: replayed
    assert replayed == [shop["a"]]
    assert (sale("10").cost, sale("9").cost) == (D(2), D(8))


def test_two_lines_of_one_product_are_replayed_in_their_order_on_the_document(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    """Line 1 draws before line 2, however the database returns their rows (a re-costed row moves on PostgreSQL)."""
    p = db.session.get(Product, shop["a"])
    factories.lot(p, "2", "2", date(2026, 1, 1), "L1")
    l2 = factories.lot(p, "9", "8", date(2026, 1, 1), "L2").id
    apply(shop, replace(doc("1", [line("1", "2", "20"), line("1", "2", "20")], day=FEB(5)), created_at=None))  # 4 and 16
    apply(shop, invoice("2", "1", FEB(1)))  # late: line 1 now takes one of L1 and one of L2 (10); line 2 is unchanged
    services.adjust_lot(db.session, l2, "1", "count_correction", "", None, FEB(3).isoformat())  # before the sale: replayed
    assert replayed == [shop["a"], shop["a"]]
    assert [l.cost for l in sorted(sale("1").lines, key=lambda l: l.position)] == [D(10), D(16)]
    assert sale("2").cost == D(2)


def test_partsemble_check_names_a_return_lot_whose_note_names_another_basis(shop, replayed) -> None:  # type: ignore[no-untyped-def]
    factories.lot(db.session.get(Product, shop["a"]), "5", "2", date(2026, 1, 1), "L1")
    apply(shop, invoice("1", "1", FEB(1)))
    apply(shop, memo("3", "1", FEB(10)))
    returned = left_lot("RET-CRE-3-1")
    assert find_violations(db.session) == []
    returned.note = "Returned on Credit memo CRE-3 (weighted average cost)"  # by hand: not what the replay says
    db.session.commit()
    found = find_violations(db.session)
    returned.note = "Returned on Credit memo CRE-3 (cost of sale INV-1 on 2026-02-01)"
    db.session.commit()
    assert found == [
        "Product CND-A: return lot RET-CRE-3-1 reads 'Returned on Credit memo CRE-3 (weighted average cost)'; the replay: "
        "'Returned on Credit memo CRE-3 (cost of sale INV-1 on 2026-02-01)'."
    ]
