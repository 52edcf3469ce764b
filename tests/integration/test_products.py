"""Products: uniqueness of SKUs, archive, CSV import all-or-nothing, export."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from partsemble.csvio import CsvRejected
from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem, Product
from partsemble.products import services
from partsemble.products.queries import ProductFilters, export_rows
from partsemble.validation import InputError
from tests import factories


@pytest.mark.parametrize("second", ["CND-1", "cnd-1", " Cnd-1 "])
def test_skus_are_unique_whatever_the_case(app, second) -> None:  # type: ignore[no-untyped-def]
    factories.product("CND-1")
    with pytest.raises(InputError) as caught:
        services.create_product(db.session, services.parse_product("Other", second, "finished_good", "each"))
    assert caught.value.field == "sku"
    db.session.rollback()
    assert db.session.scalar(select(func.count(Product.id))) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (("", "A-1", "finished_good", "each"), "name"),
        (("Name", "", "finished_good", "each"), "sku"),
        (("Name", "A 1", "finished_good", "each"), "sku"),
        (("Name", "A-1", "gadget", "each"), "type"),
        (("N" * 201, "A-1", "finished_good", "each"), "name"),
    ],
)
def test_bad_product_fields_name_the_field(fields, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as caught:
        services.parse_product(*fields)
    assert caught.value.field == field


def test_editing_keeps_the_sku_unique_but_allows_its_own(app) -> None:  # type: ignore[no-untyped-def]
    a = factories.product("A-1")
    factories.product("B-1")
    services.update_product(db.session, a.id, services.parse_product("Renamed", "a-1", "component", "box"))
    assert (a.name, a.sku, a.type, a.unit) == ("Renamed", "a-1", "component", "box")
    with pytest.raises(InputError, match="already has the SKU"):
        services.update_product(db.session, a.id, services.parse_product("Renamed", "B-1", "component", "box"))


def test_archive_and_restore_keep_the_product(app) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("A-1")
    factories.lot(p, "3", "1")
    services.set_active(db.session, p.id, False)
    assert db.session.get(Product, p.id).active is False
    assert db.session.get(Product, p.id).stock_on_hand == Decimal(3)
    services.set_active(db.session, p.id, True)
    assert db.session.get(Product, p.id).active is True


HEADER = "sku,name,type,unit\n"


def test_import_upserts_by_sku_and_ignores_extra_columns(app) -> None:  # type: ignore[no-untyped-def]
    factories.product("A-1", "Old name")
    result = services.import_products(db.session, "sku,name,type,unit,colour\na-1,New name,component,kg,red\nB-2,Bee,Raw material,ml,\n")
    assert (result.created, result.updated) == (1, 1)
    rows = db.session.execute(select(Product.sku, Product.name, Product.type, Product.unit).order_by(Product.sku_key)).all()
    assert rows == [("a-1", "New name", "component", "kg"), ("B-2", "Bee", "raw_material", "ml")]


@pytest.mark.parametrize(
    ("body", "row", "column", "text"),
    [
        ("A-1,Thing,widget,each\n", 2, "type", "Type must be one of"),
        ("A-1,Thing,component,each\nA-1,Again,component,each\n", 3, "sku", "appears again (first on row 2)"),
        ("A-1,,component,each\n", 2, "name", "Name is required"),
        ("A-1,Thing,component,each\nB 2,Thing,component,each\n", 3, "sku", "spaces"),
    ],
)
def test_a_bad_product_row_rejects_the_whole_file(app, body, row, column, text) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CsvRejected) as caught:
        services.import_products(db.session, HEADER + body)
    problem = caught.value.problems[0]
    assert (problem.row, problem.column) == (row, column) and text in problem.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(Product.id))) == 0


def _item(external_id: str, name: str, product_id: int | None = None) -> AccountingItem:
    item = AccountingItem(source="qbo", external_id=external_id, name=name, item_type="Inventory", product_id=product_id)
    db.session.add(item)
    db.session.commit()
    return item


def test_import_links_accounting_items_by_id(app) -> None:  # type: ignore[no-untyped-def]
    _item("41", "Lavender Candle")
    result = services.import_products(db.session, "sku,name,type,unit,accounting_item\nCND-1,Lavender Candle,finished_good,each,41\n")
    assert result.linked == 1
    item = db.session.scalar(select(AccountingItem).where(AccountingItem.external_id == "41"))
    assert item.product.sku == "CND-1"


@pytest.mark.parametrize(
    ("setup_linked", "value", "text"),
    [
        (False, "999", "no accounting item has the Id '999'"),
        (True, "41", "already linked to another product"),
    ],
)
def test_import_refuses_unknown_or_taken_items_naming_the_row(app, setup_linked, value, text) -> None:  # type: ignore[no-untyped-def]
    other = factories.product("OTHER")
    _item("41", "Lavender Candle", other.id if setup_linked else None)
    with pytest.raises(CsvRejected) as caught:
        services.import_products(db.session, f"sku,name,type,unit,accounting_item\nCND-1,Candle,finished_good,each,{value}\n")
    problem = caught.value.problems[0]
    assert (problem.row, problem.column) == (2, "accounting_item") and text in problem.message


def test_export_rows_carry_stock_average_cost_and_value(app) -> None:  # type: ignore[no-untyped-def]
    p = factories.product("A-1", "Alpha")
    factories.lot(p, "10", "2")
    factories.lot(p, "30", "4")
    rows = list(export_rows(db.session, ProductFilters(status="all")))
    assert rows == [("A-1", "Alpha", "finished_good", "each", "yes", "40.0000", "3.500000", "140.00")]
