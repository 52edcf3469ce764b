"""Product pages: list, create, edit, archive, import, export, detail."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from partsemble.csvio import stream
from partsemble.extensions import db
from partsemble.lots import queries as stock
from partsemble.models.catalog import PRODUCT_TYPE_LABELS, Product, get_product
from partsemble.pagination import page_number
from partsemble.products import queries, services
from partsemble.products.forms import ImportForm, ProductForm
from partsemble.validation import InputError
from partsemble.web.forms import csv_download, csv_upload, show_error
from partsemble.web.guard import requires_role
from partsemble.web.params import searchable

bp = Blueprint("products", __name__, url_prefix="/products")


def _filters() -> queries.ProductFilters:
    return queries.ProductFilters(
        q=searchable(request.args.get("q", ""))[:100],
        type=request.args.get("type", ""),
        status=request.args.get("status", "active") if request.args.get("status") in ("active", "archived", "all") else "active",
    )


@bp.route("/")
def index() -> str:
    filters = _filters()
    order = queries.TABLE.parse(request.args)
    page = queries.list_products(db.session, filters, page_number(request.args.get("page")), order=order)
    figures = stock.stock_figures(db.session, [p.id for p in page.items])
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "products/index.html",
        page=page,
        figures=figures,
        filters=filters,
        args=args,
        types=PRODUCT_TYPE_LABELS,
        order=order,
        sort_links=queries.TABLE.links(order, "products.index", args),
    )


@bp.route("/export.csv")
def export() -> Response:
    order = queries.TABLE.parse(request.args)
    return csv_download(stream(queries.EXPORT_HEADER, queries.export_rows(db.session, _filters(), order)), "products.csv")


@bp.route("/new", methods=["GET", "POST"])
@requires_role("member")
def create():  # type: ignore[no-untyped-def]
    form = ProductForm()
    if form.validate_on_submit():
        try:
            product = services.create_product(
                db.session, services.parse_product(form.name.data, form.sku.data, form.type.data, form.unit.data)
            )
        except InputError as exc:
            show_error(form, exc, "name")
        else:
            flash(f"{product.name} created.", "success")
            return redirect(url_for("products.detail", product_id=product.id))
    status = 400 if request.method == "POST" else 200
    return render_template("products/form.html", form=form, product=None), status


def _product_or_404(product_id: int) -> Product:
    return get_product(db.session, product_id) or abort(404)


@bp.route("/<int:product_id>")
def detail(product_id: int) -> str:
    product = _product_or_404(product_id)
    figures = stock.stock_figures(db.session, [product.id])[product.id]
    show_closed = request.args.get("lots") == "all"
    lots = stock.product_lots(db.session, product.id, include_closed=show_closed, page=page_number(request.args.get("lots_page")))
    moves = stock.movements(db.session, product_id=product.id, page=page_number(request.args.get("page")))
    panel = queries.margin_panel(db.session, product)
    return render_template(
        "products/detail.html",
        product=product,
        figures=figures,
        lots=lots,
        moves=moves,
        show_closed=show_closed,
        lot_count=stock.count_lots(db.session, product.id),
        margin=panel.margin,
        margin_chart=panel.chart,
    )


@bp.route("/<int:product_id>/edit", methods=["GET", "POST"])
@requires_role("member")
def edit(product_id: int):  # type: ignore[no-untyped-def]
    product = _product_or_404(product_id)
    form = ProductForm(obj=product)
    if form.validate_on_submit():
        try:
            services.update_product(
                db.session, product.id, services.parse_product(form.name.data, form.sku.data, form.type.data, form.unit.data)
            )
        except InputError as exc:
            show_error(form, exc, "name")
        else:
            flash("Product saved.", "success")
            return redirect(url_for("products.detail", product_id=product.id))
    status = 400 if request.method == "POST" else 200
    return render_template("products/form.html", form=form, product=product), status


@bp.route("/<int:product_id>/archive", methods=["POST"])
@requires_role("member")
def archive(product_id: int) -> Response:
    product = services.set_active(db.session, _product_or_404(product_id).id, False)
    flash(f"{product.name} archived. Its history and stock stay; restore it any time.", "success")
    return redirect(url_for("products.detail", product_id=product_id))


@bp.route("/<int:product_id>/restore", methods=["POST"])
@requires_role("member")
def restore(product_id: int) -> Response:
    product = services.set_active(db.session, _product_or_404(product_id).id, True)
    flash(f"{product.name} restored.", "success")
    return redirect(url_for("products.detail", product_id=product_id))


@bp.route("/import", methods=["GET", "POST"])
@requires_role("member")
def import_csv():  # type: ignore[no-untyped-def]
    def run(data: bytes) -> str:
        result = services.import_products(db.session, data)
        return f"Imported: {result.created} created, {result.updated} updated, {result.linked} linked to items."

    return csv_upload(ImportForm(), "products/import.html", run, url_for("products.index"))
