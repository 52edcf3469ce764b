"""SPEC "FIFO, shortages, returns: costs follow the dates", one test per rule, each entered in
more than one order where the order is the point."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from partsemble.costing.apply import ApplyContext, apply_document
from partsemble.costing.closing import set_costs_final_through
from partsemble.domain.documents import DocumentStatus, DocumentType
from partsemble.domain.sale_plan import DocumentRejected
from partsemble.extensions import db
from partsemble.lots import services
from partsemble.models.catalog import Product
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.settings import BookSettings
from partsemble.sales.manual import ManualLine, ManualSaleInput, create_manual_sale
from partsemble.validation import InputError
from tests import factories
from tests.documents import doc, line
from tests.integration.test_costing_rules import apply, sale, shop  # noqa: F401  (shop is a fixture)

D = Decimal
CM = DocumentType.CREDIT_MEMO
JAN = lambda day: date(2026, 1, day)  # noqa: E731


def product(shop) -> Product:  # type: ignore[no-untyped-def]
    return db.session.get(Product, shop["a"])


def lot(shop, qty: str, cost: str, day: date, number: str) -> Lot:  # type: ignore[no-untyped-def]
    return factories.lot(product(shop), qty, cost, day, number)


def invoice(doc_id: str, qty: str, day: date, version: str = "0", customer: tuple[str, str] = ("C1", "Acme Stores"), minute: int = 0):  # type: ignore[no-untyped-def]
    created = datetime(2026, 1, 1, 12, minute, tzinfo=timezone.utc)
    return replace(doc(doc_id, [line("1", qty, str(D(qty) * 10))], day=day, version=version, customer=customer), created_at=created)


def draws(doc_id: str, doc_type: str = "Invoice") -> list[tuple[str, Decimal, Decimal, bool]]:
    found = sale(doc_id, doc_type)
    return [(c.lot.lot_number, c.quantity, c.unit_cost, c.settled) for ln in found.lines for c in ln.consumptions]


def lots_left(shop) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    return dict(db.session.execute(select(Lot.lot_number, Lot.quantity_remaining).where(Lot.product_id == shop["a"])).tuples().all())


# A sale draws only lots received on or before its date, whichever was entered first.
ENTRIES: dict[str, list[str]] = {
    "lots, then the sale": ["A", "B", "sale"],
    "the sale, then the lots": ["sale", "A", "B"],
    "the later lot first": ["B", "sale", "A"],
}


@pytest.mark.parametrize("order", list(ENTRIES), ids=list(ENTRIES))
def test_a_sale_draws_only_lots_received_by_its_date_and_the_next_lot_settles_the_rest(shop, order) -> None:  # type: ignore[no-untyped-def]
    steps: dict[str, Callable[[], object]] = {
        "A": lambda: lot(shop, "5", "2", JAN(1), "A"),
        "B": lambda: lot(shop, "10", "3", JAN(20), "B"),  # after the sale: it settles the 3 units short
        "sale": lambda: apply(shop, invoice("1", "8", JAN(10))),
    }
    for step in ENTRIES[order]:
        steps[step]()
    assert draws("1") == [("A", D(5), D(2), False), ("B", D(3), D(3), True)]
    found = sale("1")
    assert (found.cost, found.shortage) == (D(19), False)  # 5 x 2 + 3 x 3, exact once settled
    assert lots_left(shop) == {"A": D(0), "B": D(7)}
    assert product(shop).stock_on_hand == D(7)  # lots add up to stock on hand after settlement


def test_settlement_covers_the_oldest_shortage_first_and_says_so_in_the_history(shop) -> None:  # type: ignore[no-untyped-def]
    apply(shop, invoice("1", "3", JAN(5)))  # no lots at all: no cost basis
    apply(shop, invoice("2", "2", JAN(6)))
    assert (sale("1").cost, sale("1").no_cost_basis) == (D(0), True)
    lot(shop, "4", "5", JAN(10), "L")
    assert draws("1") == [("L", D(3), D(5), True)] and sale("1").cost == D(15) and not sale("1").shortage
    assert draws("2") == [("L", D(1), D(5), True)] and sale("2").shortage and sale("2").lines[0].shortage_quantity == D(1)
    assert sale("1").revisions[-1].summary == "Cost 0.00 → 15.00: 3 units settled from lot L received 2026-01-10"
    lot(shop, "10", "6", JAN(12), "M")
    assert sale("2").cost == D(11) and not sale("2").shortage  # 1 x 5 + 1 x 6
    assert lots_left(shop) == {"L": D(0), "M": D(9)} and product(shop).stock_on_hand == D(9)
    ledger = {t for (t,) in db.session.execute(select(StockTransaction.type).where(StockTransaction.sale_id.is_not(None)))}
    assert "SETTLE" in ledger


def test_a_back_dated_lot_recosts_later_sales_and_only_those_whose_cost_changes_get_history(shop) -> None:  # type: ignore[no-untyped-def]
    lot(shop, "5", "2", JAN(1), "A")
    apply(shop, invoice("1", "5", JAN(10)))
    apply(shop, doc("2", [line("2", "1", "10")], day=JAN(11)))  # another product: untouched
    assert sale("1").cost == D(10)
    history_before = len(sale("2").revisions)
    lot(shop, "5", "1", date(2025, 12, 20), "Z")  # back-dated, cheaper
    assert draws("1") == [("Z", D(5), D(1), False)] and sale("1").cost == D(5)
    assert sale("1").revisions[-1].summary == ("Cost 10.00 → 5.00: re-costed in date order (lot Z received 2025-12-20)")
    assert len(sale("2").revisions) == history_before
    assert lots_left(shop) == {"A": D(5), "Z": D(0)}


def test_a_late_document_is_costed_in_date_order_and_moves_the_later_sale(shop) -> None:  # type: ignore[no-untyped-def]
    lot(shop, "5", "2", JAN(1), "A")
    lot(shop, "5", "4", JAN(3), "B")
    apply(shop, invoice("2", "5", JAN(12)))  # synced first, draws A
    apply(shop, invoice("1", "5", JAN(5)))  # retried later (its item was linked afterwards), dated before it
    assert draws("1") == [("A", D(5), D(2), False)] and sale("1").cost == D(10)
    assert draws("2") == [("B", D(5), D(4), False)] and sale("2").cost == D(20)
    assert "re-costed in date order (Invoice INV-1 dated 2026-01-05)" in sale("2").revisions[-1].summary


@pytest.mark.parametrize(
    "change, first, second",
    [
        ("date", [("B", D(5), D(4), False)], [("A", D(5), D(2), False)]),  # invoice 1 moves after invoice 2
        ("void", [], [("A", D(5), D(2), False)]),  # invoice 1 goes: invoice 2 takes the older lot
    ],
)
def test_an_edit_or_void_of_an_old_sale_recosts_the_later_ones(shop, change, first, second) -> None:  # type: ignore[no-untyped-def]
    lot(shop, "5", "2", JAN(1), "A")
    lot(shop, "5", "4", JAN(3), "B")
    apply(shop, invoice("1", "5", JAN(5)))
    apply(shop, invoice("2", "5", JAN(8), minute=1))
    if change == "date":
        apply(shop, invoice("1", "5", JAN(20), version="1"))
    else:
        apply(shop, replace(invoice("1", "5", JAN(5), version="1"), status=DocumentStatus.VOIDED))
    assert draws("1") == first
    assert draws("2") == second


def test_a_positive_adjustment_settles_and_a_back_dated_negative_one_recosts_the_sale_that_drew_its_units(shop) -> None:  # type: ignore[no-untyped-def]
    a = lot(shop, "5", "2", JAN(1), "A")
    lot(shop, "5", "3", JAN(5), "B")
    apply(shop, invoice("1", "6", JAN(10)))
    assert sale("1").cost == D(13)  # 5 x 2 + 1 x 3
    services.adjust_lot(db.session, a.id, "-2", "damage", "", None, JAN(3).isoformat())  # 2 of A were lost before the sale
    assert draws("1") == [("A", D(3), D(2), False), ("B", D(3), D(3), False)] and sale("1").cost == D(15)
    apply(shop, invoice("2", "9", JAN(12)))  # 2 left in B, 7 short
    services.adjust_lot(db.session, a.id, "4", "count_correction", "", None, JAN(15).isoformat())  # found 4 more of A
    assert ("A", D(4), D(2), True) in draws("2")
    assert sale("2").lines[0].shortage_quantity == D(3)


def test_a_back_dated_loss_from_a_lot_that_still_holds_the_units_recosts_the_later_sales(shop) -> None:  # type: ignore[no-untyped-def]
    # The lot still holds the unit the loss removes (DateOrder.departure, not the "sales drew them"
    # path), yet the loss dated before the first sale leaves it one short: that unit then comes from
    # the next lot, and the second sale's last unit from the unit found later. Costs move 10/20 -> 12/18.
    a = lot(shop, "5", "2", JAN(1), "A")
    apply(shop, invoice("1", "5", JAN(10)))
    lot(shop, "5", "4", JAN(15), "B")
    apply(shop, invoice("2", "5", JAN(20), minute=1))
    services.adjust_lot(db.session, a.id, "1", "count_correction", "", None, JAN(25).isoformat())  # one more of A found
    assert (sale("1").cost, sale("2").cost) == (D(10), D(20)) and lots_left(shop) == {"A": D(1), "B": D(0)}
    services.adjust_lot(db.session, a.id, "-1", "damage", "", None, JAN(5).isoformat())  # one of A was broken before the sales
    assert draws("1") == [("A", D(4), D(2), False), ("B", D(1), D(4), True)] and sale("1").cost == D(12)
    assert draws("2") == [("B", D(4), D(4), False), ("A", D(1), D(2), True)] and sale("2").cost == D(18)
    assert lots_left(shop) == {"A": D(0), "B": D(0)}
    assert "lot A adjusted by -1 on 2026-01-05" in sale("1").revisions[-1].summary


def test_a_sale_entered_late_leaves_alone_the_units_a_later_adjustment_removes(shop) -> None:  # type: ignore[no-untyped-def]
    a = lot(shop, "10", "2", JAN(1), "A")
    lot(shop, "10", "3", JAN(2), "B")
    services.adjust_lot(db.session, a.id, "-5", "loss", "", None, JAN(10).isoformat())
    apply(shop, invoice("1", "8", JAN(5)))  # entered after the loss, dated before it
    assert draws("1") == [("A", D(5), D(2), False), ("B", D(3), D(3), False)]
    assert lots_left(shop) == {"A": D(0), "B": D(7)}


def test_a_return_comes_back_at_the_settled_cost_of_the_sale_before_it(shop) -> None:  # type: ignore[no-untyped-def]
    apply(shop, doc("9", [line("1", "1", "10")], doc_type=CM, day=JAN(8)))  # entered first
    apply(shop, invoice("1", "2", JAN(5)))  # no lots yet: no cost basis
    lot(shop, "2", "7", JAN(6), "L")  # arrives after the sale, before the credit memo: settles it at 7
    memo = sale("9", "CreditMemo")
    assert memo.cost == D(-7) and memo.lines[0].return_lot.unit_cost == D(7)
    assert sale("1").cost == D(14)


def test_the_closed_period_refuses_new_facts_and_keeps_its_costs(shop, app) -> None:  # type: ignore[no-untyped-def]
    apply(shop, invoice("1", "3", JAN(10)))  # short: no lots yet
    old = factories.lot(db.session.get(Product, shop["b"]), "5", "2", JAN(2), "OLD")
    set_costs_final_through(db.session, JAN(31), None)
    with pytest.raises(InputError, match="closed period") as refused:
        lot(shop, "5", "2", JAN(15), "IN-CLOSED")
    assert refused.value.field == "received_date"
    lot(shop, "5", "2", date(2026, 2, 2), "FEB")
    with pytest.raises(InputError, match="closed period") as refused:
        services.adjust_lot(db.session, old.id, "1", "count_correction", "", None, JAN(31).isoformat())
    assert refused.value.field == "adjusted_on"
    with pytest.raises(InputError, match="closed period"):
        create_manual_sale(db.session, ManualSaleInput(JAN(20), "", "Shop", "", (ManualLine(shop["a"], D(1), D(5)),)), None)
    with pytest.raises(DocumentRejected, match="closed period ending 2026-01-31") as rejected:
        apply_document(ApplyContext(db.session, shop["items"], closed_through=JAN(31)), invoice("2", "1", JAN(20)))
    assert rejected.value.code == "closed_period"
    db.session.rollback()
    # The February lot did not settle the closed January shortage; opening the period does.
    assert sale("1").cost == D(0) and draws("1") == []
    assert set_costs_final_through(db.session, None, None) == 1
    assert draws("1") == [("FEB", D(3), D(2), True)]


def test_moving_the_closed_period_earlier_recosts_only_what_it_reopens_and_says_who_and_why(users, shop) -> None:  # type: ignore[no-untyped-def]
    admin = users["admin"].id
    apply(shop, invoice("1", "1", JAN(3)))  # no lots yet: short
    apply(shop, invoice("2", "3", JAN(10), minute=1))  # short
    assert set_costs_final_through(db.session, JAN(31), admin) == 0
    lot(shop, "3", "2", date(2026, 2, 2), "FEB1")
    lot(shop, "4", "5", date(2026, 2, 3), "FEB2")
    apply(shop, invoice("3", "4", date(2026, 2, 5), minute=2))  # 3 x 2 + 1 x 5: the closed shortages wait
    assert sale("3").cost == D(11)
    # Through Jan 5: the Jan 10 sale reopens and takes FEB1; the Jan 3 sale stays closed and short.
    assert set_costs_final_through(db.session, JAN(5), admin) == 2
    assert draws("1") == [] and sale("1").cost == D(0)
    assert draws("2") == [("FEB1", D(3), D(2), True)]
    assert draws("3") == [("FEB2", D(4), D(5), False)]
    moved = sale("3").revisions[-1]
    assert moved.summary == "Cost 11.00 → 20.00: re-costed in date order (the closed period now ends 2026-01-05 (was 2026-01-31))"
    assert moved.user_id == admin
    settings = db.session.get(BookSettings, 1)
    assert (settings.costs_final_through, settings.updated_by_id) == (JAN(5), admin)
    # Opened: the Jan 3 sale, the oldest shortage, is settled first.
    set_costs_final_through(db.session, None, admin)
    assert draws("1") == [("FEB1", D(1), D(2), True)]
    assert any("the closed period now ends nowhere (was 2026-01-05)" in r.summary for s in ("1", "2", "3") for r in sale(s).revisions)


def test_each_settlement_names_only_the_units_it_settled(shop) -> None:  # type: ignore[no-untyped-def]
    apply(shop, invoice("1", "3", JAN(5)))  # no lots: 3 short
    lot(shop, "1", "4", JAN(6), "X")
    assert sale("1").revisions[-1].summary == "Cost 0.00 → 4.00: 1 unit settled from lot X received 2026-01-06"
    lot(shop, "5", "2", JAN(7), "Y")  # X's unit stays settled: only Y's 2 are new
    assert sale("1").revisions[-1].summary == "Cost 4.00 → 8.00: 2 units settled from lot Y received 2026-01-07"
