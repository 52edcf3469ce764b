"""The sandbox company's own screens for documents: list, view, create, edit, void, delete.

Stable selectors for browser tests:

- Home `GET /sandbox/`: `form#seed-form` with `button#seed-demo` (shown while the company is empty).
- List `GET /sandbox/documents?type=&state=&system=&page=`: `form#document-filters` with `select#type`
  (name `type`: "", Invoice, SalesReceipt, CreditMemo), `select#state` (name `state`: all, active,
  voided, deleted), `select#system` (name `system`: "", qbo, xero), `button#filter`;
  `table#documents` with one `tr[data-entity][data-id][data-system]` per document, its state in
  `td.state`, its system in `td.system`, and `form.move-form` (POST .../move, hidden `system`: the
  other one) with `button.move-document`; `a#new-document`; paging `a[rel=prev]`, `a[rel=next]`.
- Move `POST /sandbox/documents/<Entity>/<id>/move` (field `system`: qbo or xero): back to the list.
- New `GET|POST /sandbox/documents/new?type=Invoice` and edit
  `GET|POST /sandbox/documents/<Entity>/<id>/edit`: `form#document-form` with `select#entity`
  (name `entity`, new only), `select#customer_id`, `input#txn_date`, `input#doc_number`,
  `input#private_note`, and per line i (0-based): `select#line-i-item`, `input#line-i-qty`,
  `input#line-i-unit_price` (blank: the item's price), `input#line-i-description`,
  `input#line-i-amount` (blank: qty x price); `button#save`; errors in `ul#form-errors`.
- Detail `GET /sandbox/documents/<Entity>/<id>`: `a#edit-document`, `form#void-form` with
  `button#void`, `a#delete-document`, the stored JSON in `pre#payload`, state in `#document-state`.
- Delete `GET|POST /sandbox/documents/<Entity>/<id>/delete`: `form#delete-form` with
  `button#confirm-delete`, and `a#cancel-delete`.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from partsemble.sandbox import entities, jsontext
from partsemble.sandbox.blueprints import current_company, ui_bp
from partsemble.sandbox.clock import local_date, now_us
from partsemble.sandbox.company import InvalidChange, SandboxCompany
from partsemble.sandbox.forms import DocumentForm
from partsemble.sandbox.listing import STATES, document_page
from partsemble.sandbox.records import ObjectNotFound
from partsemble.sandbox.seed import CompanyNotEmpty
from partsemble.sandbox.xero.schema import SYSTEMS
from partsemble.web.guard import requires_role

Page = str | Response | tuple[str, int]
SYSTEM_NAMES = {"qbo": "QuickBooks", "xero": "Xero"}


def _transaction(name: str) -> str:
    entity = entities.canonical(name)
    if entity not in entities.TRANSACTIONS:
        abort(404)
    return entity


def _choices(company: SandboxCompany) -> dict[str, object]:
    catalog = company.catalog()
    items = sorted((i for i in catalog.items.values() if i.get("Type") != "Category"), key=lambda i: int(i["Id"]))
    customers = sorted(catalog.customers.values(), key=lambda c: int(c["Id"]))
    return {"items": items, "customers": customers, "entity_names": entities.TRANSACTIONS}


@ui_bp.get("/")
@requires_role("admin")
def home() -> str:
    company = current_company()
    counts = {entity: company.count(entity) for entity in entities.ENTITIES}
    realm_id = company.realm_id
    api_base = url_for("sandbox_api.query", realm=realm_id, _external=True).rsplit("/company/", 1)[0]
    return render_template(
        "sandbox/index.html", company_name=company.name, realm_id=realm_id, counts=counts, empty=not any(counts.values()), api_base=api_base
    )


@ui_bp.post("/seed-demo")
@requires_role("admin")
def seed_demo() -> Response:
    try:
        summary = current_company().seed_demo(local_date(now_us()))
        flash(
            f"Demo company seeded: {sum(summary.documents.values())} documents."
            if summary.created
            else "The demo company was already seeded.",
            "success",
        )
    except CompanyNotEmpty as error:
        flash(str(error), "error")
    return redirect(url_for("sandbox.home"))


@ui_bp.get("/documents")
@requires_role("admin")
def documents() -> str:
    entity = entities.canonical(request.args.get("type", "")) or None
    state = request.args.get("state", "all")
    state = state if state in STATES else "all"
    system = request.args.get("system", "")
    system = system if system in SYSTEMS else ""
    page = document_page(current_company(), entity=entity, state=state, page=request.args.get("page", 1, type=int), system=system or None)
    return render_template(
        "sandbox/documents.html",
        listing=page,
        entity=entity or "",
        state=state,
        states=STATES,
        entity_names=entities.TRANSACTIONS,
        system=system,
        systems=SYSTEMS,
        system_names=SYSTEM_NAMES,
    )


@ui_bp.post("/documents/<entity>/<doc_id>/move")
@requires_role("admin")
def move_document(entity: str, doc_id: str) -> Response:
    """Move a document to the other accounting system (QuickBooks or Xero)."""
    entity = _transaction(entity)
    system = request.form.get("system", "")
    try:
        current_company().move_document(entity, doc_id, system)
        flash(f"{entity} {doc_id} now lives in {SYSTEM_NAMES.get(system, system)}.", "success")
    except ObjectNotFound:
        abort(404)
    except InvalidChange as error:
        flash(str(error), "error")
    return redirect(url_for("sandbox.documents", type=request.form.get("type", ""), state=request.form.get("state", "all")))


def _document_form(form: DocumentForm, *, editing: str | None, errors: list[str], status: int = 200) -> tuple[str, int]:
    page = render_template("sandbox/document_form.html", form=form, editing=editing, errors=errors, **_choices(current_company()))
    return page, status


@ui_bp.route("/documents/new", methods=["GET", "POST"])
@requires_role("admin")
def new_document() -> Page:
    if request.method == "GET":
        entity = entities.canonical(request.args.get("type", "")) or "Invoice"
        return _document_form(DocumentForm.blank(entity, local_date(now_us())), editing=None, errors=[])
    form = DocumentForm.from_request(entities.canonical(request.form.get("entity", "")) or "", request.form)
    fields, errors = form.parse()
    if not errors:
        try:
            payload = current_company().create_document(form.entity, **fields)
            flash(f"{form.entity} {payload['DocNumber']} created (Id {payload['Id']}).", "success")
            return redirect(url_for("sandbox.document", entity=form.entity, doc_id=payload["Id"]))
        except InvalidChange as error:
            errors.append(str(error))
    return _document_form(form, editing=None, errors=errors, status=400)


@ui_bp.get("/documents/<entity>/<doc_id>")
@requires_role("admin")
def document(entity: str, doc_id: str) -> str:
    entity = _transaction(entity)
    company = current_company()
    payload = company.get(entity, doc_id)
    if payload is None:
        abort(404)
    return render_template(
        "sandbox/document.html",
        entity=entity,
        doc=payload,
        state=company.state(entity, doc_id),
        payload_text=jsontext.dumps(payload, indent=2),
    )


@ui_bp.route("/documents/<entity>/<doc_id>/edit", methods=["GET", "POST"])
@requires_role("admin")
def edit_document(entity: str, doc_id: str) -> Page:
    entity = _transaction(entity)
    company = current_company()
    payload = company.get(entity, doc_id)
    if payload is None:
        abort(404)
    if company.state(entity, doc_id) != "active":
        flash(f"A {company.state(entity, doc_id)} document cannot be edited.", "error")
        return redirect(url_for("sandbox.document", entity=entity, doc_id=doc_id))
    if request.method == "GET":
        return _document_form(DocumentForm.from_payload(entity, payload), editing=doc_id, errors=[])
    form = DocumentForm.from_request(entity, request.form)
    fields, errors = form.parse()
    if not errors:
        try:
            updated = company.update_document(entity, doc_id, **fields)
            flash(f"{entity} {updated.get('DocNumber', doc_id)} saved (SyncToken {updated['SyncToken']}).", "success")
            return redirect(url_for("sandbox.document", entity=entity, doc_id=doc_id))
        except InvalidChange as error:
            errors.append(str(error))
    return _document_form(form, editing=doc_id, errors=errors, status=400)


@ui_bp.post("/documents/<entity>/<doc_id>/void")
@requires_role("admin")
def void_document(entity: str, doc_id: str) -> Response:
    entity = _transaction(entity)
    try:
        current_company().void_document(entity, doc_id)
        flash(f"{entity} {doc_id} voided.", "success")
    except ObjectNotFound:
        abort(404)
    except InvalidChange as error:
        flash(str(error), "error")
    return redirect(url_for("sandbox.document", entity=entity, doc_id=doc_id))


@ui_bp.route("/documents/<entity>/<doc_id>/delete", methods=["GET", "POST"])
@requires_role("admin")
def delete_document(entity: str, doc_id: str) -> Page:
    entity = _transaction(entity)
    company = current_company()
    payload = company.get(entity, doc_id)
    if payload is None:
        abort(404)
    if request.method == "GET":
        return render_template("sandbox/confirm_delete.html", entity=entity, doc=payload, state=company.state(entity, doc_id))
    try:
        company.delete_document(entity, doc_id)
        flash(f"{entity} {doc_id} deleted.", "success")
    except InvalidChange as error:
        flash(str(error), "error")
    return redirect(url_for("sandbox.documents", type=entity))


@ui_bp.get("/app/<path_name>")
@requires_role("admin")
def app_link(path_name: str) -> Response:
    """QBO's web links look like /app/invoice?txnId=123; the sandbox answers them with the document page."""
    entity = _transaction(path_name)
    return redirect(url_for("sandbox.document", entity=entity, doc_id=request.args.get("txnId", "")))
