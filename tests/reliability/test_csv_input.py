"""Every CSV import refuses a bad file as a whole: each problem named by row and column,
nothing written."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest

from tests.reliability.world import row_counts

FUTURE = (date.today() + timedelta(days=400)).isoformat()


def upload(person, path: str, content: bytes):  # type: ignore[no-untyped-def]
    return person.post(path, {"file": (BytesIO(content), "upload.csv")}, content_type="multipart/form-data")


PRODUCT_FILES = [
    pytest.param(b"\xff\xfe\x00s\x00k\x00u", "Row 1", id="not UTF-8"),
    pytest.param(b"", "Row 1", id="empty"),
    pytest.param(b"sku,name,unit\nX-1,X,each\n", "<code>type</code>", id="a required column missing"),
    pytest.param(
        b"sku,name,type,unit\nX-1,X,finished_good,each\nX-2,Y,gadget,each\n", "Row 3, column <code>type</code>", id="bad type on row 3"
    ),
    pytest.param(
        b"sku,name,type,unit\nX-1,X,finished_good,each\nx-1,Y,component,each\n", "Row 3, column <code>sku</code>", id="duplicate SKU"
    ),
    pytest.param(b"sku,name,type,unit\nX-1,a\x00b,finished_good,each\n", "Row 2, column <code>name</code>", id="NUL in a name"),
    pytest.param(b"sku,name,type,unit\nhas space,X,finished_good,each\n", "Row 2, column <code>sku</code>", id="SKU with a space"),
    pytest.param(
        b"sku,name,type,unit,accounting_item\nX-1,X,finished_good,each,404\n",
        "Row 2, column <code>accounting_item</code>",
        id="unknown item",
    ),
    pytest.param(
        b"sku,name,type,unit,accounting_item\nX-1,X,finished_good,each,8\n",
        "Row 2, column <code>accounting_item</code>",
        id="item linked elsewhere",
    ),
    pytest.param(
        ("sku,name,type,unit\nX-1,X,finished_good,each\nX-2," + "n" * 140_000 + ",finished_good,each\n").encode(),
        "Row 3: a cell is longer than 131,072 characters",
        id="a cell over the csv module's limit",
    ),
    pytest.param(
        ("sku,name,type,unit\n" + "ß" * 64 + ",X,finished_good,each\n").encode(),
        "Row 2, column <code>sku</code>",
        id="SKU whose key is too long",
    ),
]
LOT_FILES = [
    pytest.param(b"\xff\xfe\x00", "Row 1", id="not UTF-8"),
    pytest.param(b"sku,lot_number,quantity,unit_cost\n", "<code>received_date</code>", id="a required column missing"),
    pytest.param(
        b"sku,lot_number,received_date,quantity,unit_cost\nNOPE,A,2026-01-02,1,1\n", "Row 2, column <code>sku</code>", id="unknown SKU"
    ),
    pytest.param(
        b"sku,lot_number,received_date,quantity,unit_cost\nCND-A,A,2026-02-30,1,1\n",
        "Row 2, column <code>received_date</code>",
        id="impossible date",
    ),
    pytest.param(
        f"sku,lot_number,received_date,quantity,unit_cost\nCND-A,A,{FUTURE},1,1\n".encode(),
        "Row 2, column <code>received_date</code>",
        id="future date",
    ),
    pytest.param(
        b"sku,lot_number,received_date,quantity,unit_cost\nCND-A,A,2026-01-02,0,1\n",
        "Row 2, column <code>quantity</code>",
        id="zero quantity",
    ),
    pytest.param(
        b"sku,lot_number,received_date,quantity,unit_cost\nCND-A,A,2026-01-02,NaN,1\n",
        "Row 2, column <code>quantity</code>",
        id="NaN quantity",
    ),
    pytest.param(
        b"sku,lot_number,received_date,quantity,unit_cost\nCND-A,A,2026-01-02,1,-3\n",
        "Row 2, column <code>unit_cost</code>",
        id="negative cost",
    ),
    pytest.param(
        ("sku,lot_number,received_date,quantity,unit_cost\nCND-A,A,2026-01-02,1," + "9" * 140_000 + "\n").encode(),
        "Row 2: a cell is longer than 131,072 characters",
        id="a cell over the csv module's limit",
    ),
    pytest.param(
        b"sku,lot_number,received_date,quantity,unit_cost\nCND-A,A,2026-01-02,1,1\nCND-A,A,2026-01-03,1,1\n",
        "Row 3, column <code>lot_number</code>",
        id="lot twice in the file",
    ),
    pytest.param(
        b"sku,lot_number,received_date,quantity,unit_cost\nCND-A,L1,2026-01-02,1,1\n",
        "Row 2, column <code>lot_number</code>",
        id="lot number taken",
    ),
    pytest.param(
        b"sku,lot_number,received_date,quantity,unit_cost,source\nCND-A,A,2026-01-02,1,1,gift\n",
        "Row 2, column <code>source</code>",
        id="unknown source",
    ),
    pytest.param(
        b"sku,lot_number,received_date,quantity,unit_cost\nCND-A,A,2026-01-02,1,1\nCND-A,B,2026-01-02,999999999,999999999\n",
        "Row 3, column <code>unit_cost</code>",
        id="quantity x cost beyond what money holds",
    ),
]


IMPORTS = [pytest.param("/products/import", *p.values, id=f"products: {p.id}") for p in PRODUCT_FILES] + [
    pytest.param("/lots/import", *p.values, id=f"lots: {p.id}") for p in LOT_FILES
]


@pytest.mark.parametrize(("url", "content", "says"), IMPORTS)
def test_a_bad_file_is_refused_by_row_and_column_and_nothing_is_imported(app, catalog, member, url, content, says) -> None:  # type: ignore[no-untyped-def]
    before = row_counts(app)
    response = upload(member, url, content)
    assert response.status_code == 400
    assert "Nothing was imported" in response.get_data(as_text=True) and says in response.get_data(as_text=True)
    assert row_counts(app) == before
