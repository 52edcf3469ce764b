"""The sandbox company's item and customer screens.

Stable selectors for browser tests:

- Items `GET /sandbox/items`: `table#items` with one `tr[data-id]` per item (inactive ones too),
  `a#new-item`, and per item `a.edit-item`.
- New item `GET|POST /sandbox/items/new`, edit `GET|POST /sandbox/items/<id>/edit`:
  `form#item-form` with `input#name`, `input#sku`, `select#type` (Inventory, NonInventory,
  Service, Group, Category), `input#unit_price`, checkbox `input#active` (value 1), `button#save`;
  errors in `ul#form-errors`.
- Customers `GET /sandbox/customers`: `table#customers` with one `tr[data-id]` per customer;
  `form#customer-form` (POST /sandbox/customers) with `input#display_name`, `input#email`,
  `button#create-customer`.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from partsemble.sandbox import entities
from partsemble.sandbox.blueprints import current_company, ui_bp
from partsemble.sandbox.company import InvalidChange
from partsemble.sandbox.forms import ItemForm
from partsemble.sandbox.namelists import ItemDraft
from partsemble.sandbox.records import ObjectNotFound
from partsemble.web.guard import requires_role

Page = str | Response | tuple[str, int]


@ui_bp.get("/items")
@requires_role("admin")
def items() -> str:
    return render_template("sandbox/items.html", items=current_company().items())


def _item_form(form: ItemForm, *, editing: str | None, errors: list[str], status: int = 200) -> tuple[str, int]:
    return render_template("sandbox/item_form.html", form=form, editing=editing, errors=errors, item_types=entities.ITEM_TYPES), status


@ui_bp.route("/items/new", methods=["GET", "POST"])
@requires_role("admin")
def new_item() -> Page:
    if request.method == "GET":
        return _item_form(ItemForm(), editing=None, errors=[])
    form = ItemForm.from_request(request.form)
    fields, errors = form.parse()
    if not errors:
        try:
            payload = current_company().create_item(ItemDraft(**fields))
            flash(f"Item {payload['Name']} created (Id {payload['Id']}).", "success")
            return redirect(url_for("sandbox.items"))
        except InvalidChange as error:
            errors.append(str(error))
    return _item_form(form, editing=None, errors=errors, status=400)


@ui_bp.route("/items/<item_id>/edit", methods=["GET", "POST"])
@requires_role("admin")
def edit_item(item_id: str) -> Page:
    company = current_company()
    payload = company.get("Item", item_id)
    if payload is None:
        abort(404)
    if request.method == "GET":
        return _item_form(ItemForm.from_payload(payload), editing=item_id, errors=[])
    form = ItemForm.from_request(request.form)
    fields, errors = form.parse()
    if not errors:
        try:
            updated = company.update_item(item_id, **fields)
            flash(f"Item {updated['Name']} saved (SyncToken {updated['SyncToken']}).", "success")
            return redirect(url_for("sandbox.items"))
        except (InvalidChange, ObjectNotFound) as error:
            errors.append(str(error))
    return _item_form(form, editing=item_id, errors=errors, status=400)


@ui_bp.route("/customers", methods=["GET", "POST"])
@requires_role("admin")
def customers() -> Page:
    company = current_company()
    errors: list[str] = []
    if request.method == "POST":
        name = request.form.get("display_name", "").strip()
        email = request.form.get("email", "").strip() or None
        if not name or len(name) > 500:
            errors.append("Display name is required (at most 500 characters).")
        else:
            payload = company.create_customer(name, email=email)
            flash(f"Customer {payload['DisplayName']} created (Id {payload['Id']}).", "success")
            return redirect(url_for("sandbox.customers"))
    page = render_template("sandbox/customers.html", customers=company.customers(), errors=errors)
    return (page, 400) if errors else page
