"""Settings > Connections: connect QuickBooks or Xero (OAuth), the callbacks, Xero's organisation choice,
settings, disconnect."""

from __future__ import annotations

from datetime import date

import requests
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from partsemble.connections import channels, providers, services, xero_connect
from partsemble.connections.forms import ChannelForm, ChooseOrganisationForm, ConnectForm, ConnectionSettingsForm
from partsemble.connections.providers import PROVIDERS, XERO, Provider
from partsemble.connections.source import open_source
from partsemble.extensions import db
from partsemble.models.sync import Connection
from partsemble.sync.errors import SyncNotStarted
from partsemble.sync.start import refresh_item_list
from partsemble.validation import InputError, parse_date
from partsemble.web.forms import show_error
from partsemble.web.guard import requires_role

bp = Blueprint("connections", __name__)

PROVIDER = "any(qbo, xero)"
CALLBACKS = {"qbo": "connections.callback", "xero": "connections.xero_callback"}
AUTHORIZE_URLS = {"qbo": services.authorize_url, "xero": xero_connect.authorize_url}
XERO_GRANT_KEY = "xero_pending_grant"
# Both connect forms are on one page: Xero's fields carry a prefix (QuickBooks' kept their names).
FORM_PREFIXES = {"qbo": "", "xero": "xero"}
FORM_ARGUMENTS = {"qbo": "connect_form", "xero": "xero_form"}
SETTINGS_PREFIXES = {"qbo": "", "xero": "xero-settings"}
SETTINGS_ARGUMENTS = {"qbo": "settings_form", "xero": "xero_settings_form"}


def state_key(provider: Provider) -> str:
    return f"{provider.key}_oauth_state"


def date_key(provider: Provider) -> str:
    return f"{provider.key}_initial_sync_date"


def redirect_uri(provider: Provider = PROVIDERS["qbo"]) -> str:
    return provider.setting(current_app.config, "REDIRECT_URI") or url_for(CALLBACKS[provider.key], _external=True)


def _xero_words(form: ConnectionSettingsForm, provider: str) -> None:
    """Xero calls a credit memo a credit note."""
    if provider == "xero":
        form.restock_credit_memos.label.text = "Credit notes restock"
        form.restock_credit_memos.description = "Returned goods on a credit note come back into stock as a return lot."


def _settings_form(connection: Connection | None, provider: str) -> ConnectionSettingsForm:
    """A channel's sync settings as stored (Xero's fields carry a prefix: both forms are on one page)."""
    form = ConnectionSettingsForm(prefix=SETTINGS_PREFIXES[provider])
    _xero_words(form, provider)
    if connection is not None:
        form.initial_sync_date.data = connection.initial_sync_date.isoformat() if connection.initial_sync_date else ""
        form.restock_credit_memos.data = connection.restock_credit_memos
    return form


def _page(  # type: ignore[no-untyped-def]
    connect_form: ConnectForm | None = None,
    settings_form: ConnectionSettingsForm | None = None,
    status: int = 200,
    xero_form: ConnectForm | None = None,
    xero_settings_form: ConnectionSettingsForm | None = None,
):
    connection = services.current_connection(db.session)
    if settings_form is None:
        settings_form = _settings_form(connection, "qbo")
    if connect_form is None:
        connect_form = ConnectForm()
        if connection is not None and connection.initial_sync_date:
            connect_form.initial_sync_date.data = connection.initial_sync_date.isoformat()
        else:
            connect_form.initial_sync_date.data = services.suggested_initial_sync_date(date.today()).isoformat()
    configured = PROVIDERS["qbo"].configured(current_app.config)
    xero_connection = providers.connection_of(db.session, XERO)
    if xero_form is None:
        xero_form = ConnectForm(prefix=FORM_PREFIXES["xero"])
        known = xero_connection.initial_sync_date if xero_connection is not None else None
        xero_form.initial_sync_date.data = (known or services.suggested_initial_sync_date(date.today())).isoformat()
    if xero_settings_form is None:
        xero_settings_form = _settings_form(xero_connection, "xero")
    return render_template(
        "connections/settings.html",
        connection=connection,
        connect_form=connect_form,
        settings_form=settings_form,
        configured=configured,
        xero_connection=xero_connection,
        xero_form=xero_form,
        xero_settings_form=xero_settings_form,
        xero_configured=XERO.configured(current_app.config),
    ), status


