"""The error contract of every connector: one root, and what may be retried."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal


class ConnectorError(Exception):
    """Something went wrong talking to the accounting system."""

    retriable = False

    def __init__(self, message: str, *, status: int | None = None, code: str = "", tid: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.tid = tid  # Intuit's intuit_tid, for support requests

    def __str__(self) -> str:
        return self.message


class AuthError(ConnectorError):
    """The access token was refused (401) even after a refresh, or the refresh failed."""


class ReconnectRequired(AuthError):
    """The refresh token is dead (invalid_grant): a person must reconnect."""


class Forbidden(AuthError):
    """403: the token is good but may not read this organisation or this data (disconnected upstream,
    or a permission missing). Never retried: a person must reconnect."""


class DailyLimitReached(ConnectorError):
    """A call quota that frees up only hours from now (Xero: 5,000 calls a day per organisation).

    Never retried: the sync stops cleanly and may start again at `resume_at` (aware, UTC).
    """

    def __init__(self, message: str, *, resume_at: datetime, status: int | None = None, code: str = "", tid: str = "") -> None:
        super().__init__(message, status=status, code=code, tid=tid)
        self.resume_at = resume_at


class RateLimited(ConnectorError):
    """429: too many requests; retried after Retry-After or a backoff."""

    retriable = True

    def __init__(
        self, message: str, *, retry_after: Decimal | None = None, status: int | None = None, code: str = "", tid: str = ""
    ) -> None:
        super().__init__(message, status=status, code=code, tid=tid)
        self.retry_after = retry_after


class Transient(ConnectorError):
    """5xx, a timeout or a dropped connection: retried with backoff."""

    retriable = True


class BadRequest(ConnectorError):
    """A 4xx other than 401/404/429, or a Fault in a 200: our request is wrong. Never retried."""


class WindowTooLarge(BadRequest):
    """The source cannot list every change in the asked window (QBO CDC: 1,000 objects or more).

    Ask for a shorter window, or compare ids (`document_ids`) instead. Never retried.
    """


class NotFound(ConnectorError):
    """The object does not exist (404, or QBO's 'Object Not Found', code 610)."""


class MalformedResponse(ConnectorError):
    """The response body is not what the API documents (e.g. truncated JSON)."""

    retriable = True
