"""The Sales tab: the dashboard, the sync panel, the filtered sales list and export, a sale's detail, sync history."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, render_template, request

from partsemble.csvio import stream
from partsemble.extensions import db
from partsemble.models.catalog import all_products_for_choice
from partsemble.models.sales import CHANNEL_NAMES, SALE_STATUSES, SALE_TYPE_LABELS
from partsemble.pagination import page_number
from partsemble.sales import queries
from partsemble.sales.dashboard import sales_dashboard
from partsemble.sales.panel import sync_panel
from partsemble.sync.summary import summarize
from partsemble.web.forms import csv_download
from partsemble.web.htmx import page_or_partial, partial
from partsemble.web.params import record_id, searchable

bp = Blueprint("sales", __name__, url_prefix="/sales")


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def filters_from_request() -> queries.SaleFilters:
    return queries.SaleFilters(
        date_from=_day("from"),
        date_to=_day("to"),
        type=request.args.get("type", ""),
        status=request.args.get("status", ""),
        customer=searchable(request.args.get("customer", "")),
        product_id=record_id(request.args.get("product")),
        channel=request.args.get("channel", ""),
    ).clean()


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    filters = filters_from_request()
    order = queries.TABLE.parse(request.args)
    page = queries.list_sales(db.session, filters, page_number(request.args.get("page")), order=order)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    context = dict(
        page=page,
        filters=filters,
        args=args,
        totals=queries.totals(db.session, filters),
        types=SALE_TYPE_LABELS,
        sort_links=queries.TABLE.links(order, "sales.index", args),
        order=order,
        filtered=any(k not in ("sort", "dir") for k in args),
        statuses=SALE_STATUSES,
        channels=CHANNEL_NAMES,
        products=all_products_for_choice(db.session, finished_goods_only=True, include_archived=True),
    )
    if request.headers.get("HX-Target") == "sales-table":
        return page_or_partial("sales/index.html", "sales/_table.html", **context)
    return render_template("sales/index.html", panel=sync_panel(db.session), dashboard=sales_dashboard(db.session), **context)


@bp.route("/dashboard")
def dashboard():  # type: ignore[no-untyped-def]
    """htmx: the dashboard again, after a sync changed the sales."""
    return partial("sales/_dashboard.html", dashboard=sales_dashboard(db.session))


@bp.route("/export.csv")
def export():  # type: ignore[no-untyped-def]
    order = queries.TABLE.parse(request.args)
    return csv_download(stream(queries.EXPORT_HEADER, queries.export_rows(db.session, filters_from_request(), order)), "sales.csv")


@bp.route("/<int:sale_id>")
def detail(sale_id: int) -> str:
    sale = queries.sale_detail(db.session, sale_id) or abort(404)
    ledger = queries.ledger_rows(db.session, sale.id)
    return render_template("sales/detail.html", sale=sale, ledger=ledger, qbo_link=_qbo_link(sale))


def _qbo_link(sale) -> str | None:  # type: ignore[no-untyped-def]
    if sale.source != "qbo":
        return None
    base = current_app.config["QBO_APP_URL"].rstrip("/")
    return f"{base}/{sale.external_type.lower()}?txnId={sale.external_id}"


@bp.route("/runs")
def runs() -> str:
    page = queries.list_runs(db.session, page_number(request.args.get("page")))
    return render_template("sales/runs.html", page=page)


@bp.route("/runs/<int:run_id>")
def run_detail(run_id: int) -> str:
    if not queries.run_exists(db.session, run_id):
        abort(404)
    return render_template("sales/run.html", summary=summarize(db.session, run_id))
