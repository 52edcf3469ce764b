"""Lots and the stock ledger through the inventory services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from partsemble.csvio import CsvRejected
from partsemble.extensions import db
from partsemble.lots import services
from partsemble.lots.check import find_violations
from partsemble.models.catalog import Product
from partsemble.models.inventory import LedgerIsAppendOnly, Lot, StockTransaction
from partsemble.validation import InputError
from tests import factories

D = Decimal


def ledger_sum(product_id: int) -> Decimal:
    return db.session.scalar(select(func.coalesce(func.sum(StockTransaction.quantity), 0)).where(StockTransaction.product_id == product_id))


def test_receiving_a_lot_writes_the_lot_and_one_receive_row(app) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("CND-1")
    lot = factories.lot(p, "20", "145.00")
    rows = db.session.scalars(select(StockTransaction).where(StockTransaction.lot_id == lot.id)).all()
    assert [(r.type, r.quantity, r.unit_cost, r.value) for r in rows] == [("RECEIVE", D(20), D(145), D(2900))]
    assert lot.quantity_remaining == D(20) and lot.status == "active"
    assert db.session.get(Product, p.id).stock_on_hand == D(20) == ledger_sum(p.id)


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ([], "CND-1-20260301"),
        (["CND-1-20260301"], "CND-1-20260301-2"),
        (["CND-1-20260301", "CND-1-20260301-2"], "CND-1-20260301-3"),
    ],
)
def test_lot_numbers_are_suggested_from_sku_and_date_with_a_suffix_for_repeats(app, existing, expected) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("CND-1")
    for number in existing:
        factories.lot(p, "1", "1", date(2026, 3, 1), number)
    assert services.suggest_lot_number(db.session, p, date(2026, 3, 1)) == expected
    lot = factories.lot(p, "1", "1", date(2026, 3, 1))
    assert lot.lot_number == expected


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (dict(quantity="0"), "quantity", "greater than zero"),
        (dict(quantity="-3"), "quantity", "greater than zero"),
        (dict(quantity="abc"), "quantity", "Quantity: 'abc' is not a number"),
        (dict(quantity="1.23456"), "quantity", "4 decimal places"),
        (dict(unit_cost="-0.01"), "unit_cost", "cannot be negative; you typed '-0.01'"),
        (dict(unit_cost="NaN"), "unit_cost", "Unit cost: 'NaN' is not a finite number"),
        (dict(unit_cost="1,5"), "unit_cost", "Unit cost: '1,5' is ambiguous"),
        (dict(unit_cost="2,25"), "unit_cost", "Unit cost: '2,25' is ambiguous"),
        (dict(quantity="1e6"), "quantity", "Quantity: '1e6' is in scientific notation"),
        (dict(quantity="$5"), "quantity", "Quantity: '$5' has a currency symbol"),
        (dict(received_date="2999-01-01"), "received_date", "future"),
        (dict(received_date="31/12/2025"), "received_date", "date like"),
        (dict(source="stolen"), "source", "Source must be"),
    ],
)
def test_bad_lot_fields_are_refused_with_the_field_named(app, fields, field, message) -> None:  # type: ignore[no-untyped-def]
    values = dict(lot_number="", received_date="2026-01-01", quantity="5", unit_cost="2.5", source="receipt")
    values.update(fields)
    with pytest.raises(InputError) as caught:
        services.parse_lot_fields(db.session, **values)
    assert caught.value.field == field
    assert message in caught.value.message


def test_duplicate_lot_number_for_the_same_product_is_refused_and_nothing_changes(app) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("CND-1")
    factories.lot(p, "5", "1", number="L1")
    with pytest.raises(InputError, match="already has a lot L1"):
        factories.lot(p, "5", "1", number="L1")
    assert db.session.scalar(select(func.count(Lot.id))) == 1
    other = factories.product("CND-2")
    assert factories.lot(other, "5", "1", number="L1").lot_number == "L1"


def test_archived_products_cannot_receive(app) -> None:  # type: ignore[no-untyped-def]
    from partsemble.products.services import set_active

    p = factories.product("CND-1")
    set_active(db.session, p.id, False)
    with pytest.raises(InputError, match="archived"):
        factories.lot(p, "5", "1")


@pytest.mark.parametrize(
    ("delta", "remaining", "status"),
    [("-5", "15", "active"), ("-20", "0", "exhausted"), ("+3.5", "23.5", "active")],
)
def test_adjusting_a_lot_moves_remaining_and_stock_and_writes_a_row(app, delta, remaining, status) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("CND-1")
    lot = factories.lot(p, "20", "2")
    services.adjust_lot(db.session, lot.id, delta, "count_correction", "", None)
    db.session.refresh(lot)
    assert lot.quantity_remaining == D(remaining) and lot.status == status
    row = db.session.scalars(select(StockTransaction).where(StockTransaction.type == "LOT_ADJUSTMENT")).one()
    assert row.quantity == D(delta) and row.reason == "count_correction" and row.value == D(delta) * 2
    assert db.session.get(Product, p.id).stock_on_hand == D(remaining)


@pytest.mark.parametrize(
    ("delta", "reason", "note", "message"),
    [
        ("-21", "damage", "", "cannot go below zero"),
        ("0", "damage", "", "must not be zero"),
        ("2", "", "", "Choose a reason"),
        ("2", "other", "", "Note is required"),
    ],
)
def test_bad_adjustments_change_nothing(app, delta, reason, note, message) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("CND-1")
    lot = factories.lot(p, "20", "2")
    with pytest.raises(InputError, match=message):
        services.adjust_lot(db.session, lot.id, delta, reason, note, None)
    db.session.rollback()
    assert db.session.get(Lot, lot.id).quantity_remaining == D(20)
    assert db.session.scalar(select(func.count(StockTransaction.id))) == 1


def test_voiding_an_untouched_lot_reverses_its_receipt(app) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("CND-1")
    lot = factories.lot(p, "20", "2")
    services.void_lot(db.session, lot.id, None)
    db.session.refresh(lot)
    assert lot.status == "voided" and lot.quantity_remaining == 0
    types = db.session.scalars(select(StockTransaction.type).order_by(StockTransaction.id)).all()
    assert types == ["RECEIVE", "LOT_VOID"]
    assert db.session.get(Product, p.id).stock_on_hand == 0
    with pytest.raises(InputError, match="already voided"):
        services.void_lot(db.session, lot.id, None)


def test_a_lot_a_sale_drew_from_cannot_be_voided(app) -> None:  # type: ignore[no-untyped-def]
    from partsemble.sales.manual import ManualLine, ManualSaleInput, create_manual_sale

    p = factories.product("CND-1")
    lot = factories.lot(p, "20", "2")
    create_manual_sale(db.session, ManualSaleInput(date(2026, 1, 2), "", "Shop", "", (ManualLine(p.id, D(3), D(5)),)), None)
    with pytest.raises(InputError, match="drawn from this lot"):
        services.void_lot(db.session, lot.id, None)


@pytest.mark.no_invariant_check
def test_the_ledger_refuses_updates_and_deletes_in_code_and_in_the_database(app) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("CND-1")
    factories.lot(p, "20", "2")
    row = db.session.scalars(select(StockTransaction)).one()
    row.note = "tampered"
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(StockTransaction)).one())
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    for statement in ("UPDATE stock_transactions SET note = 'x'", "DELETE FROM stock_transactions"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
    assert db.session.scalar(select(StockTransaction.note)) == ""


LOTS_CSV = "sku,lot_number,received_date,quantity,unit_cost\n"


def test_lot_csv_import_receives_every_row(app) -> None:  # type: ignore[no-untyped-def]
    a, b = factories.product("CND-1"), factories.product("SOAP-1")
    created = services.import_lots(db.session, LOTS_CSV + "cnd-1,,2026-01-05,10,1.5\nSOAP-1,S-A,2026-01-06,4.25,0.333333\n", None)
    assert [(lot.product_id, lot.lot_number, lot.quantity_received) for lot in created] == [
        (a.id, "CND-1-20260105", D(10)),
        (b.id, "S-A", D("4.25")),
    ]


@pytest.mark.parametrize(
    ("body", "row", "column", "message"),
    [
        ("CND-9,,2026-01-05,10,1.5\n", 2, "sku", "no product has the SKU"),
        ("CND-1,,2026-01-05,ten,1.5\n", 2, "quantity", "Quantity: 'ten' is not a number"),
        ('CND-1,,2026-01-05,10,"1,5"\n', 2, "unit_cost", "Unit cost: '1,5' is ambiguous"),
        ('CND-1,,2026-01-05,1e6,"$5.10"\n', 2, "quantity", "Quantity: '1e6' is in scientific notation"),
        ("CND-1,,2026-01-05,10,1.5\nCND-1,,2026-13-05,10,1.5\n", 3, "received_date", "must be a date"),
        ("CND-1,X,2026-01-05,10,1.5\nCND-1,X,2026-01-06,1,1\n", 3, "lot_number", "appears twice"),
        ("CND-1,,2026-01-05,10,-1\n", 2, "unit_cost", "cannot be negative; you typed '-1'"),
    ],
)
def test_a_bad_lot_row_rejects_the_whole_file_naming_row_and_column(app, body, row, column, message) -> None:  # type: ignore[no-untyped-def]
    factories.product("CND-1")
    with pytest.raises(CsvRejected) as caught:
        services.import_lots(db.session, LOTS_CSV + body, None)
    problem = caught.value.problems[-1]
    assert (problem.row, problem.column) == (row, column)
    assert message in problem.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(Lot.id))) == 0


def test_lot_csv_without_required_columns_names_them(app) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CsvRejected) as caught:
        services.import_lots(db.session, "sku,quantity\nA,1\n", None)
    assert {p.column for p in caught.value.problems} == {"lot_number", "received_date", "unit_cost"}


@pytest.mark.no_invariant_check
def test_check_reports_a_stock_figure_that_disagrees_with_the_ledger(app) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("CND-1")
    factories.lot(p, "20", "2")
    db.session.execute(sa.update(Product).values(stock_on_hand=D(19)))
    db.session.execute(sa.update(Lot).values(quantity_remaining=D(18)))
    db.session.commit()
    problems = find_violations(db.session)
    assert any("stock on hand is 19.0000 but its ledger sums to 20.0000" in p for p in problems)
    assert any("remaining is 18.0000 but its ledger sums to 20.0000" in p for p in problems)


def test_check_exits_zero_on_a_clean_database_and_one_on_a_broken_one(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    p = factories.product("CND-1")
    factories.lot(p, "20", "2", received=date.today() - timedelta(days=1))
    ok = runner.invoke(args=["check"])
    assert ok.exit_code == 0 and "All invariants hold" in ok.output
