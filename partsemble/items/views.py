"""The Accounting items page: every channel's items (QuickBooks, Xero); refresh, filter, link, create
products, mark not tracked.

An item's pages are under its channel: /items/<Id> for a QuickBooks item (the addresses from before
Xero, kept) and /items/xero/<Id> for a Xero item; each rule gives the view its `source`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from partsemble.connections.source import open_source
from partsemble.extensions import db
from partsemble.items import queries, services
from partsemble.models.catalog import ITEM_SOURCES, ITEM_TYPES, AccountingItem, all_products_for_choice
from partsemble.models.sales import CHANNEL_NAMES
from partsemble.pagination import page_number
from partsemble.sync.errors import SyncNotStarted
from partsemble.sync.start import refresh_item_list, retry_waiting
from partsemble.validation import InputError
from partsemble.web.guard import requires_role
from partsemble.web.params import record_id, safe_next, searchable

bp = Blueprint("items", __name__, url_prefix="/items")
CHANNELS = {source: CHANNEL_NAMES[source] for source in ITEM_SOURCES}


def item_route(path: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Route an item's page or action for each channel: /items/<Id>... (QuickBooks, registered first, so
    url_for without a source builds it) and /items/xero/<Id>...; the view gets `source`."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.add_url_rule("/<external_id>" + path, view_func=view, defaults={"source": "qbo"}, **options)
        bp.add_url_rule("/xero/<external_id>" + path, view_func=view, defaults={"source": "xero"}, **options)
        return view

    return register


@bp.route("/")
def index() -> str:
    kind = request.args.get("filter", "all") if request.args.get("filter") in queries.FILTERS else "all"
    q, item_type = searchable(request.args.get("q", "")).strip()[:100], request.args.get("type", "")
    channel = request.args.get("channel", "") if request.args.get("channel") in CHANNELS else ""
    found = queries.item_list(db.session, kind, q, item_type, page_number(request.args.get("page")), channel)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "items/index.html",
        page=found.page,
        kind=kind,
        q=q,
        item_type=item_type,
        channel=channel,
        channels=CHANNELS,
        filters=queries.FILTERS,
        counts=found.counts,
        waiting=found.waiting,
        types=ITEM_TYPES,
        args=args,
    )


@bp.route("/refresh", methods=["POST"])
@requires_role("member")
def refresh() -> Response:
    """Read the item list of each connected channel; one channel failing leaves the others' refresh done."""
    for channel in queries.channels_to_refresh(db.session):
        try:
            result = refresh_item_list(db.session, current_app.config, open_source, channel=channel)
        except SyncNotStarted as exc:
            flash(str(exc), exc.level)
        else:
            flash(
                f"{CHANNELS[channel]} item list refreshed: {result.total} items, {result.added} new, {result.changed} changed.",
                "success",
            )
    return redirect(url_for("items.index"))


def _item_or_404(source: str, external_id: str) -> AccountingItem:
    return services.get_item(db.session, source, external_id) or abort(404)


def _detail(item: AccountingItem, error: str | None = None, waiting: bool = True, chosen: int | None = None) -> str:
    return render_template(
        "items/detail.html",
        item=item,
        suggestions=services.suggestions(db.session, item),
        waiting=queries.waiting_documents(db.session, item) if waiting else [],
        products=all_products_for_choice(db.session),
        error=error,
        chosen=chosen,
    )


@item_route("")
def detail(source: str, external_id: str) -> str:
    return _detail(_item_or_404(source, external_id))


def _retry_waiting(external_ids: list[str], source: str) -> None:
    """Documents that failed on these items of a channel are retried at once, in one sync run; the outcome is flashed."""
    try:
        summary = retry_waiting(
            db.session,
            current_app.config,
            open_source,
            external_ids,
            user_id=current_user.id,
            user_email=current_user.email,
            channel=source,
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


def _after(item: AccountingItem, message: str) -> Response:
    flash(message, "success")
    _retry_waiting([item.external_id], item.source)
    target = safe_next(request.form.get("next"))
    return redirect(target or url_for("items.detail", source=item.source, external_id=item.external_id))


def _back_to(item: AccountingItem) -> Response:
    return redirect(url_for("items.detail", source=item.source, external_id=item.external_id))


@item_route("/link", methods=["POST"])
@requires_role("member")
def link(source: str, external_id: str):  # type: ignore[no-untyped-def]
    item = _item_or_404(source, external_id)
    product_id = record_id(request.form.get("product_id"))
    try:
        if product_id is None:
            raise InputError("Choose a product.", "product_id")
        services.link_item(db.session, source, external_id, product_id)
    except InputError as exc:
        return _detail(item, exc.message, waiting=False, chosen=product_id), 400
    product = queries.get_product(db.session, product_id)
    return _after(item, f"'{item.name}' is linked to {product.name if product else 'the product'}.")


@item_route("/unlink", methods=["POST"])
@requires_role("member")
def unlink(source: str, external_id: str) -> Response:
    item = services.unlink_item(db.session, source, _item_or_404(source, external_id).external_id)
    flash(f"'{item.name}' is no longer linked. Sales already costed keep their figures.", "success")
    return _back_to(item)


@item_route("/create-product", methods=["POST"])
@requires_role("member")
def create_product(source: str, external_id: str) -> Response:
    item = _item_or_404(source, external_id)
    kind = request.form.get("type", "finished_good")
    try:
        product = services.create_product_from(db.session, source, external_id, kind)
    except InputError as exc:
        flash(exc.message, "error")
        return _back_to(item)
    return _after(item, f"{product.name} created as a {product.type_label.lower()} and linked.")


@item_route("/not-tracked", methods=["POST"])
@requires_role("member")
def mark_not_tracked(source: str, external_id: str) -> Response:
    item = services.set_not_tracked(db.session, source, _item_or_404(source, external_id).external_id, True)
    return _after(item, f"'{item.name}' is not tracked: its lines are skipped by the sync.")


@item_route("/tracked", methods=["POST"])
@requires_role("member")
def mark_tracked(source: str, external_id: str) -> Response:
    item = services.set_not_tracked(db.session, source, _item_or_404(source, external_id).external_id, False)
    flash(f"'{item.name}' is tracked again.", "success")
    return _back_to(item)


def _chosen_item(value: str) -> tuple[str, str]:
    """A ticked item: "xero:<Id>" for a Xero item, "<Id>" or "qbo:<Id>" for a QuickBooks one."""
    source, colon, external_id = value.partition(":")
    return (source, external_id) if colon and source in ITEM_SOURCES else ("qbo", value)


@bp.route("/bulk-create", methods=["POST"])
@requires_role("member")
def bulk_create() -> Response:
    chosen = [_chosen_item(i) for i in request.form.getlist("item") if i][:500]
    if not chosen:
        flash("Select the items to create finished goods from.", "warning")
        return redirect(url_for("items.index", filter="unlinked"))
    try:
        created = services.create_products_from(db.session, chosen)
    except InputError as exc:
        flash(f"Nothing was created. {exc.message}", "error")
        return redirect(url_for("items.index", filter="unlinked"))
    flash(f"{created} finished good{'s' if created != 1 else ''} created and linked.", "success")
    for source in dict.fromkeys(source for source, _external_id in chosen):  # one run per channel
        _retry_waiting([external_id for item_source, external_id in chosen if item_source == source], source)
    return redirect(url_for("items.index"))
