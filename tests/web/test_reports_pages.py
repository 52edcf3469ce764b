"""Report pages, the product chart and the Sales dashboard partial, as a viewer sees them.

Today is 2026-03-15. Hand-checked figures:
  lot   Lavender Candle (CND-1) 10 @ 4.00 on 2026-01-01; the soap (SOAP-1) never had a lot
  INV-1 2026-02-10 candle 5 for 100   cost 5x4 = 20
  INV-2 2026-03-05 candle 8 for 160   5x4 + shortfall 3 at the average 4 = 32
  INV-3 2026-03-06 soap 1 for 30      no cost basis: 0
  CM-4  2026-03-07 candle 1 back, 20  at INV-2's unit cost 4: -4
  INV-5 2026-03-08 candle 1 for 999   then voided: in no figure
Last 12 months: candle sold 13, returned 1, revenue 240, cost 48, margin 192 (80.0%);
soap 30 / 0 / 30; together 270 / 48 / 222 (82.2%); February 100 / 20, March 170 / 28.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import render_template

from partsemble.costing.apply import ApplyContext, apply_document
from partsemble.domain.documents import DocumentStatus, DocumentType
from partsemble.domain.sale_plan import ItemLink
from partsemble.extensions import db
from partsemble.models.sales import Sale
from partsemble.reports import periods
from partsemble.sales.dashboard import sales_dashboard
from tests import factories
from tests.documents import doc, line

TODAY = date(2026, 3, 15)
SOAP_NAME = 'Zesty <b>Bold</b> "Soap" & Co'


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(periods, "today", lambda: TODAY)


@pytest.fixture
def sold(app, users):  # type: ignore[no-untyped-def]
    """The sales of the module docstring; returns the ids the pages link to."""
    with app.app_context():
        candle = factories.product("CND-1", "Lavender Candle")
        soap = factories.product("SOAP-1", SOAP_NAME)
        wax = factories.product("WAX-1", "Soy Wax", kind="raw_material")
        factories.lot(candle, "10", "4", date(2026, 1, 1))
        items = {
            "1": ItemLink("1", "Lavender Candle", "Inventory", candle.id, "finished_good", "Lavender Candle"),
            "2": ItemLink("2", "Soap", "Inventory", soap.id, "finished_good", SOAP_NAME),
        }
        documents = [
            doc("1", [line("1", "5", "100")], day=date(2026, 2, 10), number="INV-1"),
            doc("2", [line("1", "8", "160")], day=date(2026, 3, 5), number="INV-2"),
            doc("3", [line("2", "1", "30")], day=date(2026, 3, 6), number="INV-3"),
            doc("4", [line("1", "1", "20")], doc_type=DocumentType.CREDIT_MEMO, day=date(2026, 3, 7), number="CM-4"),
            doc("5", [line("1", "1", "999")], day=date(2026, 3, 8), number="INV-5"),
            doc("5", [line("1", "1", "999")], day=date(2026, 3, 8), number="INV-5", version="1", status=DocumentStatus.VOIDED),
        ]
        for document in documents:
            apply_document(ApplyContext(db.session, items), document)
            db.session.commit()
        sale_ids = {s.doc_number: s.id for s in db.session.query(Sale)}
        ids = {"candle": candle.id, "soap": soap.id, "wax": wax.id, **sale_ids}
        db.session.remove()
    return ids


def html_of(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


REPORT_PAGES = ["/reports/", "/reports/margin", "/reports/shortages", "/reports/margin?period=custom&from=2026-01-01&to=2026-03-31"]


@pytest.mark.parametrize("url", REPORT_PAGES)
def test_a_viewer_reads_every_report_page(sold, viewer, url) -> None:  # type: ignore[no-untyped-def]
    response = viewer.get(url)
    assert response.status_code == 200 and response.mimetype == "text/html"


@pytest.mark.parametrize("url", REPORT_PAGES + ["/reports/margin.csv", "/reports/shortages.csv"])
def test_reports_need_a_login(app, url) -> None:  # type: ignore[no-untyped-def]
    response = app.test_client().get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", ["/reports/", "/reports/margin", "/reports/shortages", "/reports/margin.csv"])
def test_reports_are_read_only(member, url) -> None:  # type: ignore[no-untyped-def]
    assert member.post(url).status_code == 405


def cells(html: str) -> list[str]:
    return re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)</td>', html)


def test_margin_page_shows_each_product_and_the_total_right_aligned(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    html = html_of(viewer.get("/reports/margin"))
    # sold, returned, revenue, cost, margin, margin %, avg unit cost, share of margin (the
    # shortage cell of a product holds a badge, so it is not a plain number cell)
    assert cells(html) == [
        "13",
        "1",
        "$240.00",
        "$48.00",
        "$192.00",
        "80.0%",
        "$4.00",
        "86.5%",  # candle: 52 / 13 a unit, 192 / 222
        "1",
        "0",
        "$30.00",
        "$0.00",
        "$30.00",
        "100.0%",
        "$0.00",
        "13.5%",  # soap
        # total: 52 / 14 a unit; 3 units short: the credit memo's return settled 1 of invoice 2's 4
        "14",
        "1",
        "$270.00",
        "$48.00",
        "$222.00",
        "82.2%",
        "$3.71",
        "100.0%",
        "3",
    ]
    assert "Shortage 2" in html and "No cost basis" in html
    assert "Last 12 months" in html and "2025-04-01 – 2026-03-31" in html
    assert 'title="$3.714286"' in html  # the exact average unit cost, a hover away


def test_margin_page_escapes_product_names(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    html = html_of(viewer.get("/reports/margin"))
    assert "Zesty &lt;b&gt;Bold&lt;/b&gt; &#34;Soap&#34; &amp; Co" in html
    assert "<b>Bold</b>" not in html


@pytest.mark.parametrize(
    ("query", "first", "aria"),
    [
        (
            "sort=revenue&dir=asc",
            "SOAP-1",
            'aria-sort="ascending"><a href="/reports/margin?period=last_12_months&amp;sort=revenue&amp;dir=desc">Revenue ↑',
        ),
        (
            "sort=revenue&dir=desc",
            "CND-1",
            'aria-sort="descending"><a href="/reports/margin?period=last_12_months&amp;sort=revenue&amp;dir=asc">Revenue ↓',
        ),
        ("sort=margin_pct", "SOAP-1", 'aria-sort="descending"'),
        ("sort=product&dir=desc", "SOAP-1", 'aria-sort="descending"'),
        ("sort=product", "CND-1", 'aria-sort="ascending"'),
    ],
)
def test_margin_rows_sort_on_the_server_by_the_chosen_column(sold, viewer, query, first, aria) -> None:  # type: ignore[no-untyped-def]
    html = html_of(viewer.get(f"/reports/margin?{query}"))
    skus = re.findall(r'<span class="mono small muted nowrap">([^<]+)</span>', html)
    assert skus[0] == first and len(skus) == 2
    assert aria in html


def test_margin_csv_follows_the_period_and_keeps_the_columns(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    response = viewer.get("/reports/margin.csv?period=last_month")
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).splitlines() == [
        "sku,product,units_sold,units_returned,revenue,cost,margin,margin_percent,average_unit_cost,share_of_margin_percent,shortage_quantity,no_cost_basis_lines",
        "CND-1,Lavender Candle,5.0000,0.0000,100.00,20.00,80.00,80.0,4.000000,100.0,0.0000,0",
    ]


def test_margin_page_links_its_csv_with_the_same_period_and_sort(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    html = html_of(viewer.get("/reports/margin?period=this_quarter&sort=cost&dir=asc"))
    assert 'href="/reports/margin.csv?period=this_quarter&amp;sort=cost&amp;dir=asc"' in html


def test_a_bad_custom_period_says_why_and_shows_the_default(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    html = html_of(viewer.get("/reports/margin?period=custom&from=2026-03-31&to=2026-01-01"))
    assert 'role="alert">The start date is after the end date' in html
    assert "$270.00" in html  # the default period, last 12 months


def test_the_reports_index_draws_an_accessible_chart_without_inline_style_or_script(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    html = html_of(viewer.get("/reports/"))
    assert re.search(r'<svg class="chart" viewBox="0 0 720 300"[^>]*role="img"', html)
    assert '<title id="business-chart-title">Revenue, cost and margin % by month for the business, Apr 2025 to Mar 2026</title>' in html
    assert "Revenue $270.00, cost $48.00, margin $222.00 (82.2%) over 12 months, 2 of them with sales." in html
    assert html.count('class="bar-revenue"') == 2 and html.count('class="dot-margin"') == 2
    assert "<summary>The numbers behind the chart</summary>" in html and ">Mar 2026</td>" in html
    assert not re.search(r"\sstyle=|<style|<script(?![^>]*\ssrc=)", html)
    assert 'href="/reports/margin"' in html and 'href="/reports/shortages"' in html


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("/reports/", "No sales to chart from Apr 2025 to Mar 2026"),
        ("/reports/margin", "No finished goods sold in this period"),
        ("/reports/shortages", "No provisional costs in this period"),
    ],
)
def test_empty_reports_say_what_to_do_next(viewer, url, text) -> None:  # type: ignore[no-untyped-def]
    html = html_of(viewer.get(url))
    assert text in html and "<svg" not in html


def test_the_product_page_shows_its_margin_and_its_chart(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    html = html_of(viewer.get(f"/products/{sold['candle']}"))
    assert re.search(r"Margin, last 12 months</span><span class=\"value\">\$192\.00</span> <span class=\"muted small\">80\.0%", html)
    assert f'id="product-{sold["candle"]}-chart"' in html and "Margin by month" in html
    assert "Revenue $240.00, cost $48.00, margin $192.00 (80.0%)" in html
    assert "see the shortages" in html  # INV-2 was partly costed at weighted average


def test_a_raw_material_page_has_no_margin_and_no_chart(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    html = html_of(viewer.get(f"/products/{sold['wax']}"))
    assert "Margin by month" not in html and "Margin, last 12 months" not in html


def test_an_unsold_finished_good_shows_the_empty_chart(app, viewer) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        pid = factories.product("NEW-1", "New Candle").id
        db.session.remove()
    html = html_of(viewer.get(f"/products/{pid}"))
    assert "No sales to chart" in html and "Margin, last 12 months" not in html


def test_shortages_page_links_each_provisional_sale(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    html = html_of(viewer.get("/reports/shortages"))
    assert f'href="/sales/{sold["INV-2"]}">Invoice INV-2</a>' in html
    assert f'href="/sales/{sold["INV-3"]}">Invoice INV-3</a>' in html
    assert "2 sales with provisional costs" in html
    assert cells(html)[:5] == ["1", "1", "2", "$8.00", "—"]  # candle: 1 sale, 1 line, 2 short at $4 (the return settled 1 of 3)


def test_shortages_csv_lists_the_lines(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    lines = viewer.get("/reports/shortages.csv?period=this_month").get_data(as_text=True).splitlines()
    assert lines[1:] == [
        "2026-03-05,Invoice,INV-2,Acme Stores,CND-1,Lavender Candle,8.0000,2.0000,4.000000,8.00,32.00,no",
        f'2026-03-06,Invoice,INV-3,Acme Stores,SOAP-1,"{SOAP_NAME.replace(chr(34), chr(34) * 2)}",1.0000,1.0000,0.000000,0.00,0.00,yes',
    ]


def test_dashboard_partial_shows_the_three_periods_and_links_each_problem(app, sold) -> None:  # type: ignore[no-untyped-def]
    from partsemble.models.catalog import AccountingItem
    from partsemble.models.sync import FailedDocument

    with app.test_request_context("/sales/"):
        db.session.add(AccountingItem(external_id="9", name="Gift box", item_type="Inventory"))
        db.session.add(
            FailedDocument(
                external_type="Invoice",
                external_id="77",
                code="item_not_linked",
                message="Item 'Gift box' is not linked",
                item_external_id="9",
                item_name="Gift box",
            )
        )
        db.session.commit()
        html = render_template("sales/_dashboard.html", dashboard=sales_dashboard(db.session))
        db.session.remove()
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    assert [cells(row) for row in rows[1:]] == [
        ["3", "$170.00", "$28.00", "$142.00", "83.5%"],
        ["1", "$100.00", "$20.00", "$80.00", "80.0%"],
        ["4", "$270.00", "$48.00", "$222.00", "82.2%"],
    ]
    assert 'href="/reports/margin?period=this_month">This month</a>' in html
    assert '<span class="badge badge-err">1</span> <a href="/sales/#problems">document failed to sync</a>' in html
    assert '<span class="badge badge-warn">2</span> <a href="/reports/shortages">sales with shortages</a>' in html
    assert '<span class="badge badge-err">1</span> <a href="/items/?filter=blocking">unlinked item that blocks sales</a>' in html


def test_dashboard_partial_without_sales_or_problems_says_so(app, users) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/sales/"):
        html = render_template("sales/_dashboard.html", dashboard=sales_dashboard(db.session))
    assert "No sales in the last 12 months yet. Press Sync Now" in html
    assert "Every document synced, every sale costed from real lots" in html


def test_chart_axis_labels_follow_the_decimal_mark(app, admin, viewer) -> None:  # type: ignore[no-untyped-def]
    """Revenue 9 in one month: the money axis steps by 2.5, written $2,5 and $7,5 with the comma."""
    with app.app_context():
        candle = factories.product("CND-1", "Lavender Candle")
        factories.lot(candle, "10", "4", date(2026, 1, 1))
        items = {"1": ItemLink("1", "Lavender Candle", "Inventory", candle.id, "finished_good", "Lavender Candle")}
        apply_document(ApplyContext(db.session, items), doc("1", [line("1", "1", "9")], day=date(2026, 3, 5), number="INV-1"))
        db.session.commit()
        db.session.remove()

    def axis_labels() -> list[str]:
        return re.findall(r'dy="0.35em" text-anchor="end">([^<]*)</text>', html_of(viewer.get("/reports/")))

    assert axis_labels() == ["$0", "$2.5", "$5", "$7.5", "$10"]
    assert admin.post("/settings/numbers-and-time", {"decimal_mark": ",", "time_zone": "UTC"}).status_code == 302
    assert axis_labels() == ["$0", "$2,5", "$5", "$7,5", "$10"]
