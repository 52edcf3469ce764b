"""The Xero transport: one authorised GET with a timeout, retries, a token refresh on 401, typed errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from partsemble.connectors.decoding import load_json
from partsemble.connectors.errors import AuthError, ConnectorError, MalformedResponse, Transient
from partsemble.connectors.retry import RetryPolicy, Timeouts, failure_log, run_with_retries
from partsemble.connectors.transport import TRANSIENT_REQUEST_ERRORS, TokenProvider, describe_request_error
from partsemble.connectors.xero.faults import correlation_id, error_for_response

logger = logging.getLogger(__name__)

API_BASE = "https://api.xero.com/api.xro/2.0"
CONNECTIONS_URL = "https://api.xero.com/connections"


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class XeroHttp:
    """Authorised GETs to Xero, for one organisation when `tenant_id` is given (every API call needs one;
    only the tenant list does without). Returns decoded JSON; raises ConnectorError subclasses only."""

    def __init__(
        self,
        session: requests.Session,
        *,
        tokens: TokenProvider,
        tenant_id: str | None,
        api_base: str = API_BASE,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._session = session
        self._tokens = tokens
        self._tenant_id = tenant_id
        self._api_base = api_base.rstrip("/")
        self._timeouts = timeouts
        self._retry = retry
        self._now = now

    @property
    def tenant_id(self) -> str | None:
        return self._tenant_id

    def get(self, path: str, params: Mapping[str, str] | None = None, *, modified_since: datetime | None = None) -> dict[str, Any]:
        """GET `{api_base}/{path}` for the organisation and return the decoded JSON object.

        `modified_since` becomes If-Modified-Since, in UTC to the second (rounded down, so nothing is missed).

        Raises:
            ValueError: no tenant id, or a naive `modified_since`.
            AuthError: 401 twice, with a token refresh in between. Forbidden: 403.
            NotFound: 404. BadRequest: any other 4xx.
            DailyLimitReached: the organisation's calls for the day are used up (never retried).
            RateLimited, Transient, MalformedResponse: still failing when the retries ran out.
        """
        if not self._tenant_id:
            raise ValueError("a Xero API call needs the organisation's tenant id")
        headers = {"xero-tenant-id": self._tenant_id}
        if modified_since is not None:
            if modified_since.utcoffset() is None:
                raise ValueError("modified_since must be timezone-aware")
            headers["If-Modified-Since"] = modified_since.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        body = self.get_url(f"{self._api_base}/{path.lstrip('/')}", params, headers)
        if not isinstance(body, dict):
            raise MalformedResponse(f"GET {urlsplit(self._api_base).path}/{path}: the body is not a JSON object")
        return body

    def get_url(self, url: str, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None) -> Any:
        """GET any Xero URL with the bearer token, retried and refreshed as `get` is; the decoded JSON.

        Raises:
            ConnectorError: as `get`.
        """
        where = f"GET {urlsplit(url).path}"
        refreshed = False

        def attempt() -> Any:
            nonlocal refreshed
            token = self._tokens.access_token()
            response = self._send(url, params, headers, token, where)
            if response.status_code == 401 and not refreshed:
                log_failure(where, error_for_response(response, where, self._now), "refreshing the access token once")
                token = self._tokens.refresh_after_unauthorized(token)
                # Only a refresh that worked counts: a token endpoint that was down is tried again on the retry.
                refreshed = True
                response = self._send(url, params, headers, token, where)
            return self._decode(response, where)

        return run_with_retries(self._retry, attempt, where, log_failure)

    def _send(
        self, url: str, params: Mapping[str, str] | None, headers: Mapping[str, str] | None, token: str, where: str
    ) -> requests.Response:
        sent = {"Authorization": f"Bearer {token}", "Accept": "application/json", **(headers or {})}
        try:
            return self._session.get(url, params=dict(params or {}), headers=sent, timeout=self._timeouts.for_requests())
        except TRANSIENT_REQUEST_ERRORS as exc:
            raise Transient(f"{where}: {describe_request_error(exc)}") from exc
        except requests.exceptions.RequestException as exc:
            raise ConnectorError(f"{where}: request could not be made ({type(exc).__name__})") from exc

    def _decode(self, response: requests.Response, where: str) -> Any:
        status = response.status_code
        if status == 304:
            return {}  # If-Modified-Since, and nothing changed since
        if not 200 <= status < 300:
            error = error_for_response(response, where, self._now)
            if status == 401:
                raise AuthError(f"{error.message} (after a token refresh)", status=status, tid=error.tid)
            raise error
        try:
            return load_json(response.content)
        except ValueError:
            # Retriable: a body cut off in transit reads like this.
            raise MalformedResponse(f"{where}: HTTP {status} body is not valid JSON", status=status, tid=correlation_id(response)) from None


log_failure = failure_log(logger, "Xero", "correlation_id")
