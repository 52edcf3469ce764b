"""Intuit OAuth 2.0 over an injected session: authorize URL, code exchange, refresh, revoke. No storage."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from partsemble.connectors.errors import (
    AuthError,
    BadRequest,
    ConnectorError,
    MalformedResponse,
    RateLimited,
    ReconnectRequired,
    Transient,
)
from partsemble.connectors.qbo.decoding import load_json
from partsemble.connectors.qbo.faults import retry_after_seconds
from partsemble.connectors.qbo.http import TRANSIENT_REQUEST_ERRORS, describe_request_error
from partsemble.connectors.qbo.retry import RetryPolicy, Timeouts, run_with_retries
from partsemble.connectors.transport import TokenSet as TokenSet

logger = logging.getLogger(__name__)

SCOPE = "com.intuit.quickbooks.accounting"
# A person is often waiting on the other end: retry briefly, then say so.
_LONGEST_LIFETIME = 10 * 366 * 24 * 3600  # refresh tokens live 100 days; anything past years is garbage
TOKEN_RETRY = RetryPolicy(max_retries=2, budget=Decimal(15), backoff_base=Decimal("0.5"))


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def authorize_url(auth_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    """The URL that sends a person to Intuit to connect a company to this app."""
    params = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": redirect_uri,
            "state": state,
        }
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
    """Trade the callback's authorization code for tokens.

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
    """New tokens for a refresh token; store the returned refresh token at once, it may have changed.

    Raises:
        ReconnectRequired: invalid_grant (the refresh token is dead, or was just used by another worker).
        AuthError: the client id or secret was refused.
        BadRequest, RateLimited, Transient, MalformedResponse, ConnectorError: other failures.
    """
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _request_tokens(session, token_url, (client_id, client_secret), form, timeouts, retry, now)


def revoke(
    session: requests.Session,
    *,
    revoke_url: str,
    client_id: str,
    client_secret: str,
    token: str,
    timeouts: Timeouts = Timeouts(),
) -> bool:
    """Ask Intuit to revoke a token (and its grant); best effort, True when Intuit said yes.

    Never raises for an HTTP or network failure.
    """
    where = f"POST {urlsplit(revoke_url).path}"
    try:
        response = session.post(
            revoke_url,
            json={"token": token},
            auth=(client_id, client_secret),
            headers={"Accept": "application/json"},
            timeout=timeouts.for_requests(),
        )
    except requests.exceptions.RequestException as exc:
        logger.warning("QBO %s failed: %s", where, describe_request_error(exc))
        return False
    if response.status_code != 200:
        logger.warning(
            "QBO %s failed: status=%s intuit_tid=%s",
            where,
            response.status_code,
            response.headers.get("intuit_tid", "-"),
        )
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
                token_url,
                data=dict(form),
                auth=credentials,
                headers={"Accept": "application/json"},
                timeout=timeouts.for_requests(),
            )
        except TRANSIENT_REQUEST_ERRORS as exc:
            raise Transient(f"{where}: {describe_request_error(exc)}") from exc
        except requests.exceptions.RequestException as exc:
            raise ConnectorError(f"{where}: request could not be made ({type(exc).__name__})") from exc
        return _token_set(response, where, now())

    return run_with_retries(retry, attempt, where)


def _token_set(response: requests.Response, where: str, granted_at: datetime) -> TokenSet:
    """The TokenSet of a token endpoint answer.

    Raises:
        ConnectorError: the subclass the status and the OAuth `error` mean.
    """
    status = response.status_code
    tid = response.headers.get("intuit_tid", "")
    try:
        body: Any = load_json(response.content)
    except ValueError:
        body = None
    if status != 200:
        raise _token_error(status, body, where, tid, response.headers.get("Retry-After"))
    if not isinstance(body, Mapping):
        raise MalformedResponse(f"{where}: HTTP 200 body is not a JSON object", status=status, tid=tid)
    access, refresh_token = body.get("access_token"), body.get("refresh_token")
    if not isinstance(access, str) or not access or not isinstance(refresh_token, str) or not refresh_token:
        raise MalformedResponse(f"{where}: the answer lacks access_token or refresh_token", status=status, tid=tid)
    return TokenSet(
        access_token=access,
        refresh_token=refresh_token,
        expires_at=granted_at + _lifetime(body, "expires_in", where),
        refresh_expires_at=granted_at + _lifetime(body, "x_refresh_token_expires_in", where),
    )


def _lifetime(body: Mapping[str, Any], key: str, where: str) -> timedelta:
    value = body.get(key)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _LONGEST_LIFETIME:
        raise MalformedResponse(f"{where}: {key} is not a sensible number of seconds")
    return timedelta(seconds=value)


def _token_error(status: int, body: object, where: str, tid: str, retry_after: str | None) -> ConnectorError:
    error = body.get("error") if isinstance(body, Mapping) else None
    code = error if isinstance(error, str) else ""
    message = f"{where}: HTTP {status}" + (f" {code}" if code else "")
    details: dict[str, Any] = {"status": status, "code": code, "tid": tid}
    if code == "invalid_grant":
        return ReconnectRequired(f"{message}: QuickBooks must be connected again", **details)
    if status == 401 or code == "invalid_client":
        return AuthError(f"{message}: the app's client id or secret was refused", **details)
    if status == 429:
        return RateLimited(message, retry_after=retry_after_seconds(retry_after), **details)
    if status >= 500:
        return Transient(message, **details)
    if 400 <= status < 500:
        return BadRequest(message, **details)
    return ConnectorError(message, **details)
