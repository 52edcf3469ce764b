"""CarriedOrder: a sync's date-order horizons carried from one batch to the next, only while the
ledger proves that nobody else moved stock in between (partsemble.costing.order)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from partsemble.costing.order import CarriedOrder, DateOrder, _ledger_mark
from partsemble.extensions import db
from partsemble.models.catalog import Product
from partsemble.models.inventory import StockTransaction
from tests import factories
from tests.integration.test_costing_rules import shop  # noqa: F401  (a fixture)


def product(shop) -> Product:  # type: ignore[no-untyped-def]
    return db.session.get(Product, shop["a"])


def test_the_ledger_mark_is_the_highest_ledger_id_and_zero_for_an_empty_ledger(shop) -> None:  # type: ignore[no-untyped-def]
    assert _ledger_mark(db.session) == 0
    factories.lot(product(shop), "5", "2", date(2026, 1, 1), "A")
    factories.lot(product(shop), "5", "2", date(2026, 1, 2), "B")
    highest = db.session.scalar(select(func.max(StockTransaction.id)))
    assert highest is not None and highest >= 2
    assert _ledger_mark(db.session) == highest


def test_an_order_is_carried_while_the_ledger_is_unchanged_and_forgotten_once_stock_moved(shop) -> None:  # type: ignore[no-untyped-def]
    factories.lot(product(shop), "5", "2", date(2026, 1, 1), "A")
    carried = CarriedOrder()
    assert carried.take(db.session) is None  # nothing kept yet
    order = DateOrder(db.session)
    order.load([shop["a"]])
    carried.keep(db.session, order)
    if db.engine.dialect.name != "sqlite":
        # PostgreSQL: a concurrent transaction may commit a lower ledger id after the check.
        assert carried.order is None and carried.take(db.session) is None
        return
    assert carried.mark == _ledger_mark(db.session)
    assert carried.take(db.session) is order
    assert carried.take(db.session) is order  # taking does not use it up
    factories.lot(product(shop), "5", "2", date(2026, 1, 2), "B")  # another transaction moved stock
    assert carried.take(db.session) is None
    assert carried.order is None  # forgotten, not just refused once


def test_a_stale_order_is_not_carried_and_a_dropped_one_is_gone(shop) -> None:  # type: ignore[no-untyped-def]
    factories.lot(product(shop), "5", "2", date(2026, 1, 1), "A")
    stale = DateOrder(db.session)
    stale.load([shop["a"]])
    stale.mark(shop["a"], date(2026, 1, 1), "a back-dated lot")  # its re-cost is still to come
    carried = CarriedOrder()
    carried.keep(db.session, stale)
    assert carried.order is None and carried.take(db.session) is None
    fresh = DateOrder(db.session)
    fresh.load([shop["a"]])
    carried.keep(db.session, fresh)
    carried.drop()
    assert carried.order is None and carried.take(db.session) is None
