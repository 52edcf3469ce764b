"""Report pages: read-only, for every logged-in user (the login guard applies to them all)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from partsemble.csvio import stream
from partsemble.extensions import db
from partsemble.pagination import page_number
from partsemble.reports import margins, monthly, periods, shortages
from partsemble.reports.monthly import business_months, last_months
from partsemble.reports.svg import chart_panel
from partsemble.sync.problems import waiting_in_failures
from partsemble.web.forms import csv_download
from partsemble.web.sorting import Sort

bp = Blueprint("reports", __name__, url_prefix="/reports")

MARGIN_PERIODS = ("this_month", "last_month", "this_quarter", "last_12_months", "custom")
SHORTAGE_PERIODS = ("all", "this_month", "last_month", "this_quarter", "last_12_months", "custom")


def _month_order() -> tuple[Sort, dict[str, str]]:
    """The order of the months table, and the parameters that ask for it (none for the calendar order)."""
    order = monthly.MONTH_TABLE.parse(request.args)
    return order, (monthly.MONTH_TABLE.query_args(order) if "sort" in request.args else {})


@bp.route("/")
def index() -> str:
    first, last = last_months(periods.today())
    panel = chart_panel(business_months(db.session, first, last), "business-chart", "the business")
    order, order_args = _month_order()
    return render_template(
        "reports/index.html",
        panel=panel,
        waiting=waiting_in_failures(db.session, first, last),
        month_rows=monthly.MONTH_TABLE.sort_rows(panel.months, order, tie=lambda m: m.month),
        month_order=order_args,
        month_links=monthly.MONTH_TABLE.links(order, "reports.index", {}, anchor=f"{panel.chart_id}-data"),
    )


@bp.route("/months.csv")
def months_csv() -> Response:
    """The months of the page's chart and table, in the table's order, with the same total."""
    first, last = last_months(periods.today())
    order, _ = _month_order()
    months = monthly.MONTH_TABLE.sort_rows(business_months(db.session, first, last), order, tie=lambda m: m.month)
    return csv_download(stream(monthly.EXPORT_HEADER, monthly.export_rows(months)), "margin-by-month.csv")


def _margin_report() -> tuple[margins.MarginReport, periods.PeriodChoice]:
    choice = periods.choose_period(request.args, periods.today(), default="last_12_months")
    order = margins.TABLE.parse(request.args)
    return margins.margin_by_product(db.session, choice.period, order.key, order.descending), choice


@bp.route("/margin")
def margin() -> str:
    report, choice = _margin_report()
    period_args = choice.period.query_args()
    order = margins.TABLE.query_args(Sort(report.sort, report.descending))
    return render_template(
        "reports/margin.html",
        report=report,
        choice=choice,
        presets=MARGIN_PERIODS,
        preset_labels=periods.PRESETS,
        endpoint="reports.margin",
        keep=order,
        sort_links=margins.TABLE.links(Sort(report.sort, report.descending), "reports.margin", period_args),
        csv_args=dict(period_args, **order),
        sales_list_args=_sales_list_args(choice.period),
        waiting=waiting_in_failures(db.session, choice.period.start, choice.period.end),
    )


def _sales_list_args(period: periods.Period) -> dict[str, str]:
    """The Sales list's own filters (from, to, status) for the same dates."""
    args = {"status": "active"}
    if period.start is not None:
        args["from"] = period.start.isoformat()
    if period.end is not None:
        args["to"] = period.end.isoformat()
    return args


@bp.route("/margin.csv")
def margin_csv() -> Response:
    report, _ = _margin_report()
    return csv_download(stream(margins.EXPORT_HEADER, margins.export_rows(report)), "margin-by-product.csv")


def _shortage_period() -> periods.PeriodChoice:
    return periods.choose_period(request.args, periods.today(), default="all")


@bp.route("/shortages", endpoint="shortages")
def shortages_page() -> str:
    choice = _shortage_period()
    order, product_order = shortages.LINE_TABLE.parse(request.args), shortages.PRODUCT_TABLE.parse(request.args)
    report = shortages.shortage_report(
        db.session, choice.period, page_number(request.args.get("page")), order=order, product_order=product_order
    )
    period_args = choice.period.query_args()
    line_args, product_args = shortages.LINE_TABLE.query_args(order), shortages.PRODUCT_TABLE.query_args(product_order)
    return render_template(
        "reports/shortages.html",
        report=report,
        choice=choice,
        presets=SHORTAGE_PERIODS,
        preset_labels=periods.PRESETS,
        endpoint="reports.shortages",
        keep=dict(line_args, **product_args),
        period_args=period_args,
        line_order=order,
        # Each table's headings keep the other table's order; the pager and the CSV keep both.
        pager_args=dict(period_args, **line_args, **product_args),
        csv_args=dict(period_args, **line_args),
        line_links=shortages.LINE_TABLE.links(order, "reports.shortages", dict(period_args, **product_args), anchor="lines"),
        product_links=shortages.PRODUCT_TABLE.links(
            product_order, "reports.shortages", dict(period_args, **line_args), anchor="by-product"
        ),
    )


@bp.route("/shortages.csv")
def shortages_csv() -> Response:
    rows = shortages.export_rows(db.session, _shortage_period().period, shortages.LINE_TABLE.parse(request.args))
    return csv_download(stream(shortages.EXPORT_HEADER, rows), "shortages.csv")
