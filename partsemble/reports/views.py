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


@bp.route("/")
def index() -> str:
    first, last = last_months(periods.today())
    panel = chart_panel(business_months(first, last), "business-chart", "the business")
    return render_template("reports/index.html", panel=panel, waiting=waiting_in_failures(db.session, first, last))


@bp.route("/months.csv")
def months_csv() -> Response:
    """The months of the page's chart and table, with the same total."""
    first, last = last_months(periods.today())
    return csv_download(stream(monthly.EXPORT_HEADER, monthly.export_rows(business_months(first, last))), "margin-by-month.csv")


def _margin_report() -> tuple[margins.MarginReport, periods.PeriodChoice]:
    choice = periods.choose_period(request.args, periods.today(), default="last_12_months")
    order = margins.TABLE.parse(request.args)
    return margins.margin_by_product(choice.period, order.key, order.descending), choice


@bp.route("/margin")
def margin() -> str:
    report, choice = _margin_report()
    period_args = choice.period.query_args()
    order = margins.TABLE.query_args(Sort(report.sort, report.descending))
    return render_template(
        "reports/margin.html", report=report, choice=choice, presets=MARGIN_PERIODS, preset_labels=periods.PRESETS,
        endpoint="reports.margin", keep=order,
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
    report = shortages.shortage_report(choice.period, page_number(request.args.get("page")))
    return render_template(
        "reports/shortages.html", report=report, choice=choice, presets=SHORTAGE_PERIODS, preset_labels=periods.PRESETS,
        endpoint="reports.shortages", keep={}, period_args=choice.period.query_args(),
    )


@bp.route("/shortages.csv")
def shortages_csv() -> Response:
    return csv_download(stream(shortages.EXPORT_HEADER, shortages.export_rows(_shortage_period().period)), "shortages.csv")
