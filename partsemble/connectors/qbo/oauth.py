"""Intuit OAuth 2.0 over an injected session: authorize URL, code exchange, refresh, revoke. No storage."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import requests

from partsemble.connectors.oauth2 import TokenEndpoint, request_tokens
from partsemble.connectors.qbo.http import describe_request_error
from partsemble.connectors.qbo.retry import RetryPolicy, Timeouts, log_failure
from partsemble.connectors.transport import TokenSet as TokenSet

logger = logging.getLogger(__name__)

SCOPE = "com.intuit.quickbooks.accounting"
# A person is often waiting on the other end: retry briefly, then say so.
TOKEN_RETRY = RetryPolicy(max_retries=2, budget=Decimal(15), backoff_base=Decimal("0.5"))
# Intuit says in each answer how long the refresh token lives (100 days, counting down).
ENDPOINT = TokenEndpoint("QuickBooks", log_failure, refresh_lifetime="x_refresh_token_expires_in", trace_header="intuit_tid")


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
    return request_tokens(ENDPOINT, session, token_url, (client_id, client_secret), form, timeouts, retry, now)


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
    return request_tokens(ENDPOINT, session, token_url, (client_id, client_secret), form, timeouts, retry, now)


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
