"""Xero OAuth 2.0 over an injected session: authorize URL, code exchange, refresh, revoke. No storage.

Xero's refresh token rotates on every refresh (the old one keeps working about 30 minutes):
whoever calls `refresh` stores the returned refresh token at once, one refresher at a time
(the TokenProvider behind XeroHttp holds that lock, as it does for QBO).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import requests

from partsemble.connectors.oauth2 import TokenEndpoint, request_tokens
from partsemble.connectors.retry import RetryPolicy, Timeouts
from partsemble.connectors.transport import TokenSet, describe_request_error
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
# A person is often waiting on the other end: retry briefly, then say so.
TOKEN_RETRY = RetryPolicy(max_retries=2, budget=Decimal(15), backoff_base=Decimal("0.5"))
ENDPOINT = TokenEndpoint("Xero", log_failure, refresh_lifetime=REFRESH_TOKEN_LIFETIME)


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
    """New tokens for a refresh token. The returned refresh token replaces the old one: store it at once.

    Same arguments as the QBO connector's `oauth.refresh`, so one stored-token refresher serves both.

    Raises:
        ReconnectRequired: invalid_grant (the refresh token is dead, or was replaced more than 30 minutes ago).
        AuthError: the client id or secret was refused.
        BadRequest, RateLimited, Transient, MalformedResponse, ConnectorError: other failures.
    """
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return request_tokens(ENDPOINT, session, token_url, (client_id, client_secret), form, timeouts, retry, now)


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
