"""Every call to the Xero face is counted, may be hit by an injected fault, and is logged; an API
call is also authenticated, checked against its organisation, and counted against the limits.

Order, as a gateway in front of Xero would have it: an injected fault first; then the access
token (401), the organisation (403) and the limits (429); then the answer, with the limit
headers on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, g, make_response, request

from partsemble.sandbox import faults, traffic
from partsemble.sandbox.blueprints import current_company
from partsemble.sandbox.clock import now_us
from partsemble.sandbox.store import writing
from partsemble.sandbox.xero import identity, limits
from partsemble.sandbox.xero.dates import iso_utc
from partsemble.sandbox.xero.replies import forbidden_reply, throttled_reply, unauthorized_reply
from partsemble.sandbox.xero.schema import BY_TENANT

F = TypeVar("F", bound=Callable[..., Any])


def bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def access_lifetime() -> int:
    return int(current_app.config.get("SANDBOX_XERO_ACCESS_TOKEN_LIFETIME") or identity.ACCESS_LIFETIME)


def _admit(conn: Any) -> tuple[Response | None, limits.Usage | None]:
    """Refuse the call (401, 403, 429) or let it through; the limits it leaves either way."""
    token = bearer_token()
    access = identity.check_access(conn, token) if token else None
    if access is None:
        return unauthorized_reply(), None
    if access.expired:
        return unauthorized_reply(f"TokenExpired: token expired at {iso_utc(access.expires_at)}"), None
    tenant_id = request.headers.get("xero-tenant-id", "").strip().lower()
    if not tenant_id:
        return forbidden_reply("AuthorizationUnsuccessful: the xero-tenant-id header is missing"), None
    if access.revoked or tenant_id not in BY_TENANT or not identity.is_connected(conn, access.client_id, tenant_id):
        return forbidden_reply(), None
    usage = limits.take_call(conn, tenant_id, now_us())
    g.xero_tenant_id = tenant_id
    if usage.problem:
        return throttled_reply(usage.problem, usage.retry_after), usage
    return None, usage


def xero_metered(family: str, detail: Callable[[dict[str, Any]], str | None] = lambda kwargs: None) -> Callable[[F], F]:
    """Count, fault, admit (for `xero_api`) and log a call; only its path and query are logged."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            company = current_company()
            g.intuit_tid = str(uuid.uuid4())  # the request log's id column; Xero calls it a correlation id
            with writing(company.engine) as conn:
                ordinals = traffic.count_request(conn, family, detail(kwargs))
                rule = faults.choose(faults.rules(conn), faults.seed(conn), family, ordinals)
            response = faults.reply_instead(rule, "xero") if rule else None
            usage = None
            refused = False
            if response is None and family == "xero_api":
                with writing(company.engine) as conn:
                    response, usage = _admit(conn)
                refused = response is not None and response.status_code == 429
            if response is None:
                response = make_response(view(**kwargs))
                if rule:
                    response = faults.damage(rule, response)
            if usage is not None:
                for name, value in usage.headers().items():
                    response.headers[name] = value
            response.headers["Xero-Correlation-Id"] = g.intuit_tid
            with writing(company.engine) as conn:
                traffic.log_request(
                    conn,
                    method=request.method,
                    path=request.path,
                    query=request.query_string.decode("utf-8", "replace") if family == "xero_api" else "",
                    family=family,
                    endpoint=request.endpoint or "",
                    ordinal=ordinals.family,
                    status=response.status_code,
                    fault="rate_limit" if refused else rule.kind if rule else None,
                    intuit_tid=g.intuit_tid,
                    minorversion=None,
                )
            return response

        return wrapped  # type: ignore[return-value]

    return decorate