@bp.route("/settings/connection")
@requires_role("admin")
def settings():  # type: ignore[no-untyped-def]
    return _page()


@bp.route("/settings/connection", methods=["POST"], defaults={"provider": "qbo"})  # QuickBooks' form before Xero came
@bp.route(f"/settings/connection/<{PROVIDER}:provider>", methods=["POST"], endpoint="save_channel_settings")
@requires_role("admin")
def save_settings(provider: str):  # type: ignore[no-untyped-def]
    form = ConnectionSettingsForm(prefix=SETTINGS_PREFIXES[provider])
    _xero_words(form, provider)
    if form.validate_on_submit():
        try:
            services.save_settings(db.session, form.initial_sync_date.data, bool(form.restock_credit_memos.data), provider)
        except InputError as exc:
            show_error(form, exc, "initial_sync_date")
        else:
            flash(f"{PROVIDERS[provider].name} sync settings saved.", "success")
            return redirect(url_for("connections.settings"))
    return _page(**{SETTINGS_ARGUMENTS[provider]: form}, status=400)


@bp.route(f"/connections/<{PROVIDER}:provider>/connect", methods=["POST"])
@requires_role("admin")
def connect(provider: str):  # type: ignore[no-untyped-def]
    chosen = PROVIDERS[provider]
    form = ConnectForm(prefix=FORM_PREFIXES[provider])
    if not form.validate_on_submit():
        return _page(**{FORM_ARGUMENTS[provider]: form}, status=400)
    try:
        initial = parse_date(form.initial_sync_date.data, "initial_sync_date", "Initial sync date", not_after=date.today())
    except InputError as exc:
        show_error(form, exc, "initial_sync_date")
        return _page(**{FORM_ARGUMENTS[provider]: form}, status=400)
    if not chosen.configured(current_app.config):
        flash(
            f"{chosen.name} app credentials are not configured (PARTSEMBLE_{chosen.prefix}CLIENT_ID and _SECRET).",
            "error",
        )
        return redirect(url_for("connections.settings"))
    state = services.new_state()
    session[state_key(chosen)] = state
    session[date_key(chosen)] = initial.isoformat()
    return redirect(AUTHORIZE_URLS[provider](current_app.config, redirect_uri(chosen), state))


def _callback_checked(provider: Provider) -> tuple[str, date] | None:
    """The code and initial sync date of an OAuth answer that matches this browser's request;
    None (with the reason flashed) when it does not, was cancelled or is incomplete."""
    expected = session.pop(state_key(provider), None)
    initial = session.pop(date_key(provider), None)
    if not expected or request.args.get("state") != expected:
        flash(
            f"The answer from {provider.name} did not match this browser's connection request (state mismatch). "
            "Nothing was stored; connect again.",
            "error",
        )
        return None
    if request.args.get("error"):
        flash(f"The connection was cancelled in {provider.name}. Nothing was stored.", "warning")
        return None
    code = request.args.get("code", "")
    if not code or not initial:
        flash(f"{provider.name} sent an incomplete answer. Nothing was stored; connect again.", "error")
        return None
    return code, date.fromisoformat(initial)


@bp.route("/connections/qbo/callback")
@requires_role("admin")
def callback() -> Response:
    checked = _callback_checked(PROVIDERS["qbo"])
    realm = request.args.get("realmId", "")
    if checked is None:
        return redirect(url_for("connections.settings"))
    if not realm:
        flash("QuickBooks sent an incomplete answer. Nothing was stored; connect again.", "error")
        return redirect(url_for("connections.settings"))
    code, initial = checked
    try:
        connection = services.complete_connect(
            db.session,
            current_app.config,
            requests.Session(),
            code=code,
            realm_id=realm,
            redirect_uri=redirect_uri(),
            initial_sync_date=initial,
            user_id=current_user.id,
        )
    except services.ConnectError as exc:
        flash(str(exc), "error")
        return redirect(url_for("connections.settings"))
    _refresh_items_quietly()
    flash(f"Connected to {connection.company_name}", "success")
    return redirect(url_for("connections.settings"))


