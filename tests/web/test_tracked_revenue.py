"""A sale's revenue, cost and margin come from its finished-good lines only (issue 13), through
Sync Now and on every page and export that shows them.

Today is 2026-03-15. Candle A has lots 20 @ 145 (2026-01-01) and 30 @ 148 (2026-01-02).

  INV-2001 2026-02-10: Candle A 3 x 200 = 600, shipping 25 (no quantity), design work 1 x 80 (a
      service), soy wax 2 x 15 = 30 (linked to a raw material), a description line, discount 73.50
      (10 %, shared by amount: 60, 2.50, 8, 3). Revenue 600 - 60 = 540.00, cost 3 x 145 = 435.00,
      margin 105.00. The document total is 661.50; counting the skipped lines would say 661.50
      revenue and 226.50 margin.
  CM-3001 2026-03-05, CAD at 0.8: Candle A, amount 50 and no quantity (a price adjustment), and a
      shipping refund of 10. Revenue -50 x 0.8 = -40.00, cost 0, no stock back; document total -48.00.

  Together: revenue 500.00, cost 435.00, margin 65.00 (13.0 %).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from partsemble.connectors.memory import InMemorySource
from partsemble.domain.documents import DocumentLine, DocumentType, ItemRecord, LineKind
from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import Sale
from partsemble.models.sync import Connection, FailedDocument
from partsemble.reports import periods
from partsemble.sales import dashboard
from tests import factories
from tests.documents import doc, line

D = Decimal
TODAY = date(2026, 3, 15)
ITEMS = [
    ItemRecord("1", "Candle A", "Inventory", True, "CND-A"),
    ItemRecord("4", "Lavender Soap 200g", "Inventory", True, None),
    ItemRecord("5", "Soy Wax", "Inventory", True, "WAX"),
    ItemRecord("8", "Shipping", "Service"),
    ItemRecord("9", "Design work", "Service"),
]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(periods, "today", lambda: TODAY)


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    source = InMemorySource(ITEMS, page_size=3)
    app_config["SALES_SOURCE_FACTORY"] = lambda: source
    app_config["TEST_SOURCE"] = source
    return app_config


@pytest.fixture
def synced(app, users, member):  # type: ignore[no-untyped-def]
    """The two documents of the module docstring, brought in by Sync Now."""
    source = app.config["TEST_SOURCE"]
    with app.app_context():
        candle = factories.product("CND-A", "Candle A")
        wax = factories.product("WAX", "Soy Wax", kind="raw_material")
        factories.lot(candle, "20", "145", date(2026, 1, 1))
        factories.lot(candle, "30", "148", date(2026, 1, 2))
        db.session.add(
            Connection(provider="qbo", realm_id="1", company_name="Juniper", status="connected", initial_sync_date=date(2026, 1, 1))
        )
        db.session.add(AccountingItem(source="qbo", external_id="1", name="Candle A", item_type="Inventory", product_id=candle.id))
        db.session.add(AccountingItem(source="qbo", external_id="5", name="Soy Wax", item_type="Inventory", product_id=wax.id))
        db.session.commit()
        ids = {"candle": candle.id, "wax": wax.id}
    source.put(
        doc(
            "2001",
            [
                line("1", "3", "600", name="Candle A"),
                line("8", None, "25", name="Shipping"),
                line("9", "1", "80", name="Design work"),
                line("5", "2", "30", name="Soy Wax"),
                DocumentLine("", LineKind.DESCRIPTION, description="Thank you for your order"),
            ],
            number="INV-2001",
            day=date(2026, 2, 10),
            discounts=("73.50",),
        )
    )
    source.put(
        doc(
            "3001",
            [line("1", None, "50", name="Candle A"), line("8", None, "10", name="Shipping")],
            doc_type=DocumentType.CREDIT_MEMO,
            number="CM-3001",
            day=date(2026, 3, 5),
            currency="CAD",
            rate="0.8",
        )
    )
    response = member.post("/sales/sync")
    assert response.status_code == 302
    with app.app_context():
        ids.update({external_id: sale_id for external_id, sale_id in db.session.execute(select(Sale.external_id, Sale.id))})
    return ids


def figures(app, external_id: str) -> tuple[Decimal, ...]:  # type: ignore[no-untyped-def]
    with app.app_context():
        sale = db.session.scalars(select(Sale).where(Sale.external_id == external_id)).one()
        return (sale.revenue, sale.cost, sale.margin, sale.document_total)


def rows(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_a_sale_counts_its_finished_good_line_only_and_keeps_the_document_total(app, synced) -> None:  # type: ignore[no-untyped-def]
    assert figures(app, "2001") == (D("540.00"), D("435.00"), D("105.00"), D("661.50"))
    assert figures(app, "3001") == (D("-40.00"), D(0), D("-40.00"), D("-48.00"))


def test_the_sales_list_totals_and_its_csv_agree_with_the_tracked_lines(app, synced, viewer) -> None:  # type: ignore[no-untyped-def]
    page = viewer.get("/sales/").get_data(as_text=True)
    totals = dict(re.findall(r'data-total="(\w+)">([^<]+)<', page))
    assert totals == {"revenue": "$500.00", "cost": "$435.00", "margin": "$65.00"}
    exported = {row["number"]: (row["revenue"], row["cost"], row["margin"]) for row in rows(viewer.get("/sales/export.csv"))}
    assert exported == {"INV-2001": ("540.00", "435.00", "105.00"), "CM-3001": ("-40.00", "0.00", "-40.00")}


def test_the_margin_report_the_months_and_their_csv_agree_to_the_cent(app, synced, viewer) -> None:  # type: ignore[no-untyped-def]
    margin = rows(viewer.get("/reports/margin.csv?period=last_12_months"))
    assert [(r["sku"], r["units_sold"], r["revenue"], r["cost"], r["margin"], r["margin_percent"]) for r in margin] == [
        ("CND-A", "3.0000", "500.00", "435.00", "65.00", "13.0")
    ]
    months = {r["month"]: (r["sales"], r["revenue"], r["cost"], r["margin"]) for r in rows(viewer.get("/reports/months.csv"))}
    assert (months["2026-02"], months["2026-03"], months["total"]) == (
        ("1", "540.00", "435.00", "105.00"),
        ("1", "-40.00", "0.00", "-40.00"),
        ("2", "500.00", "435.00", "65.00"),
    )
    page = viewer.get("/reports/margin?period=last_12_months").get_data(as_text=True)
    reconcile = page[page.index('id="reconcile"') :]
    assert "revenue $500.00, cost $435.00, margin $65.00" in reconcile  # the finished goods and all 2 sales alike
    assert reconcile.count("revenue $500.00, cost $435.00") == 2
    with app.app_context():
        twelve = dashboard.sales_dashboard(db.session, TODAY).periods[2].figures
        assert (twelve.revenue, twelve.cost, twelve.margin, twelve.sales) == (D(500), D(435), D(65), 2)


def test_the_sale_detail_lists_the_skipped_lines_with_their_amounts_and_the_document_total(app, synced, viewer) -> None:  # type: ignore[no-untyped-def]
    html = viewer.get(f"/sales/{synced['2001']}").get_data(as_text=True)
    lines, rest = html.split("Not tracked (no effect on stock or margin)")
    skipped, _ = rest.split("Stock movements")
    assert "Candle A" in lines and "Shipping" not in lines and "Soy Wax" not in lines
    # Each skipped line with its amount less its share of the discount.
    for name, amount in (("Shipping", "$22.50"), ("Design work", "$72.00"), ("Soy Wax", "$27.00")):
        row = skipped[skipped.index(name) :]
        assert amount in row[: row.index("</tr>")], name
    for reason in ("Description only", "Service item: not stock", "Linked to Soy Wax (raw material): only finished goods are costed"):
        assert reason in skipped
    assert "Thank you for your order" in skipped
    assert re.search(
        r"Document total \(tax excluded\), for reference: <strong>\$661\.50</strong> = tracked lines \$540\.00 "
        r"\+ not tracked \$121\.50",
        skipped,
    )


def test_a_price_adjustment_lowers_revenue_but_moves_no_stock_and_no_cost(app, synced, viewer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        credit = db.session.scalars(select(Sale).where(Sale.external_id == "3001")).one()
        assert [(l.kind, l.quantity, l.revenue, l.cost, l.return_lot_id) for l in credit.lines] == [
            ("price_adjustment", D(0), D("-40.00"), D(0), None),
            ("skipped", D(0), D(0), D(0), None),
        ]
        assert db.session.scalars(select(StockTransaction).where(StockTransaction.sale_id == credit.id)).all() == []
        assert db.session.get(Product, synced["candle"]).stock_on_hand == D(47)  # 50 received, 3 sold, none back
        assert list(db.session.scalars(select(Lot.quantity_remaining).where(Lot.product_id == synced["candle"]).order_by(Lot.id))) == [
            D(17),
            D(30),
        ]
    html = viewer.get(f"/sales/{synced['3001']}").get_data(as_text=True)
    assert "Price adjustment" in html and "-$40.00" in html
    assert "for reference: <strong>-$48.00</strong>" in html


def test_a_failed_document_waits_with_the_revenue_of_its_tracked_lines(app, synced, member) -> None:  # type: ignore[no-untyped-def]
    source = app.config["TEST_SOURCE"]
    # Soap (an unlinked stock item) holds the invoice back; its shipping line would not be revenue.
    source.put(
        doc(
            "2002",
            [line("4", "2", "24", name="Lavender Soap 200g"), line("8", None, "6", name="Shipping")],
            number="INV-2002",
            day=date(2026, 3, 6),
        )
    )
    member.post("/sales/sync")
    with app.app_context():
        failed = db.session.scalars(select(FailedDocument)).one()
        assert (failed.doc_number, failed.code, failed.revenue) == ("INV-2002", "item_not_linked", D(24))
