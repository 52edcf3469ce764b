"""The products and lots lists sort on the server by any column, keep the order across pages,
filters and their CSV exports, and fall back to their default order on a sort they do not know.

Five products (names and SKUs in mixed case: a byte-order sort would differ) and their lots:
  product       SKU   lots (qty @ unit cost, received)             on hand  avg cost  value
  apple Tray    Z-1   a-1 10 @ 2 (Jan 5)                               10      2.00    20
  Banana Box    y-2   B-2 5 @ 12 (Jan 3)                                5     12.00    60
  cherry Crate  X-3   c-3 100 @ 0.30 (Jan 4)                          100      0.30    30
  Date Drum     w-4   none                                              0         —     0
  Elder Bin     V-5   D-4 1 @ 100 (Jan 1), e-5 9 @ 1 (Jan 2)           10     10.90   109
Elder's average is weighted (109 / 10): a plain average of its lots' costs (50.50) would put it
above Banana.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from partsemble.extensions import db
from tests import factories

PRODUCTS = [
    ("Z-1", "apple Tray", [("a-1", "10", "2", date(2026, 1, 5))]),
    ("y-2", "Banana Box", [("B-2", "5", "12", date(2026, 1, 3))]),
    ("X-3", "cherry Crate", [("c-3", "100", "0.3", date(2026, 1, 4))]),
    ("w-4", "Date Drum", []),
    ("V-5", "Elder Bin", [("D-4", "1", "100", date(2026, 1, 1)), ("e-5", "9", "1", date(2026, 1, 2))]),
]


@pytest.fixture
def stocked(app, users):  # type: ignore[no-untyped-def]
    with app.app_context():
        for sku, name, lots in PRODUCTS:
            product = factories.product(sku, name)
            for number, quantity, cost, received in lots:
                factories.lot(product, quantity, cost, received, number=number)
        db.session.remove()


def links_in_table(html: str, kind: str) -> list[str]:
    """The names linked to /<kind>/<id> in the page's data table, top to bottom."""
    table = html[html.index('<table class="data') :]
    return re.findall(rf'<a href="/{kind}/\d+">([^<]+)</a>', table[: table.index("</table>")])


def page_html(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def csv_column(client, url: str, column: str) -> list[str]:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return [row[column] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))]


APPLE, BANANA, CHERRY, DATE, ELDER = "apple Tray", "Banana Box", "cherry Crate", "Date Drum", "Elder Bin"


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("", [APPLE, BANANA, CHERRY, DATE, ELDER]),  # by name, whatever the case
        ("sort=name&dir=desc", [ELDER, DATE, CHERRY, BANANA, APPLE]),
        ("sort=sku", [ELDER, DATE, CHERRY, BANANA, APPLE]),  # V-5, w-4, X-3, y-2, Z-1
        ("sort=value", [ELDER, BANANA, CHERRY, APPLE, DATE]),  # a number opens largest first
        ("sort=value&dir=asc", [DATE, APPLE, CHERRY, BANANA, ELDER]),
        ("sort=avg_cost&dir=desc", [BANANA, ELDER, APPLE, CHERRY, DATE]),  # no lots, no average: last
        ("sort=avg_cost&dir=asc", [CHERRY, APPLE, ELDER, BANANA, DATE]),  # ... both ways
        ("sort=on_hand&dir=desc", [CHERRY, ELDER, APPLE, BANANA, DATE]),  # 10 and 10: ties by id, newest first
        ("sort=on_hand&dir=asc", [DATE, BANANA, APPLE, ELDER, CHERRY]),
        ("sort=bogus&dir=desc", [APPLE, BANANA, CHERRY, DATE, ELDER]),
    ],
)
def test_the_products_list_sorts_by_the_chosen_column(stocked, viewer, query, order) -> None:  # type: ignore[no-untyped-def]
    assert links_in_table(page_html(viewer, f"/products/?{query}"), "products") == order


def test_the_products_csv_follows_the_screen_order_and_filter(stocked, viewer) -> None:  # type: ignore[no-untyped-def]
    html = page_html(viewer, "/products/?q=e&sort=value&dir=asc")
    assert 'href="/products/export.csv?q=e&amp;sort=value&amp;dir=asc"' in html
    skus = csv_column(viewer, "/products/export.csv?q=e&sort=value&dir=asc", "sku")
    assert skus == ["w-4", "Z-1", "X-3", "V-5"]  # an 'e' in the name: all but Banana Box
    assert links_in_table(html, "products") == [DATE, APPLE, CHERRY, ELDER]
    assert csv_column(viewer, "/products/export.csv?sort=avg_cost&dir=asc", "sku") == ["X-3", "Z-1", "V-5", "y-2", "w-4"]