@bp.route("/connections/xero/callback")
@requires_role("admin")
def xero_callback() -> Response:
    checked = _callback_checked(XERO)
    if checked is None:
        return redirect(url_for("connections.settings"))
    code, initial = checked
    try:
        grant = xero_connect.grant_from_code(current_app.config, requests.Session(), code=code, redirect_uri=redirect_uri(XERO))
    except services.ConnectError as exc:
        flash(str(exc), "error")
        return redirect(url_for("connections.settings"))
    if len(grant.organisations) == 1:
        return _complete_xero(grant, grant.organisations[0].tenant_id, initial)
    session[XERO_GRANT_KEY] = xero_connect.seal(current_app.config, grant)
    session[date_key(XERO)] = initial.isoformat()
    return redirect(url_for("connections.xero_choose"))


@bp.route("/connections/xero/organisation", methods=["GET", "POST"])
@requires_role("admin")
def xero_choose():  # type: ignore[no-untyped-def]
    grant = xero_connect.unseal(current_app.config, session.get(XERO_GRANT_KEY))
    initial = session.get(date_key(XERO))
    if grant is None or not isinstance(initial, str):
        flash("No Xero connection is waiting for its organisation. Connect Xero again.", "warning")
        return redirect(url_for("connections.settings"))
    form = ChooseOrganisationForm()
    form.tenant_id.choices = [(t.tenant_id, t.name or t.tenant_id) for t in grant.organisations]
    if request.method == "POST":
        if form.validate_on_submit():
            session.pop(XERO_GRANT_KEY, None)
            session.pop(date_key(XERO), None)
            return _complete_xero(grant, str(form.tenant_id.data), date.fromisoformat(initial))
        return render_template("connections/xero_choose.html", form=form), 400
    return render_template("connections/xero_choose.html", form=form)


def _complete_xero(grant: xero_connect.Grant, tenant_id: str, initial: date) -> Response:
    try:
        connection = xero_connect.complete(
            db.session, current_app.config, grant, tenant_id, initial_sync_date=initial, user_id=current_user.id
        )
    except services.ConnectError as exc:
        flash(str(exc), "error")
        return redirect(url_for("connections.settings"))
    _refresh_items_quietly("xero")
    flash(f"Connected to {connection.company_name} (Xero)", "success")
    return redirect(url_for("connections.settings"))


def _refresh_items_quietly(channel: str = "qbo") -> None:
    """Fill the channel's accounting item list right away; when that fails, say why and where to try again."""
    try:
        refresh_item_list(db.session, current_app.config, open_source, channel)
    except SyncNotStarted as exc:
        flash(f"Connected, but the item list could not be read yet: {exc} Refresh it on the Accounting items page.", "warning")


@bp.route(f"/connections/<{PROVIDER}:provider>/disconnect", methods=["POST"])
@requires_role("admin")
def disconnect(provider: str) -> Response:
    chosen = PROVIDERS[provider]
    providers.disconnect(db.session, current_app.config, chosen, requests.Session())
    flash(f"{chosen.name} disconnected. Your data is kept; connect again to sync.", "success")
    return redirect(url_for("connections.settings"))


@bp.route("/settings/channels")
@requires_role("admin")
def sales_channels():  # type: ignore[no-untyped-def]
    return render_template("connections/channels.html", channels=channels.list_channels(db.session))


@bp.route(f"/settings/channels/<{PROVIDER}:provider>", methods=["POST"])
@requires_role("admin")
def toggle_channel(provider: str) -> Response:
    form = ChannelForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("connections.sales_channels"))
    active = request.form.get("active") == "1"
    channels.set_active(db.session, provider, active)
    name = PROVIDERS[provider].name
    if active:
        flash(f"{name} is active again: the next sync resumes where it stopped.", "success")
    else:
        flash(f"{name} is deactivated: syncs skip it; its sales and history are kept.", "success")
    return redirect(url_for("connections.sales_channels"))
