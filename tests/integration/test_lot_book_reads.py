"""The lot book keeps what it read of a product's stored lots (numbers, historic average) until it
writes lots itself: an answer after the book's own flush must count what that flush wrote."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import Flask

from partsemble.costing.book import LotBook, Posting
from partsemble.extensions import db
from partsemble.models.ids import IdAllocator
from tests import factories

DAY = date(2026, 3, 1)


def _book() -> LotBook:
    return LotBook(db.session, IdAllocator(db.session))  # type: ignore[arg-type]


def test_a_return_lot_number_written_earlier_in_the_transaction_is_taken(ctx: Flask) -> None:
    product = factories.product("CND-1")
    book = _book()
    first = book.unique_number(product.id, "RET-7-1")
    book.add_lot(product.id, first, DAY, Decimal(2), Decimal("3"), "return", Posting(DAY), "RETURN")
    book.flush()  # the lot is in the database now, no longer among the book's unwritten ones
    assert (first, book.unique_number(product.id, "RET-7-1")) == ("RET-7-1", "RET-7-1-2")
    db.session.rollback()


def test_the_historic_average_counts_lots_written_and_leaves_out_lots_voided_in_the_transaction(ctx: Flask) -> None:
    product = factories.product("CND-1")
    factories.lot(product, "10", "2", DAY, "A")
    book = _book()
    assert book.historic_average(product.id) == Decimal("2")
    added = book.add_lot(product.id, "B", DAY, Decimal(30), Decimal("6"), "receipt", Posting(DAY), "RECEIVE")
    book.flush()  # B is stored now: (10 x 2 + 30 x 6) / 40
    assert book.historic_average(product.id) == Decimal("5")
    book.remove_lot(added, "LOT_VOID", Posting(DAY))
    book.flush()  # B is voided in the database: back to A alone
    assert book.historic_average(product.id) == Decimal("2")
    db.session.rollback()