def test_the_products_headings_mark_the_sort_and_keep_the_filters(stocked, viewer) -> None:  # type: ignore[no-untyped-def]
    html = page_html(viewer, "/products/?q=e&type=&status=all&sort=avg_cost&dir=desc")
    assert 'aria-sort="descending"><a href="/products/?q=e&amp;type=&amp;status=all&amp;sort=avg_cost&amp;dir=asc">Avg cost ↓</a>' in html
    assert '<a href="/products/?q=e&amp;type=&amp;status=all&amp;sort=sku&amp;dir=asc">SKU</a>' in html
    assert '<input type="hidden" name="sort" value="avg_cost"><input type="hidden" name="dir" value="desc">' in html


def test_products_paging_keeps_the_sort(app, stocked, viewer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():  # 50 more products, none with stock: 55 in all, two pages
        for n in range(50):
            factories.product(f"EMPTY-{n:02d}", f"Empty {n:02d}")
        db.session.remove()
    first = page_html(viewer, "/products/?sort=value&dir=desc")
    assert links_in_table(first, "products")[:4] == [ELDER, BANANA, CHERRY, APPLE]
    assert 'href="/products/?sort=value&amp;dir=desc&amp;page=2" rel="next"' in first
    second = links_in_table(page_html(viewer, "/products/?sort=value&dir=desc&page=2"), "products")
    # Value 0 for the 51 others: by id, newest first; the oldest of them (Date Drum) ends the list.
    assert second == ["Empty 03", "Empty 02", "Empty 01", "Empty 00", DATE]


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("", ["a-1", "c-3", "B-2", "e-5", "D-4"]),  # newest received first
        ("sort=received&dir=asc", ["D-4", "e-5", "B-2", "c-3", "a-1"]),
        ("sort=lot", ["a-1", "B-2", "c-3", "D-4", "e-5"]),  # text opens A to Z, whatever the case
        ("sort=lot&dir=desc", ["e-5", "D-4", "c-3", "B-2", "a-1"]),
        ("sort=value", ["D-4", "B-2", "c-3", "a-1", "e-5"]),  # remaining x unit cost: 100, 60, 30, 20, 9
        ("sort=value&dir=asc", ["e-5", "a-1", "c-3", "B-2", "D-4"]),
        ("sort=unit_cost&dir=asc", ["c-3", "e-5", "a-1", "B-2", "D-4"]),
        ("sort=product&dir=desc", ["e-5", "D-4", "c-3", "B-2", "a-1"]),  # Elder's two lots by id, newest first
        ("sort=remaining&dir=sideways", ["c-3", "a-1", "e-5", "B-2", "D-4"]),  # unknown direction: largest first
        ("sort=DROP&dir=asc", ["a-1", "c-3", "B-2", "e-5", "D-4"]),
    ],
)
def test_the_lots_list_sorts_by_the_chosen_column(stocked, viewer, query, order) -> None:  # type: ignore[no-untyped-def]
    assert links_in_table(page_html(viewer, f"/lots/?{query}"), "lots") == order


def test_the_lots_csv_follows_the_screen_order(stocked, viewer) -> None:  # type: ignore[no-untyped-def]
    html = page_html(viewer, "/lots/?status=active&sort=value&dir=asc")
    assert 'href="/lots/export.csv?status=active&amp;sort=value&amp;dir=asc"' in html
    numbers = csv_column(viewer, "/lots/export.csv?status=active&sort=value&dir=asc", "lot_number")
    assert numbers == links_in_table(html, "lots") == ["e-5", "a-1", "c-3", "B-2", "D-4"]
    assert 'aria-sort="ascending"><a href="/lots/?status=active&amp;sort=value&amp;dir=desc">Value ↑</a>' in html


def test_lots_paging_keeps_the_sort(app, stocked, viewer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():  # 50 more lots of one unit at 1..50: 55 in all, two pages
        product = factories.product("MANY", "Many Lots")
        for n in range(1, 51):
            factories.lot(product, "1", str(n), date(2025, 6, 1), number=f"M-{n:02d}")
        db.session.remove()
    first = page_html(viewer, "/lots/?sort=unit_cost&dir=desc")
    assert links_in_table(first, "lots")[:3] == ["D-4", "M-50", "M-49"]
    assert 'href="/lots/?sort=unit_cost&amp;dir=desc&amp;page=2" rel="next"' in first
    second = links_in_table(page_html(viewer, "/lots/?sort=unit_cost&dir=desc&page=2"), "lots")
    assert second == ["M-02", "a-1", "M-01", "e-5", "c-3"]  # equal costs (2, then 1) by id, newest first


def test_the_product_page_lots_keep_plain_headings_in_fifo_order(stocked, viewer) -> None:  # type: ignore[no-untyped-def]
    html = page_html(viewer, "/products/?q=Elder")
    elder = re.search(r'<a href="(/products/\d+)">Elder Bin</a>', html)
    assert elder is not None
    detail = page_html(viewer, elder.group(1))
    assert re.findall(r'<a href="/lots/\d+">([^<]+)</a>', detail)[:2] == ["D-4", "e-5"]
    assert "aria-sort" not in detail
