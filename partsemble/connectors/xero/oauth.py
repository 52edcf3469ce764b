"""Xero OAuth 2.0 over an injected session: authorize URL, code exchange, refresh, revoke. No storage.

Xero's refresh token rotates on every refresh (the old one keeps working about 30 minutes):
whoever calls `refresh` stores the returned refresh token at once, one refresher at a time
(the TokenProvider behind XeroHttp holds that lock, as it does for QBO).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

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
from partsemble.connectors.retry import RetryPolicy, Timeouts, run_with_retries
from partsemble.connectors.transport import TRANSIENT_REQUEST_ERRORS, TokenSet, describe_request_error, retry_after_seconds
from partsemble.connectors.xero.http import log_failure

logger = logging.getLogger(__name__)

AUTHORIZE_URL = "https://login.xero.com/identity/connect/authorize"
TOKEN_URL = "https://identity.xero.com/connect/token"
REVOKE_URL = "https://identity.xero.com/connect/revocation"
# offline_access gives the refresh token; the rest read documents and items. Apps created after
# March 2026 must ask for granular scopes (accounting.invoices.read, ...) instead: callers pass their own.
DEFAULT_SCOPES = ("offline_access", "accounting.transactions.read", "accounting.settings.read")
# Xero's token answer says when the access token ends, never the refresh token: that one lives 60 days.
REFRESH_TOKEN_LIFETIME = timedelta(days=60)
_LONGEST_LIFETIME = 10 * 366 * 24 * 3600
# A person is often waiting on the other end: retry briefly, then say so.
TOKEN_RETRY = RetryPolicy(max_retries=2, budget=Decimal(15), backoff_base=Decimal("0.5"))


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def authorize_url(auth_url: str, client_id: str, redirect_uri: str, state: str, scopes: Sequence[str] = DEFAULT_SCOPES) -> str:
    """The URL that sends a person to Xero to connect organisations to this app.

    Raises:
        ValueError: `scopes` lacks offline_access (no refresh token: the connection would die in 30 minutes).
    """
    if "offline_access" not in scopes:
        raise ValueError("Xero scopes must include offline_access, or no refresh token is granted")
    params = urlencode(
        {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": " ".join(scopes), "state": state}
    )
    return f"{auth_url}{'&' if '?' in auth_url else '?'}{params}"


def exchange_code(
    session: requests.Session,
    *,
    token_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    timeouts: Timeouts = Timeouts(),
    retry: RetryPolicy = TOKEN_RETRY,
    now: Callable[[], datetime] = utc_now,
) -> TokenSet:
    """Trade the callback's authorization code for tokens (HTTP Basic client authentication).

    Raises:
        ReconnectRequired: invalid_grant (the code is used up, expired, or for another redirect URI).
        AuthError: the client id or secret was refused.
        BadRequest, RateLimited, Transient, MalformedResponse, ConnectorError: other failures.
    """
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return _request_tokens(session, token_url, (client_id, client_secret), form, timeouts, retry, now)


def refresh(
    session: requests.Session,
    *,
    token_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    timeouts: Timeouts = Timeouts(),
    retry: RetryPolicy = TOKEN_RETRY,
    now: Callable[[], datetime] = utc_now,
) -> TokenSet:
    """New tokens for a refresh token. The returned refresh token replaces the old one: store it at once.

    Same arguments as the QBO connector's `oauth.refresh`, so one stored-token refresher serves both.

    Raises:
        ReconnectRequired: invalid_grant (the refresh token is dead, or was replaced more than 30 minutes ago).
        AuthError: the client id or secret was refused.
        BadRequest, RateLimited, Transient, MalformedResponse, ConnectorError: other failures.
    """
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _request_tokens(session, token_url, (client_id, client_secret), form, timeouts, retry, now)


def revoke(
    session: requests.Session, *, revoke_url: str, client_id: str, client_secret: str, token: str, timeouts: Timeouts = Timeouts()
) -> bool:
    """Ask Xero to revoke a refresh token (and every connection it made); best effort, True when Xero said yes.

    Never raises for an HTTP or network failure.
    """
    where = f"POST {urlsplit(revoke_url).path}"
    try:
        response = session.post(
            revoke_url,
            data={"token": token},
            auth=(client_id, client_secret),
            headers={"Accept": "application/json"},
            timeout=timeouts.for_requests(),
        )
    except requests.exceptions.RequestException as exc:
        logger.warning("Xero %s failed: %s", where, describe_request_error(exc))
        return False
    if response.status_code != 200:
        logger.warning("Xero %s failed: status=%s", where, response.status_code)
        return False
    return True


def _request_tokens(
    session: requests.Session,
    token_url: str,
    credentials: tuple[str, str],
    form: Mapping[str, str],
    timeouts: Timeouts,
    retry: RetryPolicy,
    now: Callable[[], datetime],
) -> TokenSet:
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
        return _token_set(response, where, now())

    return run_with_retries(retry, attempt, where, log_failure)


def _token_set(response: requests.Response, where: str, granted_at: datetime) -> TokenSet:
    status = response.status_code
    try:
        body: Any = load_json(response.content)
    except ValueError:
        body = None
    if status != 200:
        raise _token_error(status, body, where, response.headers.get("Retry-After"))
    if not isinstance(body, Mapping):
        raise MalformedResponse(f"{where}: HTTP 200 body is not a JSON object", status=status)
    access, refresh_token = body.get("access_token"), body.get("refresh_token")
    if not isinstance(access, str) or not access or not isinstance(refresh_token, str) or not refresh_token:
        raise MalformedResponse(f"{where}: the answer lacks access_token or refresh_token", status=status)
    return TokenSet(
        access_token=access,
        refresh_token=refresh_token,
        expires_at=granted_at + _lifetime(body.get("expires_in"), where),
        refresh_expires_at=granted_at + REFRESH_TOKEN_LIFETIME,
    )


def _lifetime(value: object, where: str) -> timedelta:
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _LONGEST_LIFETIME:
        raise MalformedResponse(f"{where}: expires_in is not a sensible number of seconds")
    return timedelta(seconds=value)


def _token_error(status: int, body: object, where: str, retry_after: str | None) -> ConnectorError:
    error = body.get("error") if isinstance(body, Mapping) else None
    code = error if isinstance(error, str) else ""
    message = f"{where}: HTTP {status}" + (f" {code}" if code else "")
    if code == "invalid_grant":
        return ReconnectRequired(f"{message}: Xero must be connected again", status=status, code=code)
    if status == 401 or code in ("invalid_client", "unauthorized_client"):
        return AuthError(f"{message}: Xero refused the app's client id or secret", status=status, code=code)
    if status == 429:
        return RateLimited(message, retry_after=retry_after_seconds(retry_after), status=status, code=code)
    if status >= 500:
        return Transient(message, status=status, code=code)
    if 400 <= status < 500:
        return BadRequest(message, status=status, code=code)
    return ConnectorError(message, status=status, code=code)
