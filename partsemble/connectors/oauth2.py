"""The OAuth 2.0 token endpoint as QuickBooks and Xero both speak it: a form POST with HTTP Basic
client authentication that answers a token set, or an `error` code read into a ConnectorError.

What differs between the systems is a TokenEndpoint: the name in the messages, how long the
refresh token lives (Intuit says so in each answer; Xero never does: 60 days), and the header
that identifies a request to the vendor's support (Intuit's intuit_tid).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests

from partsemble.connectors.decoding import load_json
from partsemble.connectors.errors import (
    AuthError,
    BadRequest,
    ConnectorError,
    MalformedResponse,
    RateLimited,
    ReconnectRequired,
    Transient,
)
from partsemble.connectors.retry import FailureLog, RetryPolicy, Timeouts, run_with_retries
from partsemble.connectors.transport import TRANSIENT_REQUEST_ERRORS, TokenSet, describe_request_error, retry_after_seconds

# Refresh tokens live 60 to 100 days; a lifetime past ten years is garbage, not a promise.
_LONGEST_LIFETIME = 10 * 366 * 24 * 3600
# OAuth error codes that mean the app's own credentials were refused (RFC 6749 section 5.2).
_CLIENT_REFUSED = frozenset({"invalid_client", "unauthorized_client"})


@dataclass(frozen=True)
class TokenEndpoint:
    """One accounting system's token endpoint, as far as it differs from the others."""

    system: str  # named in messages: "QuickBooks must be connected again"
    log_failure: FailureLog
    # The answer's field holding the refresh token's lifetime in seconds, or the lifetime when none is sent.
    refresh_lifetime: str | timedelta
    trace_header: str = ""  # a response header naming the request for the vendor's support


def request_tokens(
    endpoint: TokenEndpoint,
    session: requests.Session,
    token_url: str,
    credentials: tuple[str, str],
    form: Mapping[str, str],
    timeouts: Timeouts,
    retry: RetryPolicy,
    now: Callable[[], datetime],
) -> TokenSet:
    """POST `form` to the token endpoint (retrying what may be retried) and read the token set.

    Raises:
        ReconnectRequired: invalid_grant (the code or refresh token is used up, expired or replaced).
        AuthError: the client id or secret was refused.
        BadRequest, RateLimited, Transient, MalformedResponse, ConnectorError: other failures.
    """
    where = f"POST {urlsplit(token_url).path} ({form['grant_type']})"

    def attempt() -> TokenSet:
        try:
            response = session.post(
                token_url, data=dict(form), auth=credentials, headers={"Accept": "application/json"}, timeout=timeouts.for_requests()
            )
        except TRANSIENT_REQUEST_ERRORS as exc:
            raise Transient(f"{where}: {describe_request_error(exc)}") from exc
        except requests.exceptions.RequestException as exc:
            raise ConnectorError(f"{where}: request could not be made ({type(exc).__name__})") from exc
        return _token_set(endpoint, response, where, now())

    return run_with_retries(retry, attempt, where, endpoint.log_failure)


def _token_set(endpoint: TokenEndpoint, response: requests.Response, where: str, granted_at: datetime) -> TokenSet:
    status = response.status_code
    tid = response.headers.get(endpoint.trace_header, "") if endpoint.trace_header else ""
    try:
        body: Any = load_json(response.content)
    except ValueError:
        body = None
    if status != 200:
        raise _token_error(endpoint, status, body, where, tid, response.headers.get("Retry-After"))
    if not isinstance(body, Mapping):
        raise MalformedResponse(f"{where}: HTTP 200 body is not a JSON object", status=status, tid=tid)
    access, refresh_token = body.get("access_token"), body.get("refresh_token")
    if not isinstance(access, str) or not access or not isinstance(refresh_token, str) or not refresh_token:
        raise MalformedResponse(f"{where}: the answer lacks access_token or refresh_token", status=status, tid=tid)
    refresh_lifetime = endpoint.refresh_lifetime
    return TokenSet(
        access_token=access,
        refresh_token=refresh_token,
        expires_at=granted_at + _lifetime(body, "expires_in", where),
        refresh_expires_at=granted_at
        + (refresh_lifetime if isinstance(refresh_lifetime, timedelta) else _lifetime(body, refresh_lifetime, where)),
    )


def _lifetime(body: Mapping[str, Any], key: str, where: str) -> timedelta:
    value = body.get(key)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _LONGEST_LIFETIME:
        raise MalformedResponse(f"{where}: {key} is not a sensible number of seconds")
    return timedelta(seconds=value)


def _token_error(endpoint: TokenEndpoint, status: int, body: object, where: str, tid: str, retry_after: str | None) -> ConnectorError:
    error = body.get("error") if isinstance(body, Mapping) else None
    code = error if isinstance(error, str) else ""
    message = f"{where}: HTTP {status}" + (f" {code}" if code else "")
    details: dict[str, Any] = {"status": status, "code": code, "tid": tid}
    if code == "invalid_grant":
        return ReconnectRequired(f"{message}: {endpoint.system} must be connected again", **details)
    if status == 401 or code in _CLIENT_REFUSED:
        return AuthError(f"{message}: {endpoint.system} refused the app's client id or secret", **details)
    if status == 429:
        return RateLimited(message, retry_after=retry_after_seconds(retry_after), **details)
    if status >= 500:
        return Transient(message, **details)
    if 400 <= status < 500:
        return BadRequest(message, **details)
    return ConnectorError(message, **details)
