"""What every connector's HTTP layer shares: the token provider it asks, the tokens an OAuth grant gives,
and how a failed request or a Retry-After header reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol

import requests

# Failures of the connection itself: nothing reached us, or the body was cut off.
TRANSIENT_REQUEST_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class TokenProvider(Protocol):
    """Where a connector gets access tokens; the stored, locked implementation lives outside the connectors,
    and lets one refresher at a time spend the refresh token."""

    def access_token(self) -> str:
        """A currently valid access token."""
        ...

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        """A fresh access token, after the API refused `rejected_token`.

        Raises:
            ReconnectRequired: the refresh token is dead.
            AuthError: the refresh failed otherwise.
        """
        ...


@dataclass(frozen=True)
class TokenSet:
    """What a token endpoint granted; the tokens stay out of repr so they never reach a log."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    refresh_expires_at: datetime


def describe_request_error(exc: requests.exceptions.RequestException) -> str:
    """A short cause for a failed request that names no URL, header or token."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "timed out connecting"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "timed out waiting for the response"
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return "response body was cut off or garbled"
    return f"connection failed ({type(exc).__name__})"


def retry_after_seconds(header: str | None) -> Decimal | None:
    """The Retry-After header as seconds; None when absent or given as an HTTP date."""
    if not header:
        return None
    try:
        seconds = Decimal(header.strip())
    except InvalidOperation:
        return None
    return seconds if seconds.is_finite() and seconds >= 0 else None
