"""Sync Now, its progress, retries after a fix, and the preview (htmx endpoints on the Sales tab)."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from partsemble.connections.source import open_source
from partsemble.extensions import db
from partsemble.sales.panel import progress, sync_panel
from partsemble.sales.views import bp
from partsemble.sync.errors import SyncNotStarted
from partsemble.sync.preview_lock import PreviewBusy
from partsemble.sync.service import CHANNEL_ORDER
from partsemble.sync.start import preview_now, sync_now
from partsemble.web.guard import requires_role
from partsemble.web.htmx import error_partial, is_htmx, partial


def _run(only_failed: bool = False, item_ids: list[str] | None = None, channel: str | None = None) -> Response:
    notice, level, run_id = "", "info", None
    try:
        summary = sync_now(
            db.session,
            current_app.config,
            open_source,
            trigger="web",
            user_id=current_user.id,
            user_email=current_user.email,
            only_failed=only_failed,
            item_ids=item_ids,
            channel=channel,
        )
        run_id = summary.run_id
    except SyncNotStarted as exc:
        notice, level = str(exc), exc.level
    if not is_htmx():
        if notice:
            flash(notice, level)
        return redirect(url_for("sales.index"))
    kind = "warn" if level == "warning" else level
    return partial("sales/_sync_panel.html", panel=sync_panel(db.session, notice, kind, run_id), trigger="sales-changed")


@bp.route("/sync", methods=["POST"])
@requires_role("member")
def sync() -> Response:
    return _run()


@bp.route("/sync/retry", methods=["POST"])
@requires_role("member")
def retry() -> Response:
    item_id = (request.form.get("item_id") or "").strip()
    source = request.form.get("source") or "qbo"
    if not item_id:
        return _run(only_failed=True)
    return _run(only_failed=True, item_ids=[item_id], channel=source if source in CHANNEL_ORDER else "qbo")


@bp.route("/sync/progress")
def sync_progress() -> Response:
    return partial("sales/_progress.html", progress=progress(db.session))


@bp.route("/preview", methods=["POST"])
@requires_role("member")
def preview() -> Response:
    try:
        result = preview_now(db.session, current_app.config, open_source)
    except (SyncNotStarted, PreviewBusy) as exc:
        return error_partial(str(exc), title="No preview")
    return partial("sales/_preview.html", preview=result)
