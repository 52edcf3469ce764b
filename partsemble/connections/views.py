"""Settings > QuickBooks connection: connect (OAuth), callback, settings, disconnect."""

from __future__ import annotations

from datetime import date

import requests
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from partsemble.connections import services
from partsemble.connections.forms import ConnectForm, ConnectionSettingsForm
from partsemble.connections.source import open_source
from partsemble.extensions import db
from partsemble.sync.errors import SyncNotStarted
from partsemble.sync.start import refresh_item_list
from partsemble.validation import InputError, parse_date
from partsemble.web.forms import show_error
from partsemble.web.guard import requires_role

bp = Blueprint("connections", __name__)

STATE_KEY = "qbo_oauth_state"
DATE_KEY = "qbo_initial_sync_date"


def redirect_uri() -> str:
    return current_app.config["QBO_REDIRECT_URI"] or url_for("connections.callback", _external=True)


def _page(connect_form: ConnectForm | None = None, settings_form: ConnectionSettingsForm | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    connection = services.current_connection(db.session)
    if settings_form is None:
        settings_form = ConnectionSettingsForm()
        if connection is not None:
            settings_form.initial_sync_date.data = connection.initial_sync_date.isoformat() if connection.initial_sync_date else ""
            settings_form.restock_credit_memos.data = connection.restock_credit_memos
    if connect_form is None:
        connect_form = ConnectForm()
        if connection is not None and connection.initial_sync_date:
            connect_form.initial_sync_date.data = connection.initial_sync_date.isoformat()
        else:
            connect_form.initial_sync_date.data = services.suggested_initial_sync_date(date.today()).isoformat()
    configured = bool(current_app.config["QBO_CLIENT_ID"] and current_app.config["QBO_CLIENT_SECRET"])
    return render_template(
        "connections/settings.html", connection=connection, connect_form=connect_form, settings_form=settings_form, configured=configured
    ), status


@bp.route("/settings/connection")
@requires_role("admin")
def settings():  # type: ignore[no-untyped-def]
    return _page()


@bp.route("/settings/connection", methods=["POST"])
@requires_role("admin")
def save_settings():  # type: ignore[no-untyped-def]
    form = ConnectionSettingsForm()
    if form.validate_on_submit():
        try:
            services.save_settings(db.session, form.initial_sync_date.data, bool(form.restock_credit_memos.data))
        except InputError as exc:
            show_error(form, exc, "initial_sync_date")
        else:
            flash("Connection settings saved.", "success")
            return redirect(url_for("connections.settings"))
    return _page(settings_form=form, status=400)


@bp.route("/connections/qbo/connect", methods=["POST"])
@requires_role("admin")
def connect():  # type: ignore[no-untyped-def]
    form = ConnectForm()
    if not form.validate_on_submit():
        return _page(connect_form=form, status=400)
    try:
        initial = parse_date(form.initial_sync_date.data, "initial_sync_date", "Initial sync date", not_after=date.today())
    except InputError as exc:
        show_error(form, exc, "initial_sync_date")
        return _page(connect_form=form, status=400)
    if not (current_app.config["QBO_CLIENT_ID"] and current_app.config["QBO_CLIENT_SECRET"]):
        flash("QuickBooks app credentials are not configured (PARTSEMBLE_QBO_CLIENT_ID and _SECRET).", "error")
        return redirect(url_for("connections.settings"))
    state = services.new_state()
    session[STATE_KEY] = state
    session[DATE_KEY] = initial.isoformat()
    return redirect(services.authorize_url(current_app.config, redirect_uri(), state))


@bp.route("/connections/qbo/callback")
@requires_role("admin")
def callback() -> Response:
    expected = session.pop(STATE_KEY, None)
    initial = session.pop(DATE_KEY, None)
    if not expected or request.args.get("state") != expected:
        flash(
            "The answer from QuickBooks did not match this browser's connection request (state mismatch). Nothing was stored; connect again.",
            "error",
        )
        return redirect(url_for("connections.settings"))
    if request.args.get("error"):
        flash("The connection was cancelled in QuickBooks. Nothing was stored.", "warning")
        return redirect(url_for("connections.settings"))
    code, realm = request.args.get("code", ""), request.args.get("realmId", "")
    if not code or not realm or not initial:
        flash("QuickBooks sent an incomplete answer. Nothing was stored; connect again.", "error")
        return redirect(url_for("connections.settings"))
    try:
        connection = services.complete_connect(
            db.session,
            current_app.config,
            requests.Session(),
            code=code,
            realm_id=realm,
            redirect_uri=redirect_uri(),
            initial_sync_date=date.fromisoformat(initial),
            user_id=current_user.id,
        )
    except services.ConnectError as exc:
        flash(str(exc), "error")
        return redirect(url_for("connections.settings"))
    _refresh_items_quietly()
    flash(f"Connected to {connection.company_name}", "success")
    return redirect(url_for("connections.settings"))


def _refresh_items_quietly() -> None:
    """Fill the accounting item list right away; when that fails, say why and where to try again."""
    try:
        refresh_item_list(db.session, current_app.config, open_source)
    except SyncNotStarted as exc:
        flash(f"Connected, but the item list could not be read yet: {exc} Refresh it on the Accounting items page.", "warning")


@bp.route("/connections/qbo/disconnect", methods=["POST"])
@requires_role("admin")
def disconnect() -> Response:
    services.disconnect(db.session, current_app.config, requests.Session())
    flash("QuickBooks disconnected. Your data is kept; connect again to sync.", "success")
    return redirect(url_for("connections.settings"))
