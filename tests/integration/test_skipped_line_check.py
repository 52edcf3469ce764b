"""`partsemble check` refuses revenue on a skipped line, even when the sale's totals add up with it."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from partsemble.costing.apply import ApplyContext, apply_document
from partsemble.domain.sale_plan import ItemLink
from partsemble.extensions import db
from partsemble.lots.check import find_violations
from partsemble.models.sales import Sale, SaleLine
from tests import factories
from tests.documents import doc, line


@pytest.mark.no_invariant_check
def test_check_reports_a_skipped_line_that_carries_revenue(app) -> None:  # type: ignore[no-untyped-def]
    candle = factories.product("CND-1", "Candle")
    factories.lot(candle, "10", "2")
    items = {"1": ItemLink("1", "Candle", "Inventory", candle.id, "finished_good", "Candle"), "8": ItemLink("8", "Shipping", "Service")}
    apply_document(ApplyContext(db.session, items), doc("1", [line("1", "1", "10"), line("8", None, "5")], number="1001"))
    db.session.commit()
    assert find_violations(db.session) == []
    # The old rule, written by hand: the shipping line's 5 in the line and in the sale.
    db.session.execute(sa.update(SaleLine).where(SaleLine.kind == "skipped").values(revenue=Decimal(5), margin=Decimal(5)))
    db.session.execute(sa.update(Sale).values(revenue=Sale.revenue + Decimal(5), margin=Sale.margin + Decimal(5)))
    db.session.commit()
    assert find_violations(db.session) == ["Invoice 1001: 1 skipped line(s) carry revenue; only tracked lines do."]
