"""Manual sale pages: new, edit, void."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import Form, FormField, SelectField, StringField, TextAreaField

from partsemble.domain.numbers import show_number
from partsemble.extensions import db
from partsemble.models.catalog import all_products_for_choice
from partsemble.models.sales import Sale
from partsemble.models.settings import read_preferences
from partsemble.sales import manual
from partsemble.sales.views import bp
from partsemble.validation import InputError
from partsemble.web.forms import IndexedList, options
from partsemble.web.guard import requires_role
from partsemble.web.htmx import partial
from partsemble.web.params import record_id

BLANK_ROWS = 3


class LineForm(Form):
    product_id = SelectField("Product", coerce=str, validate_choice=False)
    quantity = StringField("Quantity", render_kw={"inputmode": "decimal"})
    unit_price = StringField("Unit price", render_kw={"inputmode": "decimal"})


class ManualSaleForm(FlaskForm):
    txn_date = StringField("Date", render_kw={"type": "date"})
    reference = StringField("Reference", description="Your number for it; left empty, one is given (M-00001).")
    customer = StringField("Customer")
    notes = TextAreaField("Notes")
    lines = IndexedList(FormField(LineForm), min_entries=BLANK_ROWS, max_entries=manual.MAX_LINES)


def _form(sale: Sale | None = None) -> ManualSaleForm:
    form = ManualSaleForm()
    choices = options(
        [("", "Choose a finished good…")]
        + [(str(p.id), f"{p.name} ({p.sku})") for p in all_products_for_choice(db.session, finished_goods_only=True)]
    )
    if request.method == "GET":
        if sale is not None:
            form.txn_date.data, form.reference.data = sale.txn_date.isoformat(), sale.doc_number
            form.customer.data, form.notes.data = sale.customer_name, sale.notes
            while len(form.lines.entries):
                form.lines.pop_entry()
            # Written back with the install's decimal mark, so saving the form unchanged reads the same numbers.
            mark = read_preferences(db.session).decimal_mark
            for line in sale.lines:
                form.lines.append_entry(
                    {
                        "product_id": str(line.product_id or ""),
                        "quantity": show_number(line.quantity.normalize(), mark, grouping=False),
                        "unit_price": show_number(line.unit_price.normalize(), mark, grouping=False),
                    }
                )
            form.lines.append_entry()
        else:
            form.txn_date.data = date.today().isoformat()
    for entry in form.lines:
        entry.form.product_id.choices = choices
    return form


def _parse(form: ManualSaleForm) -> manual.ManualSaleInput:
    rows = [(e.form.product_id.data, e.form.quantity.data, e.form.unit_price.data) for e in form.lines]
    return manual.parse_manual_sale(db.session, form.txn_date.data, form.reference.data, form.customer.data, form.notes.data, rows)


def _show(form: ManualSaleForm, error: InputError) -> None:
    name = error.field or "customer"
    if name.startswith("lines-"):
        _, index, field_name = name.split("-", 2)
        if int(index) < len(form.lines.entries):
            target = getattr(form.lines.entries[int(index)].form, field_name)
            target.errors = list(target.errors) + [error.message]
            return
        name = "customer"
    target = getattr(form, name, form.customer)
    target.errors = list(target.errors) + [error.message]


@bp.route("/manual/new", methods=["GET", "POST"])
@requires_role("member")
def manual_new():  # type: ignore[no-untyped-def]
    form = _form()
    if form.validate_on_submit():
        try:
            sale = manual.create_manual_sale(db.session, _parse(form), current_user.id)
        except InputError as exc:
            _show(form, exc)
        else:
            flash(f"Manual sale {sale.doc_number} recorded and costed.", "success")
            return redirect(url_for("sales.detail", sale_id=sale.id))
    return render_template("sales/manual.html", form=form, sale=None), 400 if request.method == "POST" else 200


@bp.route("/manual/line")
@requires_role("member")
def manual_line() -> Response:
    """htmx: one more blank line row."""
    index = min(record_id(request.args.get("index")) or 0, manual.MAX_LINES - 1)
    form = _form()
    while len(form.lines.entries) <= index:
        form.lines.append_entry()
    for entry in form.lines:
        entry.form.product_id.choices = form.lines.entries[0].form.product_id.choices
    return partial("sales/_manual_line.html", entry=form.lines.entries[index], index=index)


def _manual_sale_or_404(sale_id: int) -> Sale:
    sale = manual.get_sale(db.session, sale_id)
    if sale is None or sale.source != "manual":
        abort(404)
    return sale


@bp.route("/<int:sale_id>/edit", methods=["GET", "POST"])
@requires_role("member")
def manual_edit(sale_id: int):  # type: ignore[no-untyped-def]
    sale = _manual_sale_or_404(sale_id)
    form = _form(sale)
    if form.validate_on_submit():
        try:
            manual.edit_manual_sale(db.session, sale.id, _parse(form), current_user.id)
        except InputError as exc:
            _show(form, exc)
        else:
            flash("Manual sale updated and re-costed.", "success")
            return redirect(url_for("sales.detail", sale_id=sale_id))
    return render_template("sales/manual.html", form=form, sale=sale), 400 if request.method == "POST" else 200


@bp.route("/<int:sale_id>/void", methods=["POST"])
@requires_role("member")
def manual_void(sale_id: int) -> Response:
    _manual_sale_or_404(sale_id)
    try:
        manual.void_manual_sale(db.session, sale_id, current_user.id)
    except InputError as exc:
        flash(exc.message, "error")
    else:
        flash("Manual sale voided; its lots were restored.", "success")
    return redirect(url_for("sales.detail", sale_id=sale_id))
