"""The sandbox's two blueprints and the company behind the current request.

`sandbox_api` holds what a QBO client calls (the v3 API and the OAuth token
endpoints): it is CSRF-exempt and authenticates with bearer tokens or HTTP
Basic. `sandbox` holds the pages a person uses: the consent page (for a
logged-in user of the app) and the company's own screens (for its admins), all
behind CSRF-protected forms.
"""

from __future__ import annotations

import os

from flask import Blueprint, Response, current_app, g, request, url_for

from partsemble.sandbox.company import SandboxCompany
from partsemble.sandbox.replies import new_intuit_tid

api_bp = Blueprint("sandbox_api", __name__, url_prefix="/sandbox")
ui_bp = Blueprint("sandbox", __name__, url_prefix="/sandbox", template_folder="templates")


def database_url() -> str:
    configured = current_app.config.get("SANDBOX_DATABASE_URL")
    return configured or "sqlite:///" + os.path.join(current_app.instance_path, "sandbox.db")


def current_company() -> SandboxCompany:
    """The sandbox company of this app (cheap: the engine is shared per database)."""
    lifetime = int(current_app.config.get("SANDBOX_ACCESS_TOKEN_LIFETIME") or 3600)
    return SandboxCompany.open(database_url(), access_token_lifetime=lifetime)


def tag_with_intuit_tid(response: Response) -> Response:
    """Put an `intuit_tid` header on every response under /sandbox, as Intuit does on every call
    (not on the Xero face: Xero is not Intuit)."""
    if (request.path == "/sandbox" or request.path.startswith("/sandbox/")) and not request.path.startswith("/sandbox/xero/"):
        response.headers.setdefault("intuit_tid", g.get("intuit_tid") or new_intuit_tid())
    return response


@ui_bp.context_processor
def _page_context() -> dict[str, object]:
    # The app's stylesheet when the host app serves one (a bare test app has no static route).
    stylesheet = url_for("static", filename="app.css") if "static" in current_app.view_functions else None
    company = current_company()
    return {"sandbox_stylesheet": stylesheet, "sandbox_company_name": company.name, "sandbox_realm_id": company.realm_id}
