"""Numbers typed in forms and CSV files are read strictly with the install's decimal mark, and
pages speak in words: labels for machine values, cents in tables, exact unit costs on detail
pages, one date format, times in the business's time zone."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import select

from partsemble.connectors.memory import InMemorySource
from partsemble.domain.documents import DocumentType, ItemRecord
from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem
from partsemble.models.inventory import Lot
from partsemble.models.sales import Sale, SaleRevision
from partsemble.models.sync import Connection, SyncRun
from tests import factories
from tests.documents import doc, line


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    source = InMemorySource(
        [ItemRecord("1", "Candle A", "Inventory", True, "CND-A"), ItemRecord("4", "Lavender Soap 200g", "Inventory", True, None)],
        page_size=10,
    )
    app_config["SALES_SOURCE_FACTORY"] = lambda: source
    app_config["TEST_SOURCE"] = source
    return app_config


@pytest.fixture
def candle(app, users) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        product = factories.product("CND-A", "Candle A")
        factories.lot(product, "7", "14.842572", date(2026, 1, 1), "L-EXACT")
        db.session.add(
            Connection(provider="qbo", realm_id="1", company_name="Juniper", status="connected", initial_sync_date=date(2026, 1, 1))
        )
        db.session.add(AccountingItem(source="qbo", external_id="1", name="Candle A", item_type="Inventory", product_id=product.id))
        db.session.add(AccountingItem(source="qbo", external_id="4", name="Lavender Soap 200g", item_type="Inventory"))
        db.session.commit()
        return product.id


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(response.get_data(as_text=True))


def visible(html: str) -> str:
    """The words a reader sees: the page without its tags and their attributes."""
    return re.sub(r"<[^>]+>", " ", html)


def receive(member, product_id: int, quantity: str, unit_cost: str):  # type: ignore[no-untyped-def]
    return member.post(
        "/lots/receive",
        {
            "product_id": product_id,
            "received_date": "2026-01-05",
            "lot_number": "",
            "quantity": quantity,
            "unit_cost": unit_cost,
            "source": "build",
        },
    )


def choose(admin, mark: str, zone: str = "UTC"):  # type: ignore[no-untyped-def]
    return admin.post("/settings/numbers-and-time", {"decimal_mark": mark, "time_zone": zone})


def lot_costs(app) -> list[Decimal]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return list(db.session.scalars(select(Lot.unit_cost).where(Lot.lot_number != "L-EXACT").order_by(Lot.id)))


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("unit_cost", "1,5", "Unit cost: '1,5' is ambiguous: this install uses the decimal point"),
        ("unit_cost", "2,25", "Unit cost: '2,25' is ambiguous"),
        ("quantity", "1e6", "Quantity: '1e6' is in scientific notation"),
        ("unit_cost", "NaN", "Unit cost: 'NaN' is not a finite number"),
        ("quantity", "$5", "Quantity: '$5' has a currency symbol"),
    ],
)
def test_the_lot_form_refuses_what_could_be_misread_naming_the_field_and_what_was_typed(app, candle, member, field, typed, message) -> None:  # type: ignore[no-untyped-def]
    values = {"quantity": "10", "unit_cost": "1.5", field: typed}
    response = receive(member, candle, values["quantity"], values["unit_cost"])
    assert response.status_code == 400
    assert re.search(rf'id="{field}-err">{re.escape(message)}', text_of(response))
    assert lot_costs(app) == []


def test_the_lot_form_reads_thousands_and_a_currency_symbol(app, candle, member) -> None:  # type: ignore[no-untyped-def]
    assert receive(member, candle, "1,500", "$5.10").status_code == 302
    assert receive(member, candle, "2", "1,234.5").status_code == 302
    assert lot_costs(app) == [Decimal("5.10"), Decimal("1234.5")]


def test_an_adjustment_of_1e6_is_refused(app, candle, member) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        lot_id = db.session.scalar(select(Lot.id))
    response = member.post(f"/lots/{lot_id}/adjust", {"delta": "1e6", "reason": "count_correction", "note": ""})
    assert response.status_code == 400
    assert "Change: '1e6' is in scientific notation" in text_of(response)
    with app.app_context():
        assert db.session.get(Lot, lot_id).quantity_remaining == Decimal(7)


def test_a_manual_sale_price_of_2_25_with_a_comma_is_refused_at_its_line(app, candle, member) -> None:  # type: ignore[no-untyped-def]
    form = {
        "txn_date": "2026-02-05",
        "customer": "Stall",
        "lines-0-product_id": str(candle),
        "lines-0-quantity": "1",
        "lines-0-unit_price": "2,25",
    }
    response = member.post("/sales/manual/new", form)
    assert response.status_code == 400
    assert "id=\"lines-0-unit_price-err\">Unit price: '2,25' is ambiguous" in text_of(response)
    form["lines-0-unit_price"] = "$2.25"
    assert member.post("/sales/manual/new", form).status_code == 302


def test_the_csv_import_uses_the_same_parser(app, candle, member) -> None:  # type: ignore[no-untyped-def]
    body = b'sku,lot_number,received_date,quantity,unit_cost\nCND-A,,2026-01-05,10,"1,5"\nCND-A,,2026-01-06,1e6,2\n'
    response = member.post("/lots/import", {"file": (io.BytesIO(body), "lots.csv")}, content_type="multipart/form-data")
    html = text_of(response)
    assert response.status_code == 400
    assert "Row 2, column <code>unit_cost</code>: Unit cost: '1,5' is ambiguous" in html
    assert "Row 3, column <code>quantity</code>: Quantity: '1e6' is in scientific notation" in html
    assert lot_costs(app) == []


def test_with_the_decimal_comma_forms_and_csv_read_it_and_pages_show_it(app, candle, admin, member) -> None:  # type: ignore[no-untyped-def]
    assert choose(admin, ",").status_code == 302
    assert "Numbers are written like <strong>1.500,25</strong>" in text_of(admin.get("/settings/numbers-and-time"))
    assert receive(member, candle, "1.000", "1,5").status_code == 302
    refused = receive(member, candle, "2", "1.5")
    assert "Unit cost: '1.5' is ambiguous: this install uses the decimal comma" in text_of(refused)
    body = b'sku,lot_number,received_date,quantity,unit_cost\nCND-A,,2026-01-06,4,"2,25"\n'
    assert member.post("/lots/import", {"file": (io.BytesIO(body), "lots.csv")}, content_type="multipart/form-data").status_code == 302
    assert lot_costs(app) == [Decimal("1.5"), Decimal("2.25")]
    page = text_of(member.get(f"/products/{candle}"))
    assert "$1.500,00" in page  # 1,000 units at 1.50: the stock value, with the comma mark
    # CSV exports keep machine numbers whatever the mark.
    assert ",1.500000,active" in member.get("/lots/export.csv").get_data(as_text=True)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/localtime", "Europe/paris", ""])
def test_an_unknown_time_zone_is_refused_quoting_it(app, admin, zone) -> None:  # type: ignore[no-untyped-def]
    response = choose(admin, ".", zone)
    assert response.status_code == 400
    assert f"Time zone: {zone!r} is not a time zone name" in text_of(response) or "Time zone is required" in text_of(response)


def test_tables_show_cents_and_the_lot_page_the_exact_unit_cost(app, candle, member) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        lot_id = db.session.scalar(select(Lot.id))
    lots = text_of(member.get("/lots/"))
    assert "$14.84<" in lots and ">$14.842572<" not in lots and 'title="$14.842572"' in lots
    assert "$14.842572" in text_of(member.get(f"/lots/{lot_id}")).split("Stock movements")[0]
    assert "$14.84<" in text_of(member.get("/products/"))


def test_a_synced_sale_reads_in_words_and_times_follow_the_business_time_zone(app, candle, admin, member) -> None:  # type: ignore[no-untyped-def]
    source = app.config["TEST_SOURCE"]
    source.put(doc("1", [line("1", "2", "40")], doc_type=DocumentType.SALES_RECEIPT, number="R-1", day=date(2026, 2, 1)))
    source.put(doc("3", [line("4", "2", "24", name="Lavender Soap 200g")], number="1003", day=date(2026, 2, 3)))
    member.post("/sales/sync", htmx=True)
    assert choose(admin, ".", "Pacific/Auckland").status_code == 302
    with app.app_context():
        sale_id = db.session.scalar(select(Sale.id).where(Sale.external_id == "1"))
        run_id = db.session.scalar(select(SyncRun.id))
        revision = db.session.scalar(select(SaleRevision).where(SaleRevision.sale_id == sale_id))
        revision.applied_at = datetime(2026, 2, 1, 23, 30, tzinfo=timezone.utc)
        db.session.commit()
    page = text_of(member.get(f"/sales/{sale_id}"))
    assert "Sales receipt R-1" in page and "SalesReceipt" not in visible(page)
    assert "2026-02-02 12:30 NZDT" in page  # 23:30 UTC is half past noon the next day in Auckland
    assert "Sold" in page and ">SALE<" not in page and "version 0" not in page
    assert "2 × $14.842572" in page  # the exact unit cost of the lot drawn
    listing = visible(text_of(member.get("/sales/")))
    assert "Sales receipt" in listing and "SalesReceipt" not in listing
    run = visible(text_of(member.get(f"/sales/runs/{run_id}")))
    assert "Item not linked to a product" in run and "item_not_linked" not in run


def test_a_voided_sale_reads_as_voided_not_as_a_sum_of_nothing(app, candle, member) -> None:  # type: ignore[no-untyped-def]
    source = app.config["TEST_SOURCE"]
    source.put(doc("2", [line("1", "1", "11.52")], number="1002", day=date(2026, 2, 2)))
    member.post("/sales/sync", htmx=True)
    source.delete(DocumentType.INVOICE, "2")
    member.post("/sales/sync", htmx=True)
    with app.app_context():
        sale_id = db.session.scalar(select(Sale.id).where(Sale.external_id == "2"))
    page = text_of(member.get(f"/sales/{sale_id}"))
    assert "Cost = " not in page and "margin = " not in page
    assert "Revenue (not counted)" in page and "Deleted: no stock is drawn and nothing is costed for this line." in page
    assert "Sale reversed" in page and "SALE_REVERSAL" not in page
    stats = page.split('<div class="stats">')[1].split("</div>\n</div>")[0]
    assert "$11.52" in stats and stats.count("—") == 3  # revenue for reference; no cost, margin or margin %


def test_a_manual_sale_edited_under_the_decimal_comma_keeps_its_numbers(app, candle, admin, member) -> None:  # type: ignore[no-untyped-def]
    form = {
        "txn_date": "2026-02-05",
        "customer": "Stall",
        "lines-0-product_id": str(candle),
        "lines-0-quantity": "1.5",
        "lines-0-unit_price": "2.25",
    }
    created = member.post("/sales/manual/new", form)
    sale_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert choose(admin, ",").status_code == 302
    edit = text_of(member.get(f"/sales/{sale_id}/edit"))
    assert 'value="1,5"' in edit and 'value="2,25"' in edit
    assert member.post(f"/sales/{sale_id}/edit", dict(form, **{"lines-0-quantity": "1,5", "lines-0-unit_price": "2,25"})).status_code == 302
    with app.app_context():
        line = db.session.get(Sale, sale_id).lines[0]
        assert (line.quantity, line.unit_price) == (Decimal("1.5"), Decimal("2.25"))
    assert "Numbers are written like <code>1.500,25</code>" in text_of(member.get("/lots/import"))


def test_sync_history_says_finished_with_problems_not_succeeded(app, candle, member) -> None:  # type: ignore[no-untyped-def]
    app.config["TEST_SOURCE"].put(doc("3", [line("4", "2", "24", name="Lavender Soap 200g")], number="1003", day=date(2026, 2, 3)))
    member.post("/sales/sync", htmx=True)
    with app.app_context():
        run_id = db.session.scalar(select(SyncRun.id))
    assert "Finished with 1 problem<" in text_of(member.get("/sales/runs"))
    run = visible(text_of(member.get(f"/sales/runs/{run_id}")))
    assert "Finished with 1 problem" in run and "Succeeded" not in run
