"""Text from the accounting system is always escaped: documents whose every text field holds a
script payload are synced, and every page that shows them (sales, sale detail, preview, sync
panel errors, items, lots and their traceability, products, reports) keeps the payload inert;
CSV exports never start a text cell with a spreadsheet formula."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem
from partsemble.models.inventory import Lot
from partsemble.models.sales import Sale
from partsemble.sandbox import ItemDraft, LineInput
from tests import factories
from tests.reliability.world import store_connection

# One payload per field, so a failure says which field leaked.
CUSTOMER = '<script>alert("customer")</script>'
ITEM = "\"><img src=x onerror=alert('item')>"
UNLINKED_ITEM = "<iframe src=javascript:alert('unlinked')>"
NUMBER = "<b onclick=alert(1)>N</b>"
NOTE = "<svg onload=alert('note')>"
LINE = "</textarea><script>alert('line')</script>"
ITEM_DESCRIPTION = "<a href=\"javascript:alert('desc')\">x</a>"
PAYLOADS = (CUSTOMER, ITEM, UNLINKED_ITEM, NUMBER, NOTE, LINE, ITEM_DESCRIPTION)
FORMULAS = (
    '=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
START = date.today() - timedelta(days=20)


@pytest.fixture
def tainted(app, sandbox, users):  # type: ignore[no-untyped-def]
    """A sandbox company whose customers, items, numbers, notes and descriptions are all hostile, linked and synced."""
    customers = [sandbox.create_customer(name)["Id"] for name in (CUSTOMER, *FORMULAS)]
    linked = sandbox.create_item(ItemDraft(ITEM, "Inventory", FORMULAS[0][:20], unit_price=Decimal(9), description=ITEM_DESCRIPTION))["Id"]
    unlinked = sandbox.create_item(ItemDraft(UNLINKED_ITEM, "Inventory", None, unit_price=Decimal(4)))["Id"]
    for n, customer in enumerate(customers):
        sandbox.create_document(
            "Invoice",
            customer_id=customer,
            txn_date=START + timedelta(days=1 + n),
            doc_number=f"{NUMBER}{n}",
            private_note=NOTE,
            lines=[LineInput(linked, Decimal(2), description=LINE)],
        )
    sandbox.create_document(
        "Invoice",
        customer_id=customers[0],
        txn_date=START + timedelta(days=9),
        doc_number=FORMULAS[1][:21],
        lines=[LineInput(unlinked, Decimal(1), description=FORMULAS[2])],
    )
    sandbox.create_document(
        "CreditMemo",
        customer_id=customers[0],
        txn_date=START + timedelta(days=10),
        doc_number=f"{NUMBER}cm",
        private_note=NOTE,
        lines=[LineInput(linked, Decimal(1), description=LINE)],
    )
    with app.app_context():
        candle = factories.product("CND", "Candle")
        factories.lot(candle, "50", "3.5", START - timedelta(days=3), "L1")
        db.session.add(
            AccountingItem(source="qbo", external_id=linked, name=ITEM, sku=FORMULAS[0][:20], item_type="Inventory", product_id=candle.id)
        )
        db.session.commit()
        db.session.remove()
    store_connection(app, sandbox, START)
    return {"linked": linked, "unlinked": unlinked}


def pages(app, tainted) -> list[str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        sales = list(db.session.scalars(select(Sale.id)))
        lots = list(db.session.scalars(select(Lot.id)))
        products = list(db.session.scalars(select(Lot.product_id).distinct()))
        db.session.remove()
    return [
        "/sales/",
        f"/sales/?customer={CUSTOMER}",
        "/sales/runs",
        "/sales/runs/1",
        "/sales/dashboard",
        "/items/",
        "/items/?filter=blocking",
        f"/items/{tainted['linked']}",
        f"/items/{tainted['unlinked']}",
        "/products/",
        "/lots/",
        "/reports/",
        "/reports/margin",
        "/reports/shortages",
        *(f"/sales/{i}" for i in sales),
        *(f"/lots/{i}" for i in lots),
        *(f"/products/{i}" for i in products),
    ]


def assert_inert(html: str, where: str) -> None:
    for payload in PAYLOADS:
        assert payload not in html, f"{where} shows {payload!r} unescaped"
    # Escaped, a payload is text ("&lt;img ... onerror=..."); live, it opens a tag or an attribute.
    for opening in ("<script>alert", "<img src=x", "<iframe", "<svg onload", "<b onclick", '"><img', 'href="javascript:'):
        assert opening not in html, f"{where} opens {opening!r}"


def test_every_page_showing_synced_text_escapes_it(app, live, sandbox, tainted, member, admin) -> None:  # type: ignore[no-untyped-def]
    preview = member.post("/sales/preview", htmx=True)
    assert preview.status_code == 200 and "&lt;script&gt;alert" in preview.get_data(as_text=True)  # it did show the customer
    assert_inert(preview.get_data(as_text=True), "the preview")
    panel = member.post("/sales/sync", htmx=True).get_data(as_text=True)
    assert_inert(panel, "the sync panel")
    assert "is not linked to a product" in panel  # the error list names the hostile item, escaped
    # The member fixes the error by creating a product from the hostile item: its name becomes a product name.
    created = member.post(f"/items/{tainted['unlinked']}/create-product", {"type": "finished_good"})
    assert created.status_code == 302
    shown = 0
    for person in (member, admin):
        for path in pages(app, tainted):
            response = person.get(path)
            assert response.status_code == 200, path
            assert_inert(response.get_data(as_text=True), path)
            shown += 1
    assert_inert(admin.get("/settings/connection").get_data(as_text=True), "the connection page")
    with app.app_context():
        assert db.session.scalar(select(Sale.customer_name).where(Sale.doc_number == f"{NUMBER}0")) == CUSTOMER  # stored as sent
        db.session.remove()
    assert shown > 40


CSV_EXPORTS = [
    "/sales/export.csv",
    "/products/export.csv",
    "/lots/export.csv",
    "/lots/1/customers.csv",
    "/reports/margin.csv",
    "/reports/shortages.csv",
]


@pytest.mark.parametrize("path", CSV_EXPORTS)
def test_csv_exports_never_start_a_text_cell_with_a_formula(app, live, sandbox, tainted, member, path) -> None:  # type: ignore[no-untyped-def]
    member.post("/sales/sync", htmx=True)
    member.post(f"/items/{tainted['unlinked']}/create-product", {"type": "finished_good"})
    response = member.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) > 1, path
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
            try:
                Decimal(cell)
            except ArithmeticError:
                pytest.fail(f"{path}: the cell {cell!r} would run as a formula")
    if path in ("/sales/export.csv", "/lots/1/customers.csv"):
        assert any(cell.startswith("'=HYPERLINK") for cell in cells), "the hostile customer is in the export, neutralised"
