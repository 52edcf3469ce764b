"""Sync Now, its progress, retries after a fix, and the preview (htmx endpoints on the Sales tab)."""
from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from partsemble.connections.source import open_source
from partsemble.connections.tokens import TokenKeyError
from partsemble.connectors.errors import ConnectorError
from partsemble.extensions import db
from partsemble.sales.panel import progress, sync_panel
from partsemble.sales.views import bp
from partsemble.sync.lock import SyncBusy
from partsemble.sync.preview import preview_sync
from partsemble.sync.preview_lock import PreviewBusy
from partsemble.sync.service import SyncNotReady, SyncRequest, run_sync, settings_from, web_retry_budget
from partsemble.web.guard import requires_role
from partsemble.web.htmx import error_partial, is_htmx, partial


def _run(request_: SyncRequest) -> Response:
    notice, kind, run_id = "", "info", None
    try:
        settings = settings_from(current_app.config, time_limited=True)
        source = open_source(current_app.config, retry_budget=web_retry_budget(settings))
        summary = run_sync(db.session, source, request_, settings)
        run_id = summary.run_id
    except SyncBusy as exc:
        notice, kind = str(exc), "warn"
    except (SyncNotReady, TokenKeyError) as exc:
        notice, kind = str(exc), "error"
    if not is_htmx():
        if notice:
            flash(notice, "warning" if kind == "warn" else "error")
        return redirect(url_for("sales.index"))
    return partial("sales/_sync_panel.html", panel=sync_panel(notice, kind, run_id), trigger="sales-changed")


@bp.route("/sync", methods=["POST"])
@requires_role("member")
def sync() -> Response:
    return _run(SyncRequest(current_user.id, current_user.email, "web"))


@bp.route("/sync/retry", methods=["POST"])
@requires_role("member")
def retry() -> Response:
    item_id = (request.form.get("item_id") or "").strip() or None
    return _run(SyncRequest(current_user.id, current_user.email, "web", only_failed=True, item_id=item_id))


@bp.route("/sync/progress")
def sync_progress() -> Response:
    return partial("sales/_progress.html", progress=progress())


@bp.route("/preview", methods=["POST"])
@requires_role("member")
def preview() -> Response:
    try:
        result = preview_sync(db.session, open_source(current_app.config))
    except (SyncBusy, PreviewBusy, SyncNotReady, TokenKeyError) as exc:
        return error_partial(str(exc), title="No preview")
    except ConnectorError as exc:
        return error_partial(f"QuickBooks did not answer properly ({exc.message}). Try again in a minute.", title="No preview")
    return partial("sales/_preview.html", preview=result)
