"""Reports reconcile to the cent: hand-checked figures, the sales CSV export, and properties.

The scenario (today = 2026-03-15), every figure worked out by hand in the comments:

  lots  A1 20 @ 5.00 (2025-01-01), A2 10 @ 6.00 (2025-01-02), B1 5 @ 10.00 (2025-01-01); C has none
  S0  INV-100 2025-03-31 Acme   A 1 for 10                 cost 5                  (before the 12 months)
  S1  INV-101 2025-04-01 Acme   A 1 for 12                 cost 5
  S2  INV-102 2026-02-03 Acme   A 20 for 400 + shipping 20 cost 18x5 + 2x6 = 102; revenue 400 (shipping is not tracked)
  S3  INV-103 2026-02-10 Beta   B 4 for CAD 100 @ 0.74     revenue 74, cost 40
  S4  INV-104 2026-02-28 Acme   A 2 for 40, then voided    out of every total
  S5  INV-105 2026-03-02 Acme   B 3 for 90                 1x10 + shortfall 2x10 = 30
  S6  CM-9    2026-03-10 Acme   A 5 returned for 100       at S2's unit cost 5.10: -25.50
  S7  CM-10   2026-03-11 Acme   A qty 0 for 10             price adjustment, revenue -10
  S8  SR-11   2026-03-12 Gamma  A 1 for 30                 1x6 from A2 (older than the return lot)
  S10 INV-107 2026-03-13 Acme   C 1 for 20, then deleted   out of every total
  S9  INV-106 2026-03-14 Acme   C 2 for 50                 no cost basis: shortfall 2 at 0
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from partsemble.costing.apply import ApplyContext, apply_document, apply_removal, find_sale
from partsemble.domain.documents import DocumentStatus, DocumentType
from partsemble.domain.sale_plan import ItemLink
from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem
from partsemble.models.sales import Sale, SaleLine
from partsemble.models.sync import FailedDocument
from partsemble.reports import margins, monthly, periods, shortages, svg
from partsemble.reports.periods import Period, preset_period
from partsemble.sales import dashboard
from partsemble.sales.queries import SaleFilters, export_rows
from tests import factories
from tests.documents import doc, line

D = Decimal
TODAY = date(2026, 3, 15)
CM, SR = DocumentType.CREDIT_MEMO, DocumentType.SALES_RECEIPT
ACME, BETA, GAMMA = ("C1", "Acme Stores"), ("C2", "Beta Goods"), ("C3", "Gamma Gifts")


def _apply(items: dict[str, ItemLink], document) -> None:  # type: ignore[no-untyped-def]
    apply_document(ApplyContext(db.session, items), document)
    db.session.commit()


@pytest.fixture
def shop(app):  # type: ignore[no-untyped-def]
    """The scenario of the module docstring, applied through the real costing code."""
    a, b, c = factories.product("CND-A", "Candle A"), factories.product("CND-B", "Candle B"), factories.product("CND-C", "Candle C")
    factories.lot(a, "20", "5", date(2025, 1, 1))
    factories.lot(a, "10", "6", date(2025, 1, 2))
    factories.lot(b, "5", "10", date(2025, 1, 1))
    items = {
        "1": ItemLink("1", "Candle A", "Inventory", a.id, "finished_good", "Candle A"),
        "2": ItemLink("2", "Candle B", "Inventory", b.id, "finished_good", "Candle B"),
        "3": ItemLink("3", "Candle C", "Inventory", c.id, "finished_good", "Candle C"),
        "8": ItemLink("8", "Shipping", "Service"),
    }
    ids = {"a": a.id, "b": b.id, "c": c.id}
    _apply(items, doc("100", [line("1", "1", "10")], day=date(2025, 3, 31), customer=ACME))
    _apply(items, doc("101", [line("1", "1", "12")], day=date(2025, 4, 1), customer=ACME))
    _apply(items, doc("102", [line("1", "20", "400"), line("8", None, "20")], day=date(2026, 2, 3), customer=ACME))
    _apply(items, doc("103", [line("2", "4", "100")], day=date(2026, 2, 10), customer=BETA, currency="CAD", rate="0.74"))
    _apply(items, doc("104", [line("1", "2", "40")], day=date(2026, 2, 28), customer=ACME))
    _apply(items, doc("104", [line("1", "2", "40")], day=date(2026, 2, 28), customer=ACME, version="1", status=DocumentStatus.VOIDED))
    _apply(items, doc("105", [line("2", "3", "90")], day=date(2026, 3, 2), customer=ACME))
    _apply(items, doc("9", [line("1", "5", "100")], doc_type=CM, day=date(2026, 3, 10), customer=ACME))
    _apply(items, doc("10", [line("1", "0", "10")], doc_type=CM, day=date(2026, 3, 11), customer=ACME))
    _apply(items, doc("11", [line("1", "1", "30")], doc_type=SR, day=date(2026, 3, 12), customer=GAMMA))
    _apply(items, doc("107", [line("3", "1", "20")], day=date(2026, 3, 13), customer=ACME))
    deleted = find_sale(db.session, "qbo", "Invoice", "107")
    assert deleted is not None
    apply_removal(ApplyContext(db.session, items), deleted, "deleted")
    db.session.commit()
    _apply(items, doc("106", [line("3", "2", "50")], day=date(2026, 3, 14), customer=ACME))
    return ids


def by_sku(report: margins.MarginReport) -> dict[str, tuple[Decimal, ...]]:
    return {
        r.sku: (
            r.units_sold,
            r.units_returned,
            r.revenue,
            r.cost,
            r.margin,
            r.margin_percent,
            r.average_unit_cost,
            r.share_percent,
            r.shortage_quantity,
        )
        for r in report.rows
    }


def P(preset: str) -> Period:
    return preset_period(preset, TODAY)


MARGIN_CASES = [
    pytest.param(
        P("last_12_months"),
        {
            # sold, returned, revenue, cost, margin, margin %, avg unit cost, share %, shortage
            "CND-A": ("22", "5", "332", "87.5", "244.5", "73.6", "5.136364", "62.9", "0"),  # avg 113 / 22
            "CND-B": ("7", "0", "164", "70", "94", "57.3", "10", "24.2", "2"),
            "CND-C": ("2", "0", "50", "0", "50", "100.0", "0", "12.9", "2"),
        },
        ("31", "5", "546", "157.5", "388.5"),
        id="last-12-months",
    ),
    pytest.param(
        P("this_month"),
        {
            "CND-A": ("1", "5", "-80", "-19.5", "-60.5", "75.6", "6", "-122.2", "0"),  # a loss on negative revenue
            "CND-B": ("3", "0", "90", "30", "60", "66.7", "10", "121.2", "2"),
            "CND-C": ("2", "0", "50", "0", "50", "100.0", "0", "101.0", "2"),
        },
        ("6", "5", "60", "10.5", "49.5"),
        id="this-month-with-a-returning-product",
    ),
    pytest.param(
        P("last_month"),
        {
            "CND-A": ("20", "0", "400", "102", "298", "74.5", "5.1", "89.8", "0"),
            "CND-B": ("4", "0", "74", "40", "34", "45.9", "10", "10.2", "0"),
        },
        ("24", "0", "474", "142", "332"),
        id="last-month-voided-sale-left-out",
    ),
    pytest.param(
        Period("custom", date(2025, 3, 31), date(2025, 4, 1)),
        {
            "CND-A": ("2", "0", "22", "10", "12", "54.5", "5", "100.0", "0"),
        },
        ("2", "0", "22", "10", "12"),
        id="custom-range-both-days-included",
    ),
    pytest.param(Period("custom", date(2025, 5, 1), date(2026, 1, 31)), {}, ("0", "0", "0", "0", "0"), id="months-without-sales"),
]


@pytest.mark.parametrize(("period", "rows", "total"), MARGIN_CASES)
def test_margin_by_product_matches_the_hand_checked_figures(shop, period, rows, total) -> None:  # type: ignore[no-untyped-def]
    report = margins.margin_by_product(db.session, period)
    expected = {sku: tuple(D(v) for v in values) for sku, values in rows.items()}
    assert by_sku(report) == expected
    t = report.total
    assert (t.units_sold, t.units_returned, t.revenue, t.cost, t.margin) == tuple(D(v) for v in total)
    # The shipping line of INV-102 is in no total: the report and the Sales list agree.
    assert (report.sales_revenue, report.sales_cost) == (t.revenue, t.cost) and report.agrees_with_sales


def test_the_margin_total_reconciles_with_the_sales_csv_export(shop) -> None:  # type: ignore[no-untyped-def]
    period = P("last_12_months")
    exported = list(export_rows(db.session, SaleFilters(date_from=period.start, date_to=period.end)))
    counted = [row for row in exported if row[5] == "active"]
    revenue, cost, margin = (sum((D(str(row[i])) for row in counted), D(0)) for i in (6, 7, 8))
    report = margins.margin_by_product(db.session, period)
    assert len(exported) == 10 and len(counted) == 8  # the voided and the deleted sale are listed, not counted
    assert (revenue, cost, margin) == (D("546.00"), D("157.50"), D("388.50"))  # INV-102's shipping 20 is not revenue
    assert (report.sales_revenue, report.sales_cost, report.sales_count) == (revenue, cost, len(counted))
    assert (report.total.revenue, report.total.margin) == (revenue, margin)


@pytest.mark.parametrize(
    ("name", "revenue", "cost", "margin", "percent", "sales"),
    [
        ("This month", "60", "10.5", "49.5", "82.5", 5),
        ("Last month", "474", "142", "332", "70.0", 2),
        ("Last 12 months", "546", "157.5", "388.5", "71.2", 8),
    ],
)
def test_dashboard_periods_match_hand_figures_and_the_export(shop, name, revenue, cost, margin, percent, sales) -> None:  # type: ignore[no-untyped-def]
    board = dashboard.sales_dashboard(db.session, TODAY)
    chosen = next(p for p in board.periods if p.name == name)
    f = chosen.figures
    assert (f.revenue, f.cost, f.margin, f.margin_percent, f.sales) == (D(revenue), D(cost), D(margin), D(percent), sales)
    rows = [r for r in export_rows(db.session, SaleFilters(date_from=chosen.period.start, date_to=chosen.period.end)) if r[5] == "active"]
    assert (sum((D(str(r[6])) for r in rows), D(0)), sum((D(str(r[7])) for r in rows), D(0)), len(rows)) == (f.revenue, f.cost, f.sales)


def test_dashboard_counts_each_open_problem(shop) -> None:  # type: ignore[no-untyped-def]
    db.session.add_all(
        [
            FailedDocument(
                external_type="Invoice",
                external_id="500",
                code="item_not_linked",
                message="Item 'Soap' is not linked to a product",
                item_external_id="40",
                item_name="Soap",
            ),
            AccountingItem(external_id="40", name="Soap", item_type="Inventory"),  # blocks the failed invoice
            AccountingItem(external_id="41", name="Gift wrap", item_type="NonInventory"),  # unlinked, but on no document yet
            AccountingItem(external_id="42", name="Sample", item_type="Inventory", not_tracked=True),
            AccountingItem(external_id="43", name="Shipping", item_type="Service"),
            AccountingItem(external_id="44", name="Candle A", item_type="Inventory", product_id=shop["a"]),
        ]
    )
    db.session.commit()
    problems = dashboard.sales_dashboard(db.session, TODAY).problems
    assert (problems.failed_documents, problems.provisional_sales, problems.blocking_items) == (1, 2, 1)
    assert problems.total == 4


def test_open_problems_count_only_unlinked_items_that_block_a_document(shop) -> None:  # type: ignore[no-untyped-def]
    db.session.add_all(
        [
            AccountingItem(external_id="60", name="Old mould", item_type="Inventory", active=False),  # on no document
            AccountingItem(external_id="61", name="Gift box", item_type="Inventory"),
            FailedDocument(
                external_type="Invoice",
                external_id="501",
                code="item_not_linked",
                message="Item 'Gift box' is not linked to a product",
                item_external_id="61",
                item_name="Gift box",
            ),
        ]
    )
    db.session.commit()
    assert dashboard.sales_dashboard(db.session, TODAY).problems.blocking_items == 1


def test_dashboard_on_an_empty_database_has_no_sales_and_no_problems(app) -> None:  # type: ignore[no-untyped-def]
    board = dashboard.sales_dashboard(db.session, TODAY)
    assert board.has_sales is False and board.problems.total == 0
    assert [p.figures.margin_percent for p in board.periods] == [None, None, None]


def test_shortage_report_lists_active_shortfalls_per_product_with_the_cost_used(shop) -> None:  # type: ignore[no-untyped-def]
    report = shortages.shortage_report(db.session, P("all"))
    assert [(p.sku, p.sales, p.lines, p.shortage_quantity, p.shortage_cost, p.no_cost_basis_lines) for p in report.products] == [
        ("CND-B", 1, 1, D(2), D(20), 0),
        ("CND-C", 1, 1, D(2), D(0), 1),  # the deleted sale of C is not there
    ]
    assert [(l.doc_number, l.shortage_quantity, l.shortage_unit_cost, l.line_cost, l.no_cost_basis) for l in report.lines.items] == [
        ("INV-105", D(2), D(10), D(30), False),
        ("INV-106", D(2), D(0), D(0), True),
    ]
    assert report.sales == 2 == dashboard.sales_dashboard(db.session, TODAY).problems.provisional_sales


@pytest.mark.parametrize(
    ("preset", "numbers"), [("last_month", []), ("this_month", ["INV-105", "INV-106"]), ("all", ["INV-105", "INV-106"])]
)
def test_shortage_report_follows_the_period(shop, preset, numbers) -> None:  # type: ignore[no-untyped-def]
    assert [l.doc_number for l in shortages.shortage_report(db.session, P(preset)).lines.items] == numbers


def test_shortage_export_has_every_line_in_cents(shop) -> None:  # type: ignore[no-untyped-def]
    assert list(shortages.export_rows(db.session, P("all"))) == [
        ("2026-03-02", "Invoice", "INV-105", "Acme Stores", "CND-B", "Candle B", "3.0000", "2.0000", "10.000000", "20.00", "30.00", "no"),
        ("2026-03-14", "Invoice", "INV-106", "Acme Stores", "CND-C", "Candle C", "2.0000", "2.0000", "0.000000", "0.00", "0.00", "yes"),
    ]


def test_business_months_cover_every_month_and_add_up_to_the_dashboard(shop) -> None:  # type: ignore[no-untyped-def]
    first, last = monthly.last_months(TODAY)
    months = monthly.business_months(db.session, first, last)
    assert (first, last, len(months)) == (date(2025, 4, 1), date(2026, 3, 31), 12)
    busy = {m.month: (m.revenue, m.cost, m.sales) for m in months if not m.empty}
    assert busy == {
        date(2025, 4, 1): (D(12), D(5), 1),
        date(2026, 2, 1): (D(474), D(142), 2),
        date(2026, 3, 1): (D(60), D("10.5"), 5),
    }
    total = monthly.add_up(months)
    twelve = dashboard.sales_dashboard(db.session, TODAY).periods[2].figures
    assert (total.revenue, total.cost, total.sales) == (twelve.revenue, twelve.cost, twelve.sales)


def test_product_months_and_product_margin_agree(shop) -> None:  # type: ignore[no-untyped-def]
    first, last = monthly.last_months(TODAY)
    months = monthly.product_months(db.session, shop["a"], first, last)
    busy = {m.month: (m.revenue, m.cost, m.margin_percent) for m in months if not m.empty}
    assert busy == {
        date(2025, 4, 1): (D(12), D(5), D("58.3")),
        date(2026, 2, 1): (D(400), D(102), D("74.5")),
        date(2026, 3, 1): (D(-80), D("-19.5"), D("75.6")),
    }
    one = margins.product_margin(db.session, shop["a"], P("last_12_months"))
    assert one is not None and (one.revenue, one.margin) == (D(332), D("244.5")) == (
        monthly.add_up(months).revenue,
        monthly.add_up(months).margin,
    )
    assert margins.product_margin(db.session, shop["a"], Period("custom", date(2024, 1, 1), date(2024, 12, 31))) is None


@pytest.mark.parametrize(
    ("sort", "descending", "order"),
    [
        ("margin", True, ["CND-A", "CND-B", "CND-C"]),
        ("margin", False, ["CND-C", "CND-B", "CND-A"]),
        ("product", False, ["CND-A", "CND-B", "CND-C"]),
        ("avg_cost", True, ["CND-B", "CND-A", "CND-C"]),
        ("shortage", True, ["CND-B", "CND-C", "CND-A"]),  # ties keep name order
        ("returned", True, ["CND-A", "CND-B", "CND-C"]),
        ("margin_pct", False, ["CND-B", "CND-A", "CND-C"]),
        ("nonsense", True, ["CND-A", "CND-B", "CND-C"]),  # unknown column: the default, margin
    ],
)
def test_margin_rows_sort_by_any_column(shop, sort, descending, order) -> None:  # type: ignore[no-untyped-def]
    report = margins.margin_by_product(db.session, P("last_12_months"), sort, descending)
    assert [r.sku for r in report.rows] == order


def test_rows_without_a_value_sort_last_both_ways(shop) -> None:  # type: ignore[no-untyped-def]
    # Product D only has a price adjustment: no units sold, so no average unit cost.
    d = factories.product("CND-D", "Candle D")
    _apply(
        {"4": ItemLink("4", "Candle D", "Inventory", d.id, "finished_good", "Candle D")},
        doc("12", [line("4", "0", "5")], doc_type=CM, day=date(2026, 3, 1)),
    )
    for descending in (True, False):
        rows = margins.margin_by_product(db.session, P("this_month"), "avg_cost", descending).rows
        assert rows[-1].sku == "CND-D" and rows[-1].average_unit_cost is None


def test_margin_export_has_the_report_columns_in_the_report_order(shop) -> None:  # type: ignore[no-untyped-def]
    rows = list(margins.export_rows(margins.margin_by_product(db.session, P("last_12_months"), "product", False)))
    assert rows[0] == ("CND-A", "Candle A", "22.0000", "5.0000", "332.00", "87.50", "244.50", "73.6", "5.136364", "62.9", "0.0000", 0)
    assert [r[0] for r in rows] == ["CND-A", "CND-B", "CND-C"]
    assert rows[2][-1] == 1 and rows[2][7] == "100.0"


def test_a_linked_raw_material_line_has_no_product_margin_and_no_revenue(app) -> None:  # type: ignore[no-untyped-def]
    wax = factories.product("WAX", "Soy Wax", kind="raw_material")
    _apply(
        {"7": ItemLink("7", "Soy Wax", "Inventory", wax.id, "raw_material", "Soy Wax")},
        doc("1", [line("7", "2", "30")], day=date(2026, 3, 1)),
    )
    line_of_wax = db.session.scalars(select(SaleLine)).one()
    assert (line_of_wax.kind, line_of_wax.product_id) == ("skipped", wax.id)
    first, last = monthly.last_months(TODAY)
    assert all(m.empty and m.revenue == 0 for m in monthly.product_months(db.session, wax.id, first, last))
    assert margins.product_margin(db.session, wax.id, P("this_month")) is None
    report = margins.margin_by_product(db.session, P("this_month"))
    assert (report.rows, report.sales_revenue, report.sales_count) == ([], D(0), 1)
    sale = db.session.scalars(select(Sale)).one()
    assert (sale.revenue, sale.margin, sale.document_total, line_of_wax.revenue, line_of_wax.amount) == (D(0), D(0), D(30), D(0), D(30))


def test_share_of_margin_is_blank_when_the_total_margin_is_a_loss(app) -> None:  # type: ignore[no-untyped-def]
    a = factories.product("CND-A", "Candle A")
    factories.lot(a, "10", "8", date(2026, 1, 1))
    _apply(
        {"1": ItemLink("1", "Candle A", "Inventory", a.id, "finished_good", "Candle A")},
        doc("1", [line("1", "2", "10")], day=date(2026, 3, 1)),
    )
    report = margins.margin_by_product(db.session, P("this_month"))
    assert [(r.margin, r.margin_percent, r.share_percent) for r in report.rows] == [(D(-6), D("-60.0"), None)]
    assert report.total.share_percent is None


@pytest.mark.parametrize(
    ("args", "start", "end", "error"),
    [
        ({}, date(2025, 4, 1), date(2026, 3, 31), ""),
        ({"period": "this_quarter"}, date(2026, 1, 1), date(2026, 3, 31), ""),
        ({"period": "last_month"}, date(2026, 2, 1), date(2026, 2, 28), ""),
        ({"period": "custom", "from": "2026-01-05", "to": ""}, date(2026, 1, 5), None, ""),
        (
            {"period": "custom", "from": "2026-02-01", "to": "2026-01-01"},
            date(2025, 4, 1),
            date(2026, 3, 31),
            "The start date is after the end date",
        ),
        ({"period": "custom", "from": "yesterday"}, date(2025, 4, 1), date(2026, 3, 31), "'yesterday' is not a date"),
        ({"period": "fortnight"}, date(2025, 4, 1), date(2026, 3, 31), "Unknown period"),
    ],
)
def test_periods_are_calendar_ranges_and_bad_input_falls_back_with_a_reason(args, start, end, error) -> None:  # type: ignore[no-untyped-def]
    choice = periods.choose_period(args, TODAY)
    assert (choice.period.start, choice.period.end) == (start, end)
    assert choice.error.startswith(error) and bool(choice.error) is bool(error)


@pytest.mark.parametrize(
    ("day", "preset", "start", "end"),
    [
        (date(2026, 1, 31), "last_month", date(2025, 12, 1), date(2025, 12, 31)),
        (date(2024, 3, 1), "last_month", date(2024, 2, 1), date(2024, 2, 29)),
        (date(2026, 12, 31), "this_quarter", date(2026, 10, 1), date(2026, 12, 31)),
        (date(2026, 1, 1), "last_12_months", date(2025, 2, 1), date(2026, 1, 31)),
    ],
)
def test_presets_cross_year_ends_and_leap_years(day, preset, start, end) -> None:  # type: ignore[no-untyped-def]
    assert (preset_period(preset, day).start, preset_period(preset, day).end) == (start, end)


def months_of(*figures: tuple[str, str]) -> list[monthly.MonthFigures]:
    first = date(2026, 1, 1)
    return [monthly.MonthFigures(periods.add_months(first, i), D(r), D(c), 1 if (D(r) or D(c)) else 0) for i, (r, c) in enumerate(figures)]


def test_an_all_zero_chart_is_not_drawn() -> None:
    assert svg.monthly_chart(months_of(("0", "0"), ("0", "0"))) is None
    assert svg.monthly_chart([]) is None


def test_chart_bars_stand_on_the_zero_line_and_the_line_breaks_at_months_without_revenue() -> None:
    chart = svg.monthly_chart(months_of(("100", "60"), ("0", "0"), ("-50", "-20"), ("200", "250")))
    assert chart is not None
    zero = D(chart.zero_y)
    positive, negative = chart.revenue_bars[0], chart.revenue_bars[1]
    assert D(positive.y) + D(positive.height) == zero  # grows up from zero
    assert D(negative.y) == zero and D(negative.height) > 0  # a negative month hangs below it
    assert len(chart.revenue_bars) == 3 and len(chart.cost_bars) == 3  # the empty month has no bar
    assert chart.margin_path.count("M") == 2 and chart.margin_path.count("L") == 1
    assert [d.percent for d in chart.dots] == [D("40.0"), D("60.0"), D("-25.0")]
    assert chart.ticks[0].money.startswith("-$") and any(t.percent.startswith("-") for t in chart.ticks)
    assert any(t.y == chart.zero_y and t.money == "$0" and t.percent == "0%" for t in chart.ticks)
    assert all("e" not in value.lower() for bar in chart.revenue_bars for value in (bar.x, bar.y, bar.width, bar.height))


@pytest.mark.parametrize(
    ("value", "label"),
    [("0", "$0"), ("250", "$250"), ("2500", "$2.5k"), ("-7500", "-$7.5k"), ("1200000", "$1.2M"), ("0.5", "$0.5")],
)
def test_axis_money_labels_are_short(value, label) -> None:  # type: ignore[no-untyped-def]
    assert svg.compact_money(D(value), "$") == label


@pytest.mark.parametrize(("span", "step"), [("400", "100"), ("566", "200"), ("9", "2.5"), ("0.3", "0.1"), ("0", "1")])
def test_tick_steps_are_round_numbers(span, step) -> None:  # type: ignore[no-untyped-def]
    assert svg.nice_step(D(span)) == D(step)


# --- Properties: whatever the sales, the reports add up. ---------------------------------

_namespaces = itertools.count(1)
line_strategy = st.one_of(
    st.tuples(st.sampled_from(["p0", "p1"]), st.integers(-3, 12), st.integers(0, 400)),
    st.tuples(st.just("svc"), st.none(), st.integers(0, 60)),
)
doc_strategy = st.tuples(
    st.sampled_from([DocumentType.INVOICE, DocumentType.SALES_RECEIPT, DocumentType.CREDIT_MEMO]),
    st.lists(line_strategy, min_size=1, max_size=3),
    st.sampled_from(["1", "0.74", "1.25"]),
    st.integers(0, 364),
    st.booleans(),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    lots=st.lists(st.tuples(st.sampled_from(["p0", "p1"]), st.integers(1, 15), st.integers(1, 900)), max_size=3),
    documents=st.lists(doc_strategy, min_size=1, max_size=6),
)
def test_product_margins_sum_to_the_product_lines_and_the_sales_totals(app, lots, documents) -> None:  # type: ignore[no-untyped-def]
    # Each example lives in its own year with its own products, so examples never mix.
    n = next(_namespaces)
    year = date(2100 + n, 1, 1)
    made = {key: factories.product(f"H{n}-{key}", f"Hypo {n} {key}") for key in ("p0", "p1")}
    for key, quantity, cents in lots:
        factories.lot(made[key], str(quantity), str(D(cents) / 100), year)
    items = {key: ItemLink(key, p.name, "Inventory", p.id, "finished_good", p.name) for key, p in made.items()}
    items["svc"] = ItemLink("svc", "Shipping", "Service")
    for index, (kind, lines, rate, offset, void) in sorted(enumerate(documents), key=lambda e: e[1][3]):
        document = doc(
            f"h{n}-{index}",
            [line(item, None if q is None else str(q), str(amount)) for item, q, amount in lines],
            doc_type=kind,
            day=year + timedelta(days=offset),
            rate=rate,
        )
        _apply(items, document)
        if void:
            _apply(items, doc(document.id, [], doc_type=kind, day=document.txn_date, version="1", status=DocumentStatus.VOIDED))
    period = Period("custom", year, date(year.year, 12, 31))
    report = margins.margin_by_product(db.session, period)

    active = select(SaleLine).join(Sale).where(Sale.status == "active", Sale.txn_date.between(period.start, period.end))
    product_lines = [l for l in db.session.scalars(active) if l.product_id is not None and l.kind in margins.PRODUCT_LINE_KINDS]
    assert sum((r.margin for r in report.rows), D(0)) == report.total.margin == sum((l.margin for l in product_lines), D(0))
    assert sum((r.revenue for r in report.rows), D(0)) == sum((l.revenue for l in product_lines), D(0))
    assert sum((r.units_sold for r in report.rows), D(0)) == sum((l.quantity for l in product_lines if l.kind == "tracked"), D(0))

    sales = list(db.session.scalars(select(Sale).where(Sale.status == "active", Sale.txn_date.between(period.start, period.end))))
    assert report.total.cost == sum((s.cost for s in sales), D(0))
    exported = [r for r in export_rows(db.session, SaleFilters(date_from=period.start, date_to=period.end)) if r[5] == "active"]
    # Revenue is whole dollars at these rates, so exact in cents; costs may have sub-cent
    # parts, and the export rounds each sale to the cent.
    assert report.total.revenue == sum((D(str(r[6])) for r in exported), D(0))
    assert abs(report.sales_cost - sum((D(str(r[7])) for r in exported), D(0))) <= D("0.005") * len(exported)
    months = monthly.add_up(monthly.business_months(db.session, year, date(year.year, 12, 31)))
    assert (months.revenue, months.cost, months.sales) == (report.sales_revenue, report.sales_cost, len(exported))
    if report.total.margin > 0:
        shares = sum((r.share_percent or D(0) for r in report.rows), D(0))
        assert abs(shares - 100) <= D("0.05") * len(report.rows)  # each share is rounded to 0.1
