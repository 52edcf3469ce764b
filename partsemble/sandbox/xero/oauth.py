"""Xero's identity endpoints in the sandbox: consent, token, revocation, connections.

    GET|POST /sandbox/xero/identity/connect/authorize   consent page: choose organisations, Allow access
    POST     /sandbox/xero/identity/connect/token       HTTP Basic; authorization_code or refresh_token
    POST     /sandbox/xero/identity/connect/revocation  HTTP Basic; token=<refresh token>
    GET      /sandbox/xero/connections                  bearer; [{id, tenantId, tenantType, tenantName, ...}]
    DELETE   /sandbox/xero/connections/<id>             bearer; 204, then that organisation answers 403

Client credentials must match XERO_CLIENT_ID / XERO_CLIENT_SECRET when the app config has them,
and the redirect URI XERO_REDIRECT_URI when set (else it must be on this host). Wrong client
credentials are counted per address like the QBO face's (client_throttle). Errors are
{"error": ...} with 400, as Xero's identity server answers.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Response, current_app, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from partsemble.sandbox import client_throttle
from partsemble.sandbox.blueprints import api_bp, current_company, ui_bp
from partsemble.sandbox.clock import now_us
from partsemble.sandbox.oauth import APP_NAME
from partsemble.sandbox.store import reading, writing
from partsemble.sandbox.tokens import InvalidGrant
from partsemble.sandbox.xero import identity
from partsemble.sandbox.xero.dates import iso_utc
from partsemble.sandbox.xero.metering import access_lifetime, bearer_token, xero_metered
from partsemble.sandbox.xero.replies import json_response, unauthorized_reply
from partsemble.sandbox.xero.schema import BY_TENANT, ORGANISATIONS
from partsemble.web.guard import any_user, public

IDENTITY = "/xero/identity/connect"
OPEN_SCOPES = frozenset({"offline_access", "openid", "profile", "email"})


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _authorize_problem(params: dict[str, str]) -> str | None:
    """Why the authorize request must be refused, or None when it is good."""
    configured = current_app.config.get("XERO_CLIENT_ID") or ""
    if not params["client_id"]:
        return "client_id is missing."
    if configured and not hmac.compare_digest(params["client_id"], configured):
        return "unauthorized_client: client_id is not the app this sandbox was configured for."
    if params["response_type"] != "code":
        return "unsupported_response_type: response_type must be code."
    scopes = params["scope"].split()
    unknown = [s for s in scopes if s not in OPEN_SCOPES and not s.startswith("accounting.")]
    if unknown or not any(s.startswith("accounting.") for s in scopes):
        return f"invalid_scope: scope must name at least one accounting scope and nothing unknown ({' '.join(unknown) or 'none given'})."
    parts = urlsplit(params["redirect_uri"])
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "invalid_request: redirect_uri must be an absolute http(s) URL."
    registered = current_app.config.get("XERO_REDIRECT_URI") or ""
    if registered and params["redirect_uri"] != registered:
        return "invalid_request: redirect_uri does not match the one registered for this app."
    if not registered and parts.netloc != request.host:
        return "invalid_request: redirect_uri must be on this host when no redirect URI is registered."
    if not params["state"]:
        return "invalid_request: state is missing."
    return None


@ui_bp.route(f"{IDENTITY}/authorize", methods=["GET", "POST"])
@any_user
def xero_authorize() -> str | BaseResponse | tuple[str, int]:
    """The consent page; its form posts back here with decision=allow (and tenant_id boxes) or cancel."""
    source = request.args if request.method == "GET" else request.form
    params = {key: source.get(key, "").strip() for key in ("client_id", "response_type", "scope", "redirect_uri", "state")}
    problem = _authorize_problem(params)
    if problem:
        return render_template("sandbox/authorize_error.html", problem=problem), 400
    if request.method == "GET":
        return render_template("sandbox/xero_authorize.html", params=params, app_name=APP_NAME, organisations=ORGANISATIONS, error=None)
    if request.form.get("decision") != "allow":
        return redirect(_with_query(params["redirect_uri"], error="access_denied", state=params["state"]))
    chosen = [tenant for tenant in dict.fromkeys(request.form.getlist("tenant_id")) if tenant in BY_TENANT]
    if not chosen:
        page = render_template(
            "sandbox/xero_authorize.html", params=params, app_name=APP_NAME, organisations=ORGANISATIONS, error="Choose an organisation."
        )
        return page, 400
    with writing(current_company().engine) as conn:
        grant_id = identity.new_grant(conn, params["client_id"], params["scope"], chosen)
        code = identity.issue_code(conn, grant_id, params["client_id"], params["redirect_uri"])
    return redirect(_with_query(params["redirect_uri"], code=code, scope=params["scope"], state=params["state"]))


def _json(body: dict[str, object], status: int = 200) -> Response:
    response = json_response(body, status)
    response.headers["Cache-Control"] = "no-store, no-cache, max-age=0"
    response.headers["Pragma"] = "no-cache"
    return response


def _client_id() -> tuple[str | None, Response | None]:
    """The client of valid HTTP Basic credentials, or the answer refusing them."""
    with writing(current_company().engine) as conn:
        wait = client_throttle.seconds_to_wait(conn, request.remote_addr or "", now_us())
    if wait is not None:
        refused = _json({"error": "too_many_requests"}, 429)
        refused.headers["Retry-After"] = str(wait)
        return None, refused
    auth = request.authorization
    configured_id = current_app.config.get("XERO_CLIENT_ID") or ""
    configured_secret = current_app.config.get("XERO_CLIENT_SECRET") or ""
    good = (
        auth is not None
        and auth.type == "basic"
        and bool(auth.username)
        and bool(auth.password)
        and (not configured_id or hmac.compare_digest(auth.username or "", configured_id))
        and (not configured_secret or hmac.compare_digest(auth.password or "", configured_secret))
    )
    if not good or auth is None:
        with writing(current_company().engine) as conn:
            client_throttle.record_failure(conn, request.remote_addr or "", now_us())
        return None, _json({"error": "invalid_client"}, 400)
    return auth.username, None


@api_bp.post(f"{IDENTITY}/token")
@public
@xero_metered("xero_identity", lambda kwargs: request.form.get("grant_type") or "missing")
def xero_token() -> Response:
    """grant_type=authorization_code (code, redirect_uri) or refresh_token (refresh_token)."""
    client_id, refused = _client_id()
    if client_id is None:
        return refused or _json({"error": "invalid_client"}, 400)
    grant_type = request.form.get("grant_type", "")
    try:
        with writing(current_company().engine) as conn:
            if grant_type == "authorization_code":
                code, redirect_uri = request.form.get("code", ""), request.form.get("redirect_uri", "")
                if not code or not redirect_uri:
                    return _json({"error": "invalid_request"}, 400)
                tokens = identity.exchange_code(conn, code, client_id, redirect_uri, access_lifetime())
            elif grant_type == "refresh_token":
                refresh_token = request.form.get("refresh_token", "")
                if not refresh_token:
                    return _json({"error": "invalid_request"}, 400)
                tokens = identity.refresh(conn, refresh_token, client_id, access_lifetime())
            else:
                return _json({"error": "unsupported_grant_type"}, 400)
    except InvalidGrant:
        return _json({"error": "invalid_grant"}, 400)
    return _json(tokens.as_json())


@api_bp.post(f"{IDENTITY}/revocation")
@public
@xero_metered("xero_identity", lambda kwargs: "revocation")
def xero_revoke() -> Response:
    """Form token=<refresh token>: ends its grant; 200 even for a token it does not know."""
    client_id, refused = _client_id()
    if client_id is None:
        return refused or _json({"error": "invalid_client"}, 400)
    token = request.form.get("token", "")
    if not token:
        return _json({"error": "invalid_request"}, 400)
    with writing(current_company().engine) as conn:
        identity.revoke(conn, token, client_id)
    return Response("", 200)


def _access() -> tuple[identity.AccessCheck | None, Response | None]:
    token = bearer_token()
    with reading(current_company().engine) as conn:
        access = identity.check_access(conn, token) if token else None
    if access is None:
        return None, unauthorized_reply()
    if access.expired:
        return None, unauthorized_reply(f"TokenExpired: token expired at {iso_utc(access.expires_at)}")
    return access, None


@api_bp.get("/xero/connections")
@public
@xero_metered("xero_identity", lambda kwargs: "connections")
def xero_connections() -> Response:
    """The organisations this app is connected to."""
    access, refused = _access()
    if access is None:
        return refused or unauthorized_reply()
    with reading(current_company().engine) as conn:
        rows = [] if access.revoked else identity.connections(conn, access.client_id)
    body = [
        {
            "id": row.id,
            "authEventId": access.grant_id,
            "tenantId": row.tenant_id,
            "tenantType": "ORGANISATION",
            "tenantName": BY_TENANT[row.tenant_id].name,
            "createdDateUtc": iso_utc(row.created_at),
            "updatedDateUtc": iso_utc(row.created_at),
        }
        for row in rows
    ]
    return json_response(body)


@api_bp.delete("/xero/connections/<connection_id>")
@public
@xero_metered("xero_identity", lambda kwargs: "disconnect")
def xero_disconnect(connection_id: str) -> Response:
    """Disconnect one organisation: 204, or 404 when the app has no such connection."""
    access, refused = _access()
    if access is None:
        return refused or unauthorized_reply()
    with writing(current_company().engine) as conn:
        removed = not access.revoked and identity.disconnect(conn, access.client_id, connection_id)
    return Response("", 204) if removed else Response("", 404)
