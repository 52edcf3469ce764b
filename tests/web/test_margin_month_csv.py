"""Margin by month has a CSV export: the page's months, columns and total, not cached.

Today is 2026-03-15, so the months are April 2025 to March 2026. One candle sale in February
and one in March, each 1 unit for 10.01 at exchange rate 0.5: revenue 5.005, cost 1 x 2.00.
Each month shows 5.01 / 2.00 / 3.01 (half-up; half-even would say 5.00 and 3.00); the total is
10.01 / 4.00 / 6.01 from the exact sums (adding the rounded months would say 10.02 and 6.02).
"""

from __future__ import annotations

from datetime import date

import pytest

from partsemble.costing.apply import ApplyContext, apply_document
from partsemble.domain.sale_plan import ItemLink
from partsemble.extensions import db
from partsemble.reports import periods
from tests import factories
from tests.documents import doc, line

TODAY = date(2026, 3, 15)
EMPTY_MONTHS = [
    f"{m},0,0.00,0.00,0.00,"
    for m in ("2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01")
]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(periods, "today", lambda: TODAY)


@pytest.fixture
def sold(app, users):  # type: ignore[no-untyped-def]
    with app.app_context():
        candle = factories.product("CND-1", "Lavender Candle")
        factories.lot(candle, "10", "2", date(2026, 1, 1))
        items = {"1": ItemLink("1", "Lavender Candle", "Inventory", candle.id, "finished_good", "Lavender Candle")}
        for doc_id, day in (("1", date(2026, 2, 10)), ("2", date(2026, 3, 5))):
            apply_document(ApplyContext(db.session, items), doc(doc_id, [line("1", "1", "10.01")], day=day, currency="EUR", rate="0.5"))
            db.session.commit()
        db.session.remove()


def test_the_months_csv_has_the_page_columns_and_total(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    response = viewer.get("/reports/months.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'filename="margin-by-month.csv"' in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).splitlines() == [
        "month,sales,revenue,cost,margin,margin_percent",
        *EMPTY_MONTHS,
        "2026-02,1,5.01,2.00,3.01,60.0",
        "2026-03,1,5.01,2.00,3.01,60.0",
        "total,2,10.01,4.00,6.01,60.0",
    ]


def test_the_page_links_its_csv_and_shows_the_same_total(sold, viewer) -> None:  # type: ignore[no-untyped-def]
    html = viewer.get("/reports/").get_data(as_text=True)
    assert 'href="/reports/months.csv"' in html
    footer = html[html.index("<tfoot>") : html.index("</tfoot>")]
    assert all(f">{figure}<" in footer for figure in ("2", "$10.01", "$4.00", "$6.01", "60.0%"))


def test_the_months_csv_needs_a_login_and_is_read_only(app, member) -> None:  # type: ignore[no-untyped-def]
    assert app.test_client().get("/reports/months.csv").status_code == 302
    assert member.post("/reports/months.csv").status_code == 405


def test_with_no_sales_every_month_is_zero_and_no_margin_percent(app, viewer) -> None:  # type: ignore[no-untyped-def]
    lines = viewer.get("/reports/months.csv").get_data(as_text=True).splitlines()
    assert lines[1:] == [*EMPTY_MONTHS, "2026-02,0,0.00,0.00,0.00,", "2026-03,0,0.00,0.00,0.00,", "total,0,0.00,0.00,0.00,"]
