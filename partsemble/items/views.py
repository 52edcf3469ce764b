"""The Accounting items page: refresh, filter, link, create products, mark not tracked."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from partsemble.connections.source import open_source
from partsemble.extensions import db
from partsemble.items import queries, services
from partsemble.models.catalog import ITEM_TYPES, AccountingItem, all_products_for_choice
from partsemble.pagination import page_number
from partsemble.sync.errors import SyncNotStarted
from partsemble.sync.start import refresh_item_list, retry_waiting
from partsemble.validation import InputError
from partsemble.web.guard import requires_role
from partsemble.web.params import record_id, safe_next, searchable

bp = Blueprint("items", __name__, url_prefix="/items")


@bp.route("/")
def index() -> str:
    kind = request.args.get("filter", "all") if request.args.get("filter") in queries.FILTERS else "all"
    q, item_type = searchable(request.args.get("q", "")).strip()[:100], request.args.get("type", "")
    found = queries.item_list(db.session, kind, q, item_type, page_number(request.args.get("page")))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "items/index.html",
        page=found.page,
        kind=kind,
        q=q,
        item_type=item_type,
        filters=queries.FILTERS,
        counts=found.counts,
        waiting=found.waiting,
        types=ITEM_TYPES,
        args=args,
    )


@bp.route("/refresh", methods=["POST"])
@requires_role("member")
def refresh() -> Response:
    try:
        result = refresh_item_list(db.session, current_app.config, open_source)
    except SyncNotStarted as exc:
        flash(str(exc), exc.level)
    else:
        flash(f"Item list refreshed: {result.total} items, {result.added} new, {result.changed} changed.", "success")
    return redirect(url_for("items.index"))


def _item_or_404(external_id: str) -> AccountingItem:
    return services.get_item(db.session, external_id) or abort(404)


@bp.route("/<external_id>")
def detail(external_id: str) -> str:
    item = _item_or_404(external_id)
    waiting = queries.waiting_documents(db.session, external_id)
    return render_template(
        "items/detail.html",
        item=item,
        suggestions=services.suggestions(db.session, item),
        waiting=waiting,
        products=all_products_for_choice(db.session),
        error=None,
    )


def _retry_waiting(external_ids: list[str]) -> None:
    """Documents that failed on these items are retried at once, in one sync run; the outcome is flashed."""
    try:
        summary = retry_waiting(
            db.session, current_app.config, open_source, external_ids, user_id=current_user.id, user_email=current_user.email
        )
    except SyncNotStarted as exc:
        flash(f"The waiting documents were not retried: {exc} The next sync retries them.", "warning")
        return
    if summary is None:
        return
    done = summary.created + summary.updated + summary.voided
    if summary.outcome != "succeeded":
        flash(f"Retrying the waiting documents stopped: {summary.message}", "error")
    elif summary.errors:
        flash(f"Retried the waiting documents: {done} applied, {summary.errors} still failing (see Sales).", "warning")
    else:
        flash(f"Retried the waiting documents: {done} applied.", "success")


def _after(external_id: str, message: str) -> Response:
    flash(message, "success")
    _retry_waiting([external_id])
    target = safe_next(request.form.get("next"))
    return redirect(target or url_for("items.detail", external_id=external_id))


@bp.route("/<external_id>/link", methods=["POST"])
@requires_role("member")
def link(external_id: str):  # type: ignore[no-untyped-def]
    item = _item_or_404(external_id)
    product_id = record_id(request.form.get("product_id"))
    try:
        if product_id is None:
            raise InputError("Choose a product.", "product_id")
        services.link_item(db.session, external_id, product_id)
    except InputError as exc:
        return render_template(
            "items/detail.html",
            item=item,
            suggestions=services.suggestions(db.session, item),
            waiting=[],
            products=all_products_for_choice(db.session),
            error=exc.message,
        ), 400
    product = queries.get_product(db.session, product_id)
    return _after(external_id, f"'{item.name}' is linked to {product.name if product else 'the product'}.")


@bp.route("/<external_id>/unlink", methods=["POST"])
@requires_role("member")
def unlink(external_id: str) -> Response:
    item = services.unlink_item(db.session, _item_or_404(external_id).external_id)
    flash(f"'{item.name}' is no longer linked. Sales already costed keep their figures.", "success")
    return redirect(url_for("items.detail", external_id=external_id))


@bp.route("/<external_id>/create-product", methods=["POST"])
@requires_role("member")
def create_product(external_id: str) -> Response:
    _item_or_404(external_id)
    kind = request.form.get("type", "finished_good")
    try:
        product = services.create_product_from(db.session, external_id, kind)
    except InputError as exc:
        flash(exc.message, "error")
        return redirect(url_for("items.detail", external_id=external_id))
    return _after(external_id, f"{product.name} created as a {product.type_label.lower()} and linked.")


@bp.route("/<external_id>/not-tracked", methods=["POST"])
@requires_role("member")
def mark_not_tracked(external_id: str) -> Response:
    item = services.set_not_tracked(db.session, _item_or_404(external_id).external_id, True)
    return _after(external_id, f"'{item.name}' is not tracked: its lines are skipped by the sync.")


@bp.route("/<external_id>/tracked", methods=["POST"])
@requires_role("member")
def mark_tracked(external_id: str) -> Response:
    item = services.set_not_tracked(db.session, _item_or_404(external_id).external_id, False)
    flash(f"'{item.name}' is tracked again.", "success")
    return redirect(url_for("items.detail", external_id=external_id))


@bp.route("/bulk-create", methods=["POST"])
@requires_role("member")
def bulk_create() -> Response:
    chosen = [i for i in request.form.getlist("item") if i][:500]
    if not chosen:
        flash("Select the items to create finished goods from.", "warning")
        return redirect(url_for("items.index", filter="unlinked"))
    try:
        created = services.create_products_from(db.session, chosen)
    except InputError as exc:
        flash(f"Nothing was created. {exc.message}", "error")
        return redirect(url_for("items.index", filter="unlinked"))
    flash(f"{created} finished good{'s' if created != 1 else ''} created and linked.", "success")
    _retry_waiting(chosen)
    return redirect(url_for("items.index"))
