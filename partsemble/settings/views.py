from __future__ import annotations

from flask import Blueprint, current_app, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("/")
def index() -> Response:
    if current_user.has_role("admin") and "connections.settings" in current_app.view_functions:
        return redirect(url_for("connections.settings"))
    if current_user.has_role("admin"):
        return redirect(url_for("auth.users"))
    return redirect(url_for("auth.change_password"))
