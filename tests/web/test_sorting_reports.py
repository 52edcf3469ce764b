"""The reports sort on the server: margin by product, margin by month (its table; the chart keeps
calendar order) and both tables of the shortages report, each kept in its CSV export, across
pages, and falling back to the default order on a sort it does not know.

Shortages, all time:
  product      lot          sale   date    customer  line qty  short  unit cost used  shortage cost  line cost
  alpha Wick   2 @ 4        INV-1  Feb 10  zeta             5      3            4.00          12.00      20.00
  Beta Jar     1 @ 10       INV-2  Feb 5   Omega            3      2           10.00          20.00      30.00
  gamma Lid    none         INV-3  Feb 20  alpha            4      4   (no cost basis)         0.00       0.00
Names and customers in mixed case: a byte-order sort would put "Beta" before "alpha".
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from partsemble.costing.apply import ApplyContext, apply_document
from partsemble.domain.sale_plan import ItemLink
from partsemble.extensions import db
from partsemble.reports import periods
from tests import factories
from tests.documents import doc, line
from tests.web.test_reports_pages import TODAY, sold  # noqa: F401  (the margin report's hand-checked world)

SHORT = [  # sku, name, lot (qty, cost) or None, number, day, customer, units, amount
    ("W-1", "alpha Wick", ("2", "4"), "INV-1", date(2026, 2, 10), "zeta", "5", "100"),
    ("J-2", "Beta Jar", ("1", "10"), "INV-2", date(2026, 2, 5), "Omega", "3", "90"),
    ("L-3", "gamma Lid", None, "INV-3", date(2026, 2, 20), "alpha", "4", "40"),
]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(periods, "today", lambda: TODAY)


def apply(items: dict[str, ItemLink], document) -> None:  # type: ignore[no-untyped-def]
    apply_document(ApplyContext(db.session, items), document)
    db.session.commit()


@pytest.fixture
def short(app, users):  # type: ignore[no-untyped-def]
    with app.app_context():
        for n, (sku, name, held, number, day, customer, units, amount) in enumerate(SHORT, start=1):
            product = factories.product(sku, name)
            if held:
                factories.lot(product, held[0], held[1], date(2026, 1, 1))
            items = {str(n): ItemLink(str(n), name, "Inventory", product.id, "finished_good", name)}
            apply(items, doc(str(n), [line(str(n), units, amount)], day=day, customer=(f"C{n}", customer), number=number))
        db.session.remove()


def page_html(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def body_rows(html: str, caption: str) -> list[list[str]]:
    """The text of each body cell, row by row, of the table whose caption starts with `caption`."""
    table = html[html.index(f'<caption class="sr">{caption}') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def csv_rows(client, url: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


# Margin by product ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "skus"),
    [
        ("sort=margin&dir=desc", ["CND-1", "SOAP-1"]),  # margin 192 and 30
        ("sort=margin&dir=asc", ["SOAP-1", "CND-1"]),
        ("sort=product&dir=asc", ["CND-1", "SOAP-1"]),  # Lavender Candle, Zesty ... Soap
        ("sort=product&dir=desc", ["SOAP-1", "CND-1"]),
        ("sort=%3Cscript%3E&dir=up", ["CND-1", "SOAP-1"]),  # unknown: margin, largest first
    ],
)
def test_the_margin_csv_has_the_rows_in_the_page_order(sold, viewer, query, skus) -> None:  # type: ignore[no-untyped-def]
    assert [r["sku"] for r in csv_rows(viewer, f"/reports/margin.csv?{query}")] == skus
    html = page_html(viewer, f"/reports/margin?{query}")
    assert re.findall(r'<span class="mono small muted nowrap">([^<]+)</span>', html) == skus


def test_the_margin_period_form_keeps_the_sort(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    html = page_html(viewer, "/reports/margin?period=this_quarter&sort=product&dir=desc")
    assert '<input type="hidden" name="sort" value="product"><input type="hidden" name="dir" value="desc">' in html
    assert 'aria-sort="descending"><a href="/reports/margin?period=this_quarter&amp;sort=product&amp;dir=asc">Product ↓</a>' in html


# Margin by month -----------------------------------------------------------------------------


def month_table(html: str) -> list[str]:
    return [row[0] for row in body_rows(html, "Revenue, cost and margin by month")]


def test_the_month_table_sorts_and_the_chart_keeps_calendar_order(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    calendar = page_html(viewer, "/reports/")
    months = month_table(calendar)
    assert months[0] == "Apr 2025" and months[-2:] == ["Feb 2026", "Mar 2026"] and len(months) == 12
    assert '<details class="chart-data" id="business-chart-data">' in calendar  # closed until sorted

    # February: revenue 100, cost 20; March: revenue 170, cost 28 (the sales of test_reports_pages)
    by_revenue = page_html(viewer, "/reports/?sort=revenue&dir=desc")
    assert month_table(by_revenue)[:2] == ["Mar 2026", "Feb 2026"]
    assert month_table(page_html(viewer, "/reports/?sort=revenue&dir=asc"))[-2:] == ["Feb 2026", "Mar 2026"]
    assert 'id="business-chart-data" open>' in by_revenue
    assert 'aria-sort="descending"><a href="/reports/?sort=revenue&amp;dir=asc#business-chart-data">Revenue ↓</a>' in by_revenue
    # The chart's bars run in calendar order whatever the table's order.
    bars = re.compile(r'<rect class="bar-revenue"[^>]*><title>([A-Z][a-z]{2} \d{4}):')
    assert bars.findall(by_revenue) == bars.findall(calendar) and bars.findall(calendar)[-2:] == ["Feb 2026", "Mar 2026"]
    assert month_table(page_html(viewer, "/reports/?sort=month&dir=desc"))[0] == "Mar 2026"


def test_months_without_revenue_have_no_margin_percent_and_sort_last_both_ways(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    for direction in ("asc", "desc"):
        months = month_table(page_html(viewer, f"/reports/?sort=margin_pct&dir={direction}"))
        assert set(months[:2]) == {"Feb 2026", "Mar 2026"}, direction
        assert months[2:] == [
            "Apr 2025",
            "May 2025",
            "Jun 2025",
            "Jul 2025",
            "Aug 2025",
            "Sep 2025",
            "Oct 2025",
            "Nov 2025",
            "Dec 2025",
            "Jan 2026",
        ]


def test_the_months_csv_follows_the_table_order_and_keeps_the_total_last(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    html = page_html(viewer, "/reports/?sort=cost&dir=desc")
    assert 'href="/reports/months.csv?sort=cost&amp;dir=desc"' in html
    rows = csv_rows(viewer, "/reports/months.csv?sort=cost&dir=desc")
    assert [r["month"] for r in rows[:2]] == ["2026-03", "2026-02"] and rows[-1]["month"] == "total"
    assert [r["month"] for r in csv_rows(viewer, "/reports/months.csv?sort=nonsense")][:2] == ["2025-04", "2025-05"]


# Shortages -----------------------------------------------------------------------------------


def line_skus(html: str) -> list[str]:
    return [row[0] for row in body_rows(html, "Sale lines with provisional costs")]


def product_names(html: str) -> list[str]:
    return [row[0].split("\n")[0].rsplit(" ", 1)[0].strip() for row in body_rows(html, "Provisional costs by product")]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("", ["alpha Wick", "Beta Jar", "gamma Lid"]),  # product by product, whatever the case
        ("sort=product&dir=desc", ["gamma Lid", "Beta Jar", "alpha Wick"]),
        ("sort=shortage_cost", ["Beta Jar", "alpha Wick", "gamma Lid"]),  # 20, 12, 0: largest first
        ("sort=shortage_cost&dir=asc", ["gamma Lid", "alpha Wick", "Beta Jar"]),
        ("sort=customer&dir=asc", ["gamma Lid", "Beta Jar", "alpha Wick"]),  # alpha, Omega, zeta
        ("sort=customer&dir=desc", ["alpha Wick", "Beta Jar", "gamma Lid"]),
        ("sort=date", ["gamma Lid", "alpha Wick", "Beta Jar"]),  # newest first
        ("sort=shortage_qty&dir=asc", ["Beta Jar", "alpha Wick", "gamma Lid"]),
        ("sort=unit_cost&dir=desc", ["Beta Jar", "alpha Wick", "gamma Lid"]),
        ("sort=1%20OR%201&dir=desc", ["alpha Wick", "Beta Jar", "gamma Lid"]),  # unknown: the default
    ],
)
def test_the_shortage_lines_sort_by_the_chosen_column_on_the_page_and_in_the_csv(short, viewer, query, names) -> None:  # type: ignore[no-untyped-def]
    assert line_skus(page_html(viewer, f"/reports/shortages?period=all&{query}")) == names
    assert [r["product"] for r in csv_rows(viewer, f"/reports/shortages.csv?period=all&{query}")] == names


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("", ["alpha Wick", "Beta Jar", "gamma Lid"]),
        ("product_sort=name&product_dir=desc", ["gamma Lid", "Beta Jar", "alpha Wick"]),
        ("product_sort=shortage_cost", ["Beta Jar", "alpha Wick", "gamma Lid"]),
        ("product_sort=shortage_qty&product_dir=asc", ["Beta Jar", "alpha Wick", "gamma Lid"]),
        ("product_sort=shortage_qty&product_dir=desc", ["gamma Lid", "alpha Wick", "Beta Jar"]),
        ("product_sort=zzz", ["alpha Wick", "Beta Jar", "gamma Lid"]),
    ],
)
def test_the_shortage_products_table_sorts_on_its_own(short, viewer, query, names) -> None:  # type: ignore[no-untyped-def]
    html = page_html(viewer, f"/reports/shortages?period=all&sort=customer&dir=asc&{query}")
    assert product_names(html) == names
    assert line_skus(html) == ["gamma Lid", "Beta Jar", "alpha Wick"]  # the lines keep their own order


def test_each_shortage_table_keeps_the_other_tables_order_and_the_period(short, viewer) -> None:  # type: ignore[no-untyped-def]
    html = page_html(viewer, "/reports/shortages?period=all&sort=date&dir=asc&product_sort=shortage_cost&product_dir=desc")
    assert (
        'aria-sort="ascending"><a href="/reports/shortages?period=all&amp;product_sort=shortage_cost&amp;product_dir=desc'
        '&amp;sort=date&amp;dir=desc#lines">Date ↑</a>'
    ) in html
    assert (
        '<a href="/reports/shortages?period=all&amp;sort=date&amp;dir=asc&amp;product_sort=sales&amp;product_dir=desc#by-product">Sales</a>'
    ) in html
    assert 'href="/reports/shortages.csv?period=all&amp;sort=date&amp;dir=asc"' in html
    for hidden in ("sort", "date"), ("dir", "asc"), ("product_sort", "shortage_cost"), ("product_dir", "desc"):
        assert f'<input type="hidden" name="{hidden[0]}" value="{hidden[1]}">' in html


def test_shortage_paging_keeps_the_sort(app, short, viewer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():  # one more sale of 101 lines of a product never received: 104 lines, two pages of 100
        product = factories.product("NONE", "Never Received")
        items = {"9": ItemLink("9", "Never Received", "Inventory", product.id, "finished_good", "Never Received")}
        apply(items, doc("9", [line("9", str(n), str(n)) for n in range(1, 102)], day=date(2026, 1, 15), number="BIG"))
        db.session.remove()
    first = page_html(viewer, "/reports/shortages?period=all&sort=shortage_qty&dir=asc")
    assert (
        'href="/reports/shortages?period=all&amp;sort=shortage_qty&amp;dir=asc&amp;product_sort=name&amp;product_dir=asc&amp;page=2" rel="next"'
        in first
    )
    second = body_rows(page_html(viewer, "/reports/shortages?period=all&sort=shortage_qty&dir=asc&page=2"), "Sale lines")
    assert [row[5] for row in second] == ["98", "99", "100", "101"]  # the four largest shortfalls, ascending
