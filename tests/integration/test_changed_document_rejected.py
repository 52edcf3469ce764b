"""A changed document whose new version is rejected leaves the old version applied exactly:
the check comes before the undo (SPEC: a failed document applies nothing of itself).

Candle A (item 1): lots L1 20 @ 145 (2026-01-01) and L2 30 @ 148 (2026-01-02).
  "old"  2026-02-01, 25 for 5,000: 20 from L1 @ 145 + 5 from L2 @ 148 = 3,640
  "next" 2026-02-03, 10 for 2,000: 10 from L2 @ 148 = 1,480
Were "old" undone, L1 would hold 20 again and "next" would be re-costed to 10 @ 145 = 1,450.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from partsemble.connectors.memory import InMemorySource
from partsemble.costing.closing import set_costs_final_through
from partsemble.domain.documents import ItemRecord
from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import LotConsumption, Sale, SaleRevision
from partsemble.models.sync import Connection, FailedDocument
from partsemble.sync.service import SyncRequest, SyncSettings, run_sync
from tests import factories
from tests.documents import doc, line

D = Decimal
ITEMS = [ItemRecord("1", "Candle A", "Inventory", True, "CND-A"), ItemRecord("4", "Lavender Soap", "Inventory")]


@pytest.fixture
def applied(app):  # type: ignore[no-untyped-def]
    """Both sales applied; returns the source and the product id."""
    a = factories.product("CND-A", "Candle A")
    factories.lot(a, "20", "145", date(2026, 1, 1), "L-1")
    factories.lot(a, "30", "148", date(2026, 1, 2), "L-2")
    db.session.add(Connection(provider="qbo", realm_id="1", status="connected", initial_sync_date=date(2026, 1, 1)))
    db.session.add(AccountingItem(source="qbo", external_id="1", name="Candle A", item_type="Inventory", product_id=a.id))
    db.session.commit()
    src = InMemorySource(ITEMS)
    src.put(doc("old", [line("1", "25", "5000")], day=date(2026, 2, 1), number="1001"))
    src.put(doc("next", [line("1", "10", "2000")], day=date(2026, 2, 3), number="1002"))
    assert sync(src).created == 2
    return src, a.id


def sync(source):  # type: ignore[no-untyped-def]
    return run_sync(db.session, source, SyncRequest(user_email="ana@example.com"), SyncSettings())


def state(product_id: int) -> dict[str, object]:
    """Everything the old version of "old" decides, and what follows from it."""
    sales = {s.external_id: (s.version, s.status, s.txn_date, s.revenue, s.cost, s.shortage) for s in db.session.scalars(select(Sale))}
    draws = (
        db.session.execute(
            select(Sale.external_id, Lot.lot_number, LotConsumption.quantity, LotConsumption.unit_cost)
            .join(Sale, Sale.id == LotConsumption.sale_id)
            .join(Lot, Lot.id == LotConsumption.lot_id)
            .order_by(Sale.external_id, Lot.id)
        )
        .tuples()
        .all()
    )
    return {
        "sales": sales,
        "draws": draws,
        "remaining": db.session.scalars(select(Lot.quantity_remaining).where(Lot.product_id == product_id).order_by(Lot.id)).all(),
        "ledger_rows": db.session.scalar(select(func.count(StockTransaction.id))),
        "revisions": db.session.scalar(select(func.count(SaleRevision.id))),
    }


REJECTED_VERSIONS = [
    pytest.param(
        lambda: doc("old", [line("1", "10", "2000"), line("4", "1", "12", name="Lavender Soap")], day=date(2026, 2, 1), number="1001"),
        "item_not_linked",
        "Item 'Lavender Soap' is not linked to a product",
        id="an unlinked item",
    ),
    pytest.param(
        lambda: doc("old", [line("1", None, "2000")], day=date(2026, 2, 1), number="1001"),
        "missing_quantity",
        "has an amount but no quantity",
        id="an amount without a quantity",
    ),
    pytest.param(
        lambda: doc("old", [line("1", "10", "2000")], day=date(2026, 1, 30), number="1001"),
        "closed_period",
        "closed period ending 2026-01-31",
        id="moved into the closed period",
    ),
]


@pytest.mark.parametrize(("new_version", "code", "says"), REJECTED_VERSIONS)
def test_a_rejected_new_version_leaves_the_old_one_applied_exactly(applied, new_version, code, says) -> None:  # type: ignore[no-untyped-def]
    src, product_id = applied
    set_costs_final_through(db.session, date(2026, 1, 31), None)
    before = state(product_id)
    assert before["draws"] == [("next", "L-2", D(10), D(148)), ("old", "L-1", D(20), D(145)), ("old", "L-2", D(5), D(148))]
    assert before["sales"]["old"][3:5] == (D(5000), D(3640)) and before["remaining"] == [D(0), D(15)]
    src.put(new_version())
    summary = sync(src)
    assert (summary.outcome, summary.updated, summary.errors) == ("succeeded", 0, 1)
    assert (summary.problems[0].number, summary.problems[0].code) == ("1001", code) and says in summary.problems[0].message
    assert state(product_id) == before  # same version, lines, draws, lot balances; no reversal rows, no history
    assert db.session.scalar(select(FailedDocument.code)) == code  # listed, and retried on the next sync
