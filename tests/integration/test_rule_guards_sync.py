"""Rules of Sync Now that a plausible one-line mistake would break: the order documents are
applied in (transaction date, then creation time, deletions at the date of the sale they reverse)
and an unlinked NonInventory item failing its document.

Costs follow the dates whatever the order (the replay re-costs what arrives out of order), so
the order is read where it shows: the sales' history in the order it was written, and a ledger
whose SALE rows are the final draws, with no re-costing rows.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from partsemble.connectors.memory import InMemorySource
from partsemble.domain.documents import DocumentType, ItemRecord
from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import LotConsumption, Sale, SaleRevision
from partsemble.models.sync import Connection, FailedDocument
from partsemble.sync.service import SyncRequest, SyncSettings, run_sync
from tests import factories
from tests.documents import doc, line

D = Decimal
JAN = lambda day: date(2026, 1, day)  # noqa: E731
ITEMS = [ItemRecord("1", "Candle A", "Inventory"), ItemRecord("20", "Gift Box", "NonInventory"), ItemRecord("8", "Shipping", "Service")]


@pytest.fixture
def world(app):  # type: ignore[no-untyped-def]
    """Candle A (item 1) with two lots of the same day; item 20 (NonInventory) is linked to nothing."""
    a = factories.product("CND-A", "Candle A")
    factories.lot(a, "5", "2", JAN(1), "FIRST")
    factories.lot(a, "10", "5", JAN(1), "SECOND")
    db.session.add(Connection(provider="qbo", realm_id="1", status="connected", initial_sync_date=JAN(1)))
    db.session.add(AccountingItem(source="qbo", external_id="1", name="Candle A", item_type="Inventory", product_id=a.id))
    db.session.commit()
    return {"a": a.id, "source": InMemorySource(ITEMS)}


def sync(source, **kw):  # type: ignore[no-untyped-def]
    summary = run_sync(db.session, source, SyncRequest(user_email="ana@example.com", **kw), SyncSettings())
    assert summary.outcome == "succeeded", summary.message
    return summary


def invoice(doc_id: str, qty: str, day: date, item: str = "1"):  # type: ignore[no-untyped-def]
    return doc(doc_id, [line(item, qty, str(D(qty) * 10))], day=day)


def history(run_id: int) -> list[tuple[str, str]]:
    """What the run wrote on the sales' history, in the order it wrote it."""
    return (
        db.session.execute(
            select(Sale.external_id, SaleRevision.action)
            .join(Sale, Sale.id == SaleRevision.sale_id)
            .where(SaleRevision.sync_run_id == run_id, SaleRevision.action.in_(("created", "updated", "deleted", "voided")))
            .order_by(SaleRevision.id)
        )
        .tuples()
        .all()
    )


def draws(doc_id: str) -> list[tuple[str, Decimal, Decimal]]:
    return (
        db.session.execute(
            select(Lot.lot_number, LotConsumption.quantity, LotConsumption.unit_cost)
            .join(Lot, Lot.id == LotConsumption.lot_id)
            .join(Sale, Sale.id == LotConsumption.sale_id)
            .where(Sale.external_id == doc_id)
            .order_by(LotConsumption.id)
        )
        .tuples()
        .all()
    )


def sale_rows(doc_id: str) -> list[tuple[str, Decimal, Decimal]]:
    """The SALE ledger rows of a sale, as lot, units out, unit cost."""
    return (
        db.session.execute(
            select(Lot.lot_number, -StockTransaction.quantity, StockTransaction.unit_cost)
            .join(Lot, Lot.id == StockTransaction.lot_id)
            .join(Sale, Sale.id == StockTransaction.sale_id)
            .where(Sale.external_id == doc_id, StockTransaction.type == "SALE")
            .order_by(StockTransaction.id)
        )
        .tuples()
        .all()
    )


def recost_rows() -> int:
    return len(db.session.scalars(select(StockTransaction.id).where(StockTransaction.type.in_(("RECOST", "SETTLE", "REVALUE")))).all())


