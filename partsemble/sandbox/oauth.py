"""OAuth 2.0 of the sandbox, shaped like Intuit's: consent page, token and revoke endpoints.

`GET /sandbox/oauth2/authorize` shows "Partsemble wants to connect to <company>"
with Approve and Cancel (a CSRF-protected POST to the same address). Approve
redirects to `redirect_uri?code=...&state=...&realmId=...`; Cancel to
`redirect_uri?error=access_denied&state=...`. The token and revoke endpoints
take HTTP Basic client credentials; when the app config has QBO_CLIENT_ID they
must match it (and QBO_CLIENT_SECRET). Too many wrong ones from an address get 429
(client_throttle). The consent page is for a logged-in user of the app.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Response, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from partsemble.sandbox import client_throttle, jsontext, tokens
from partsemble.sandbox.blueprints import api_bp, current_company, ui_bp
from partsemble.sandbox.clock import now_us
from partsemble.sandbox.metering import metered
from partsemble.sandbox.replies import JSON
from partsemble.sandbox.store import get_setting, writing
from partsemble.web.guard import any_user, public

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
KNOWN_SCOPES = frozenset({ACCOUNTING_SCOPE, "com.intuit.quickbooks.payment", "openid", "profile", "email", "phone", "address"})
APP_NAME = "Partsemble"


def _authorize_problem(params: dict[str, str]) -> str | None:
    """Why the authorize request must be refused, or None when it is good."""
    configured = current_app.config.get("QBO_CLIENT_ID") or ""
    if not params["client_id"]:
        return "client_id is missing."
    if configured and not hmac.compare_digest(params["client_id"], configured):
        return "client_id is not the client this sandbox was configured for."
    if params["response_type"] != "code":
        return "response_type must be code."
    scopes = params["scope"].split()
    if ACCOUNTING_SCOPE not in scopes or not set(scopes) <= KNOWN_SCOPES:
        return f"scope must include {ACCOUNTING_SCOPE} and only known scopes."
    parts = urlsplit(params["redirect_uri"])
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "redirect_uri must be an absolute http(s) URL."
    # Never an open redirect: the registered URI, or the host app's own callback, or at least this host.
    registered = current_app.config.get("QBO_REDIRECT_URI") or ""
    if not registered and "connections.callback" in current_app.view_functions:
        registered = url_for("connections.callback", _external=True)
    if registered and params["redirect_uri"] != registered:
        return "redirect_uri does not match the one registered for this app."
    if not registered and parts.netloc != request.host:
        return "redirect_uri must be on this host when no redirect URI is registered."
    if not params["state"]:
        return "state is missing."
    return None


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@ui_bp.route("/oauth2/authorize", methods=["GET", "POST"])
@any_user
def authorize() -> str | BaseResponse | tuple[str, int]:
    """The consent page; its form posts back here with decision=approve or decision=cancel."""
    source = request.args if request.method == "GET" else request.form
    params = {key: source.get(key, "").strip() for key in ("client_id", "response_type", "scope", "redirect_uri", "state")}
    problem = _authorize_problem(params)
    company = current_company()
    if problem:
        return render_template("sandbox/authorize_error.html", problem=problem), 400
    if request.method == "GET":
        return render_template(
            "sandbox/authorize.html", params=params, app_name=APP_NAME, company_name=company.name, realm_id=company.realm_id
        )
    if request.form.get("decision") != "approve":
        return redirect(_with_query(params["redirect_uri"], error="access_denied", state=params["state"]))
    with writing(company.engine) as conn:
        code = tokens.issue_code(conn, params["client_id"], params["redirect_uri"])
        realm_id = get_setting(conn, "realm_id") or ""
    return redirect(_with_query(params["redirect_uri"], code=code, state=params["state"], realmId=realm_id))


def _json(body: dict[str, object], status: int = 200) -> Response:
    response = Response(jsontext.dumps(body), status=status, content_type=JSON)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _throttled() -> Response | None:
    """429 with Retry-After when this address sent too many wrong client credentials lately."""
    with writing(current_company().engine) as conn:
        wait = client_throttle.seconds_to_wait(conn, request.remote_addr or "", now_us())
    if wait is None:
        return None
    response = _json({"error": "too_many_requests"}, 429)
    response.headers["Retry-After"] = str(wait)
    return response


def _refused_client() -> Response:
    """Count the wrong credentials against this address and answer 401 invalid_client."""
    with writing(current_company().engine) as conn:
        client_throttle.record_failure(conn, request.remote_addr or "", now_us())
    return _json({"error": "invalid_client"}, 401)


def _client_id() -> str | None:
    """The client id of valid HTTP Basic credentials, else None."""
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username or not auth.password:
        return None
    configured_id = current_app.config.get("QBO_CLIENT_ID") or ""
    configured_secret = current_app.config.get("QBO_CLIENT_SECRET") or ""
    if configured_id and not hmac.compare_digest(auth.username, configured_id):
        return None
    if configured_secret and not hmac.compare_digest(auth.password, configured_secret):
        return None
    return auth.username


@api_bp.post("/oauth2/tokens/bearer")
@public
@metered("token", lambda kwargs: request.form.get("grant_type") or "missing")
def token() -> Response:
    """grant_type=authorization_code (code, redirect_uri) or refresh_token (refresh_token)."""
    throttled = _throttled()
    if throttled is not None:
        return throttled
    client_id = _client_id()
    if client_id is None:
        return _refused_client()
    grant_type = request.form.get("grant_type", "")
    lifetime = current_company().access_token_lifetime
    try:
        with writing(current_company().engine) as conn:
            if grant_type == "authorization_code":
                code, redirect_uri = request.form.get("code", ""), request.form.get("redirect_uri", "")
                if not code or not redirect_uri:
                    return _json({"error": "invalid_request"}, 400)
                pair = tokens.exchange_code(conn, code, client_id, redirect_uri, lifetime)
            elif grant_type == "refresh_token":
                refresh_token = request.form.get("refresh_token", "")
                if not refresh_token:
                    return _json({"error": "invalid_request"}, 400)
                pair = tokens.refresh(conn, refresh_token, client_id, lifetime)
            else:
                return _json({"error": "unsupported_grant_type"}, 400)
    except tokens.InvalidGrant:
        return _json({"error": "invalid_grant"}, 400)
    return _json(pair.as_json())


@api_bp.post("/oauth2/tokens/revoke")
@public
@metered("token", lambda kwargs: "revoke")
def revoke() -> Response:
    """JSON {"token": ...}: revokes the whole grant the token belongs to; 200 even when unknown."""
    throttled = _throttled()
    if throttled is not None:
        return throttled
    if _client_id() is None:
        return _refused_client()
    body = request.get_json(silent=True)
    token_text = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token_text, str) or not token_text:
        return _json({"error": "invalid_request"}, 400)
    with writing(current_company().engine) as conn:
        tokens.revoke(conn, token_text)
    return Response("", 200)
