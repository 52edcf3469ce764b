"""The Sales list sorts on the server by any column, keeps the order across pages, filters and
the CSV export, and falls back to newest first on a sort it does not know.

Five sales, chosen so that every order below differs from the others:
  number  date        customer        revenue   cost    margin   margin %
  S-1     2026-02-01  delta Co          100.00   90.00    10.00    10.0
  S-2     2026-02-03  Alpha Ltd         400.00  100.00   300.00    75.0
  S-3     2026-02-02  charlie & Sons     50.00   10.00    40.00    80.0
  S-4     2026-02-04  bravo             -20.00   -5.00   -15.00    75.0 (a credit)
  S-5     2026-02-02  Echo                0.00    3.00    -3.00    none (no revenue)
Case matters: a byte-order sort would put "Alpha", "Echo" before "bravo", "charlie", "delta".
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from partsemble.costing.apply import ApplyContext, apply_document
from partsemble.domain.documents import DocumentType
from partsemble.domain.sale_plan import ItemLink
from partsemble.extensions import db
from tests import factories
from tests.documents import doc, line

SALES = [  # number, day, customer, units, amount, lot unit cost of its own product
    ("S-1", date(2026, 2, 1), "delta Co", "1", "100", "90"),
    ("S-2", date(2026, 2, 3), "Alpha Ltd", "4", "400", "25"),
    ("S-3", date(2026, 2, 2), "charlie & Sons", "1", "50", "10"),
    ("S-4", date(2026, 2, 4), "bravo", "1", "20", "5"),  # a credit memo: the unit comes back at the average cost 5
    ("S-5", date(2026, 2, 2), "Echo", "1", "0", "3"),
]


def apply(items: dict[str, ItemLink], document) -> None:  # type: ignore[no-untyped-def]
    apply_document(ApplyContext(db.session, items), document)
    db.session.commit()


@pytest.fixture
def listed(app, users):  # type: ignore[no-untyped-def]
    with app.app_context():
        for n, (number, day, customer, units, amount, unit_cost) in enumerate(SALES, start=1):
            product = factories.product(f"P-{number}", f"Product {number}")
            factories.lot(product, "10", unit_cost, date(2026, 1, 1))
            items = {str(n): ItemLink(str(n), product.name, "Inventory", product.id, "finished_good", product.name)}
            kind = DocumentType.CREDIT_MEMO if number == "S-4" else DocumentType.INVOICE
            apply(items, doc(str(n), [line(str(n), units, amount)], doc_type=kind, day=day, customer=(f"C{n}", customer), number=number))
        db.session.remove()


def numbers(html: str) -> list[str]:
    """The document numbers of the Sales table, top to bottom."""
    table = html[html.index('<table class="data sales') :]
    return re.findall(r'<a href="/sales/\d+">([^<]+)</a>', table[: table.index("</table>")])


def page_html(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "order"),
    [
        ("", ["S-4", "S-2", "S-5", "S-3", "S-1"]),  # newest first, ties (2 Feb) newest id first
        ("sort=date&dir=asc", ["S-1", "S-3", "S-5", "S-2", "S-4"]),
        ("sort=revenue&dir=desc", ["S-2", "S-1", "S-3", "S-5", "S-4"]),
        ("sort=revenue&dir=asc", ["S-4", "S-5", "S-3", "S-1", "S-2"]),
        ("sort=margin", ["S-2", "S-3", "S-1", "S-5", "S-4"]),  # a number opens largest first
        ("sort=customer&dir=asc", ["S-2", "S-4", "S-3", "S-1", "S-5"]),  # case-insensitive
        ("sort=customer&dir=desc", ["S-5", "S-1", "S-3", "S-4", "S-2"]),
        ("sort=customer", ["S-2", "S-4", "S-3", "S-1", "S-5"]),  # text opens A to Z
        # margin %: 80.0, 75.0 twice (ties by id in the sort's direction), 10.0; no revenue last both ways
        ("sort=margin_pct&dir=desc", ["S-3", "S-4", "S-2", "S-1", "S-5"]),
        ("sort=margin_pct&dir=asc", ["S-1", "S-2", "S-4", "S-3", "S-5"]),
        ("sort=type&dir=asc", ["S-4", "S-1", "S-2", "S-3", "S-5"]),
        ("sort=nonsense&dir=asc", ["S-4", "S-2", "S-5", "S-3", "S-1"]),  # unknown: the default order
        ("sort=revenue&dir=sideways", ["S-2", "S-1", "S-3", "S-5", "S-4"]),  # unknown direction: the column's own
    ],
)
def test_the_sales_list_sorts_by_the_chosen_column(listed, viewer, query, order) -> None:  # type: ignore[no-untyped-def]
    assert numbers(page_html(viewer, f"/sales/?{query}")) == order


def test_the_sorted_column_says_so_and_its_link_flips_the_direction(listed, viewer) -> None:  # type: ignore[no-untyped-def]
    html = page_html(viewer, "/sales/?status=active&sort=revenue&dir=asc")
    assert 'aria-sort="ascending"><a href="/sales/?status=active&amp;sort=revenue&amp;dir=desc">Revenue ↑</a>' in html
    assert html.count("aria-sort=") == 1
    # Other columns open in their own direction and keep the filter.
    assert '<a href="/sales/?status=active&amp;sort=customer&amp;dir=asc">Customer</a>' in html
    assert '<a href="/sales/?status=active&amp;sort=cost&amp;dir=desc">Cost</a>' in html
    # The default order marks the date column.
    assert 'aria-sort="descending"><a href="/sales/?sort=date&amp;dir=asc">Date ↓</a>' in page_html(viewer, "/sales/")


def test_the_csv_export_follows_the_screen_order(listed, viewer) -> None:  # type: ignore[no-untyped-def]
    html = page_html(viewer, "/sales/?sort=customer&dir=desc")
    assert 'href="/sales/export.csv?sort=customer&amp;dir=desc"' in html
    rows = list(csv.reader(io.StringIO(viewer.get("/sales/export.csv?sort=customer&dir=desc").get_data(as_text=True))))
    assert [r[2] for r in rows[1:]] == numbers(html) == ["S-5", "S-1", "S-3", "S-4", "S-2"]
    rows = list(csv.reader(io.StringIO(viewer.get("/sales/export.csv?sort=margin_pct&dir=asc").get_data(as_text=True))))
    assert [r[2] for r in rows[1:]] == ["S-1", "S-2", "S-4", "S-3", "S-5"]


def test_the_filter_form_keeps_the_sort(listed, viewer) -> None:  # type: ignore[no-untyped-def]
    html = page_html(viewer, "/sales/?sort=cost&dir=asc")
    assert '<input type="hidden" name="sort" value="cost"><input type="hidden" name="dir" value="asc">' in html
    assert 'name="sort"' not in page_html(viewer, "/sales/")


def test_paging_keeps_the_sort_and_a_new_sort_starts_at_page_one(app, listed, viewer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():  # 55 more sales, two pages of 50: the n-th sells one unit for n
        product = factories.product("PAGER", "Pager")
        factories.lot(product, "60", "1", date(2025, 1, 1))
        items = {"99": ItemLink("99", "Pager", "Inventory", product.id, "finished_good", "Pager")}
        for n in range(1, 56):
            apply(
                items,
                doc(f"p{n}", [line("99", "1", str(n))], day=date(2025, 12, 31 - n % 28), customer=("C99", "Pager"), number=f"P-{n:02d}"),
            )
        db.session.remove()
    first = page_html(viewer, "/sales/?customer=Pager&sort=revenue&dir=asc")
    assert numbers(first) == [f"P-{n:02d}" for n in range(1, 51)]
    assert 'href="/sales/?customer=Pager&amp;sort=revenue&amp;dir=asc&amp;page=2" rel="next"' in first
    second = page_html(viewer, "/sales/?customer=Pager&sort=revenue&dir=asc&page=2")
    assert numbers(second) == [f"P-{n:02d}" for n in range(51, 56)]
    # A header link on page 2 goes back to page 1.
    assert '<a href="/sales/?customer=Pager&amp;sort=revenue&amp;dir=desc">Revenue ↑</a>' in second
    assert "page=2&amp;sort" not in second


def test_a_hostile_sort_parameter_is_the_default_order_not_an_error(listed, viewer) -> None:  # type: ignore[no-untyped-def]
    for query in ("sort=revenue;DROP TABLE sales", "sort=__class__", "sort=&dir=", "sort=id", "dir=asc", "sort=txn_date"):
        assert numbers(page_html(viewer, f"/sales/?{query}")) == ["S-4", "S-2", "S-5", "S-3", "S-1"], query
        assert viewer.get(f"/sales/export.csv?{query}").status_code == 200