def test_same_day_documents_are_applied_in_creation_order_not_change_or_id_order(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(invoice("2", "5", JAN(10)))  # created first
    src.put(invoice("1", "3", JAN(10)))  # created second, lower id
    src.put(invoice("2", "4", JAN(10)))  # the first one edited last: its change comes last
    summary = sync(src)
    assert (summary.created, summary.errors, summary.recosted) == (2, 0, 0)
    assert history(summary.run_id) == [("2", "created"), ("1", "created")]
    # Goods left in creation order: the invoice created first drew the lowest lot id of the day.
    assert draws("2") == [("FIRST", D(4), D(2))]
    assert draws("1") == [("FIRST", D(1), D(2)), ("SECOND", D(2), D(5))]
    # Applied in that order, every draw was right the first time: the ledger needs no correction.
    assert (sale_rows("2"), sale_rows("1")) == (draws("2"), draws("1"))
    assert recost_rows() == 0


def test_a_same_day_document_synced_late_is_costed_before_the_one_created_after_it(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(doc("1", [line("1", None, "40")], day=JAN(10)))  # created first; fails: an amount but no quantity
    src.put(invoice("3", "4", JAN(10)))  # created second, on the same day
    first = sync(src)
    assert (first.created, first.errors) == (1, 1) and draws("3") == [("FIRST", D(4), D(2))]
    src.put(invoice("1", "4", JAN(10)))  # fixed upstream: still created first
    second = sync(src)
    assert (second.created, second.errors, second.recosted) == (1, 0, 1)
    # Invoice 1 has the higher sale id, but was created first: it draws first.
    assert draws("1") == [("FIRST", D(4), D(2))]
    assert draws("3") == [("FIRST", D(1), D(2)), ("SECOND", D(3), D(5))]
    assert db.session.scalar(select(Sale.cost).where(Sale.external_id == "3")) == D(17)


def test_a_deletion_takes_its_place_at_the_date_of_the_sale_it_reverses(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(invoice("gone", "2", JAN(20)))
    src.put(invoice("edited", "1", JAN(25)))
    sync(src)
    src.put(invoice("edited", "2", JAN(25)))  # changed first
    src.delete(DocumentType.INVOICE, "gone")  # then deleted (dated Jan 20)
    src.put(invoice("new", "1", JAN(10)))  # then a new one dated before both
    summary = sync(src)
    assert (summary.created, summary.updated, summary.voided, summary.errors) == (1, 1, 1, 0)
    assert history(summary.run_id) == [("new", "created"), ("gone", "deleted"), ("edited", "updated")]
    assert db.session.scalar(select(Sale.status).where(Sale.external_id == "gone")) == "deleted"
    assert (draws("new"), draws("edited"), draws("gone")) == ([("FIRST", D(1), D(2))], [("FIRST", D(2), D(2))], [])


def test_an_unlinked_non_inventory_item_fails_its_document_in_the_sync(world) -> None:  # type: ignore[no-untyped-def]
    src = world["source"]
    src.put(replace(doc("1", [line("1", "2", "20"), line("20", "1", "5", name="Gift Box")], day=JAN(10))))
    src.put(invoice("2", "1", JAN(11)))
    summary = sync(src)
    assert (summary.created, summary.errors) == (1, 1)
    assert [(p.external_id, p.code, p.message) for p in summary.problems] == [
        ("1", "item_not_linked", "Item 'Gift Box' is not linked to a product")
    ]
    assert db.session.scalar(select(Sale.id).where(Sale.external_id == "1")) is None
    assert draws("2") == [("FIRST", D(1), D(2))]  # nothing of invoice 1 was applied
    assert db.session.scalar(select(FailedDocument.item_external_id)) == "20"
    again = sync(src)  # retried on every sync until it is fixed
    assert again.errors == 1 and again.created == 0


def test_documents_created_in_the_same_second_cost_the_same_whatever_order_they_were_synced_in(world) -> None:  # type: ignore[no-untyped-def]
    """QuickBooks gives a bulk import one creation time. Two such documents of one date are taken in
    the order one sync applies them (type, then Id), even when one of them only gets in later."""
    src = world["source"]
    src.put(doc("1", [line("1", None, "40")], day=JAN(10)))  # fails at first: an amount but no quantity
    src.put(invoice("2", "4", JAN(10)))
    same = src.documents[("Invoice", "1")].created_at
    src.documents[("Invoice", "2")] = replace(src.documents[("Invoice", "2")], created_at=same)
    first = sync(src)
    assert (first.created, first.errors) == (1, 1) and draws("2") == [("FIRST", D(4), D(2))]
    src.put(invoice("1", "4", JAN(10)))  # fixed upstream; its creation time stays the shared one
    second = sync(src)
    assert (second.created, second.errors) == (1, 0)
    # As a single sync of both would have it: invoice 1, then invoice 2.
    assert draws("1") == [("FIRST", D(4), D(2))]
    assert draws("2") == [("FIRST", D(1), D(2)), ("SECOND", D(3), D(5))]
