"""Only an untouched lot can be voided (SPEC, Lots): nothing on its ledger but its receipt."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from partsemble.extensions import db
from partsemble.lots import services
from partsemble.models.catalog import Product
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.sales.manual import ManualLine, ManualSaleInput, create_manual_sale
from partsemble.validation import InputError
from tests import factories

D = Decimal


def ledger_of(lot_id: int) -> list[tuple[str, Decimal]]:
    return (
        db.session.execute(
            select(StockTransaction.type, StockTransaction.quantity).where(StockTransaction.lot_id == lot_id).order_by(StockTransaction.id)
        )
        .tuples()
        .all()
    )


@pytest.mark.parametrize(("delta", "left"), [("-2", "18"), ("3", "23")])
def test_an_adjusted_lot_cannot_be_voided(app, delta, left) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("CND-1")
    lot = factories.lot(p, "20", "2", date(2026, 1, 1))
    services.adjust_lot(db.session, lot.id, delta, "count_correction", "", None, on="2026-01-05")
    with pytest.raises(InputError, match=f"was adjusted.*cannot be voided.*adjust it by -{left} instead"):
        services.void_lot(db.session, lot.id, None)
    db.session.rollback()
    kept = db.session.get(Lot, lot.id)
    assert (kept.status, kept.quantity_remaining) == ("active", D(left))
    assert [t for t, _ in ledger_of(lot.id)] == ["RECEIVE", "LOT_ADJUSTMENT"]  # no LOT_VOID row
    assert db.session.get(Product, p.id).stock_on_hand == D(left)


def test_a_lot_that_only_settled_a_shortage_cannot_be_voided(app) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("CND-1")
    create_manual_sale(db.session, ManualSaleInput(date(2026, 1, 2), "", "Shop", "", (ManualLine(p.id, D(3), D(5)),)), None)
    lot = factories.lot(p, "20", "2", date(2026, 1, 5))  # arrives after the sale: settles its 3 short units
    assert "SALE" not in [t for t, _ in ledger_of(lot.id)]  # drawn by settlement only
    with pytest.raises(InputError, match="drawn from this lot"):
        services.void_lot(db.session, lot.id, None)
    db.session.rollback()
    assert db.session.get(Lot, lot.id).status == "active"
