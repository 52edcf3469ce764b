"""Product and lot pages as a member and a viewer use them."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from partsemble.extensions import db
from partsemble.models.catalog import Product
from partsemble.models.inventory import Lot, StockTransaction


def make_product(member, sku="CND-1", name="Lavender Candle") -> int:  # type: ignore[no-untyped-def]
    response = member.post("/products/new", {"name": name, "sku": sku, "type": "finished_good", "unit": "each"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_member_creates_a_product_receives_and_adjusts_a_lot_and_sees_the_ledger(app, member) -> None:  # type: ignore[no-untyped-def]
    pid = make_product(member)
    received = member.post(
        "/lots/receive",
        {"product_id": pid, "received_date": "2026-01-05", "lot_number": "", "quantity": "20", "unit_cost": "145", "source": "build"},
    )
    assert received.status_code == 302
    lot_id = int(received.headers["Location"].rsplit("/", 1)[1])
    adjusted = member.post(f"/lots/{lot_id}/adjust", {"delta": "-2", "reason": "damage", "note": "dropped"})
    assert adjusted.status_code == 302
    page = member.get(f"/products/{pid}").get_data(as_text=True)
    assert "CND-1-20260105" in page and "Received" in page and "Adjusted" in page
    assert "RECEIVE<" not in page and "LOT_ADJUSTMENT" not in page
    assert "$2,610.00" in page  # 18 x 145 stock value
    with app.app_context():
        assert db.session.get(Product, pid).stock_on_hand == Decimal(18)


def test_a_bad_lot_field_is_shown_next_to_the_field_and_nothing_is_written(app, member) -> None:  # type: ignore[no-untyped-def]
    pid = make_product(member)
    response = member.post(
        "/lots/receive", {"product_id": pid, "received_date": "2026-01-05", "quantity": "lots", "unit_cost": "1", "source": "build"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="quantity-err">Quantity: &#39;lots&#39; is not a number like 1,500.25.' in html
    assert 'aria-invalid="true"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Lot.id))) == 0


def test_lot_number_suggestion_partial_follows_product_and_date(app, member) -> None:  # type: ignore[no-untyped-def]
    pid = make_product(member)
    html = member.get(f"/lots/suggest-number?product_id={pid}&received_date=2026-02-03", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert 'value="CND-1-20260203"' in html and "<html" not in html


def test_csv_upload_with_a_bad_row_names_row_and_column(app, member) -> None:  # type: ignore[no-untyped-def]
    make_product(member)
    body = b"sku,lot_number,received_date,quantity,unit_cost\nCND-1,,2026-01-01,5,1\nCND-1,,2026-01-02,five,1\n"
    response = member.post("/lots/import", {"file": (io.BytesIO(body), "lots.csv")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was imported" in html and "Row 3, column <code>quantity</code>" in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Lot.id))) == 0


def test_product_csv_upload_creates_products(app, member) -> None:  # type: ignore[no-untyped-def]
    body = b"sku,name,type,unit\nA-1,Alpha,finished_good,each\n"
    response = member.post("/products/import", {"file": (io.BytesIO(body), "p.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Product.name).where(Product.sku == "A-1")) == "Alpha"


def test_exports_are_csv_with_the_documented_headers(app, member) -> None:  # type: ignore[no-untyped-def]
    pid = make_product(member)
    member.post("/lots/receive", {"product_id": pid, "received_date": "2026-01-05", "quantity": "2", "unit_cost": "1.5", "source": "build"})
    products = member.get("/products/export.csv")
    assert products.mimetype == "text/csv"
    assert products.get_data(as_text=True).splitlines() == [
        "sku,name,type,unit,active,stock_on_hand,average_cost,stock_value",
        "CND-1,Lavender Candle,finished_good,each,yes,2.0000,1.500000,3.00",
    ]
    lots = member.get("/lots/export.csv").get_data(as_text=True).splitlines()
    assert lots == [
        "sku,lot_number,received_date,quantity_received,quantity_remaining,unit_cost,status",
        "CND-1,CND-1-20260105,2026-01-05,2.0000,2.0000,1.500000,active",
    ]


def test_exports_neutralize_spreadsheet_formulas(app, member) -> None:  # type: ignore[no-untyped-def]
    make_product(member, sku="X-1", name='=HYPERLINK("http://evil")')
    text = member.get("/products/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text


def test_void_of_an_untouched_lot_from_its_page(app, member) -> None:  # type: ignore[no-untyped-def]
    pid = make_product(member)
    lot_id = int(
        member.post(
            "/lots/receive", {"product_id": pid, "received_date": "2026-01-05", "quantity": "2", "unit_cost": "1", "source": "build"}
        )
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    assert member.post(f"/lots/{lot_id}/void").status_code == 302
    with app.app_context():
        assert db.session.get(Lot, lot_id).status == "voided"
        assert [t for t in db.session.scalars(select(StockTransaction.type).order_by(StockTransaction.id))] == ["RECEIVE", "LOT_VOID"]


def test_viewer_reads_pages_without_action_buttons(app, member, viewer) -> None:  # type: ignore[no-untyped-def]
    pid = make_product(member)
    html = viewer.get(f"/products/{pid}").get_data(as_text=True)
    assert "Lavender Candle" in html
    assert "/lots/receive" not in html and ">Edit<" not in html
    assert viewer.post(f"/products/{pid}/archive").status_code == 403


def test_external_text_is_escaped(app, member) -> None:  # type: ignore[no-untyped-def]
    pid = make_product(member, sku="XSS-1", name="<script>alert(1)</script>")
    for url in ("/products/", f"/products/{pid}", "/lots/"):
        html = member.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in member.get(f"/products/{pid}").get_data(as_text=True)


def test_empty_states_say_what_to_do_next(app, member) -> None:  # type: ignore[no-untyped-def]
    assert "Create your finished goods" in member.get("/products/").get_data(as_text=True)
    assert "Receive a lot when a batch arrives" in member.get("/lots/").get_data(as_text=True)


def test_future_dates_are_refused(app, member) -> None:  # type: ignore[no-untyped-def]
    pid = make_product(member)
    future = date.today().replace(year=date.today().year + 1).isoformat()
    response = member.post(
        "/lots/receive", {"product_id": pid, "received_date": future, "quantity": "2", "unit_cost": "1", "source": "build"}
    )
    assert "cannot be in the future" in response.get_data(as_text=True)
