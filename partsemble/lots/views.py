"""Lot pages: list, receive, import, export, detail, adjust, void."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from partsemble.csvio import stream
from partsemble.domain.numbers import show_number
from partsemble.extensions import db
from partsemble.lots import queries, services
from partsemble.lots.forms import AdjustLotForm, ImportLotsForm, ReceiveLotForm
from partsemble.models.catalog import all_products_for_choice, get_product
from partsemble.models.inventory import LOT_SOURCES, LOT_STATUSES, Lot
from partsemble.models.settings import read_preferences
from partsemble.pagination import page_number
from partsemble.validation import InputError
from partsemble.web.forms import csv_download, csv_upload, options, show_error
from partsemble.web.guard import requires_role
from partsemble.web.htmx import partial
from partsemble.web.params import record_id, searchable

bp = Blueprint("lots", __name__, url_prefix="/lots")


def _filters() -> queries.LotFilters:
    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return None

    return queries.LotFilters(
        q=searchable(request.args.get("q", ""))[:100],
        product_id=record_id(request.args.get("product_id")),
        status=request.args.get("status", "") if request.args.get("status") in LOT_STATUSES else "",
        source=request.args.get("source", "") if request.args.get("source") in LOT_SOURCES else "",
        received_from=day("from"),
        received_to=day("to"),
    )


@bp.route("/")
def index() -> str:
    filters = _filters()
    order = queries.LOT_TABLE.parse(request.args)
    page = queries.list_lots(db.session, filters, page_number(request.args.get("page")), order=order)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "lots/index.html",
        page=page,
        filters=filters,
        args=args,
        statuses=LOT_STATUSES,
        sources=LOT_SOURCES,
        products=all_products_for_choice(db.session, include_archived=True),
        order=order,
        sort_links=queries.LOT_TABLE.links(order, "lots.index", args),
        filtered=any(k not in ("sort", "dir") and v for k, v in args.items()),
    )


@bp.route("/export.csv")
def export() -> Response:
    return csv_download(
        stream(queries.EXPORT_HEADER, queries.export_rows(db.session, _filters(), queries.LOT_TABLE.parse(request.args))), "lots.csv"
    )


def _receive_form() -> ReceiveLotForm:
    form = ReceiveLotForm()
    form.product_id.choices = options(
        [(0, "Choose a product…")] + [(p.id, f"{p.name} ({p.sku})") for p in all_products_for_choice(db.session)]
    )
    return form


@bp.route("/receive", methods=["GET", "POST"])
@requires_role("member")
def receive():  # type: ignore[no-untyped-def]
    form = _receive_form()
    if request.method == "GET":
        form.product_id.data = record_id(request.args.get("product_id")) or 0
        form.received_date.data = services.today().isoformat()
        product = get_product(db.session, form.product_id.data) if form.product_id.data else None
        if product is not None:
            form.lot_number.data = services.suggest_lot_number(db.session, product, services.today())
        return render_template("lots/receive.html", form=form)
    if form.validate_on_submit():
        try:
            number, received, quantity, cost, source, note = services.parse_lot_fields(
                db.session,
                form.lot_number.data,
                form.received_date.data,
                form.quantity.data,
                form.unit_cost.data,
                form.source.data,
                form.note.data,
            )
            lot = services.receive_lot(
                db.session, services.LotInput(form.product_id.data or 0, number, received, quantity, cost, source, note), current_user.id
            )
        except InputError as exc:
            show_error(form, exc, "product_id")
        else:
            shown = show_number(lot.quantity_received.normalize(), read_preferences(db.session).decimal_mark)
            flash(f"Lot {lot.lot_number} received: {shown} {lot.product.unit}.", "success")
            return redirect(url_for("lots.detail", lot_id=lot.id))
    return render_template("lots/receive.html", form=form), 400


@bp.route("/suggest-number")
@requires_role("member")
def suggest_number() -> Response:
    """htmx: the lot number field, refilled for the chosen product and date."""
    form = _receive_form()
    product_id = record_id(request.args.get("product_id"))
    product = get_product(db.session, product_id) if product_id is not None else None
    try:
        received = date.fromisoformat(request.args.get("received_date", ""))
    except ValueError:
        received = services.today()
    form.lot_number.data = (
        services.suggest_lot_number(db.session, product, received) if product else request.args.get("lot_number", "")[:80]
    )
    return partial("lots/_lot_number.html", form=form)


def _lot_or_404(lot_id: int) -> Lot:
    return queries.get_lot(db.session, lot_id) or abort(404)


@bp.route("/<int:lot_id>")
def detail(lot_id: int) -> str:
    lot = _lot_or_404(lot_id)
    return _render_detail(lot, AdjustLotForm())


def _render_detail(lot: Lot, adjust_form: AdjustLotForm, status: int = 200):  # type: ignore[no-untyped-def]
    from partsemble.lots.trace import lot_trace

    moves = queries.movements(db.session, lot_id=lot.id, page=page_number(request.args.get("page")))
    return render_template(
        "lots/detail.html",
        lot=lot,
        moves=moves,
        form=adjust_form,
        trace=lot_trace(db.session, lot.id),
        void_refusal=services.why_not_voidable(db.session, lot),
    ), status


@bp.route("/<int:lot_id>/adjust", methods=["POST"])
@requires_role("member")
def adjust(lot_id: int):  # type: ignore[no-untyped-def]
    lot = _lot_or_404(lot_id)
    form = AdjustLotForm()
    if form.validate_on_submit():
        try:
            services.adjust_lot(
                db.session, lot.id, form.delta.data, form.reason.data or "", form.note.data or "", current_user.id, form.adjusted_on.data
            )
        except InputError as exc:
            show_error(form, exc, "delta")
        else:
            flash("Lot adjusted.", "success")
            return redirect(url_for("lots.detail", lot_id=lot_id))
    return _render_detail(_lot_or_404(lot_id), form, 400)


@bp.route("/<int:lot_id>/void", methods=["POST"])
@requires_role("member")
def void(lot_id: int) -> Response:
    _lot_or_404(lot_id)
    try:
        lot = services.void_lot(db.session, lot_id, current_user.id)
    except InputError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Lot {lot.lot_number} voided; its stock was reversed.", "success")
    return redirect(url_for("lots.detail", lot_id=lot_id))


@bp.route("/import", methods=["GET", "POST"])
@requires_role("member")
def import_csv():  # type: ignore[no-untyped-def]
    def run(data: bytes) -> str:
        lots = services.import_lots(db.session, data, current_user.id)
        return f"{len(lots)} lot{'s' if len(lots) != 1 else ''} received."

    return csv_upload(ImportLotsForm(), "lots/import.html", run, url_for("lots.index"))


@bp.route("/<int:lot_id>/customers.csv")
def customers_csv(lot_id: int) -> Response:
    from partsemble.lots.trace import customer_rows

    lot = _lot_or_404(lot_id)
    header = ("customer", "quantity", "sales", "first_date", "last_date")
    return csv_download(stream(header, customer_rows(db.session, lot.id)), f"lot-{lot.id}-customers.csv")
