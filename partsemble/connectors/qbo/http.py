"""The QBO transport: one authorised GET with a timeout, retries, a token refresh on 401, typed errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from partsemble.connectors.errors import AuthError, ConnectorError, MalformedResponse, Transient
from partsemble.connectors.qbo.decoding import load_json
from partsemble.connectors.qbo.faults import (
    error_for_ok_fault,
    error_for_status,
    fault_from_json,
    fault_from_text,
    retry_after_seconds,
)
from partsemble.connectors.qbo.retry import RetryPolicy, Timeouts, log_failure, run_with_retries
from partsemble.connectors.transport import (
    TRANSIENT_REQUEST_ERRORS as TRANSIENT_REQUEST_ERRORS,
    TokenProvider as TokenProvider,
    describe_request_error as describe_request_error,
)

# Intuit ignores minor versions below 75 since 2025-08-01.
MINOR_VERSION = "75"


class QboHttp:
    """GETs against one QBO company; returns decoded JSON objects, raises ConnectorError subclasses only."""

    def __init__(
        self,
        session: requests.Session,
        *,
        api_base: str,
        realm_id: str,
        tokens: TokenProvider,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        self._session = session
        self._company_url = f"{api_base.rstrip('/')}/company/{realm_id}"
        self._realm_id = realm_id
        self._tokens = tokens
        self._timeouts = timeouts
        self._retry = retry

    @property
    def realm_id(self) -> str:
        return self._realm_id

    def query(self, statement: str) -> dict[str, Any]:
        """Run one query statement and return the whole decoded response.

        Raises:
            ConnectorError: as `get`.
        """
        return self.get("query", {"query": statement})

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """GET `{api_base}/company/{realm}/{path}` with minorversion=75 and return the decoded JSON object.

        Raises:
            AuthError: 401 twice, with a token refresh in between.
            NotFound: 404, or code 610 "Object Not Found" (in a 400 or a 200).
            BadRequest: any other 4xx, or a Fault inside a 200.
            RateLimited, Transient, MalformedResponse: still failing when the retries ran out.
            ConnectorError: a request that could not even be made.
        """
        url = f"{self._company_url}/{path}"
        query = {**(params or {}), "minorversion": MINOR_VERSION}
        where = f"GET {urlsplit(url).path}"
        refreshed = False

        def attempt() -> dict[str, Any]:
            nonlocal refreshed
            token = self._tokens.access_token()
            response = self._send(url, query, token, where)
            if response.status_code == 401 and not refreshed:
                log_failure(where, _unauthorized(response, where), "refreshing the access token once")
                token = self._tokens.refresh_after_unauthorized(token)
                # Only a refresh that worked counts: if the token endpoint was down, the
                # retry refreshes again rather than reporting our access as refused.
                refreshed = True
                response = self._send(url, query, token, where)
            return _decode(response, where)

        return run_with_retries(self._retry, attempt, where)

    def _send(self, url: str, query: Mapping[str, str], token: str, where: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            return self._session.get(url, params=query, headers=headers, timeout=self._timeouts.for_requests())
        except TRANSIENT_REQUEST_ERRORS as exc:
            raise Transient(f"{where}: {describe_request_error(exc)}") from exc
        except requests.exceptions.RequestException as exc:
            raise ConnectorError(f"{where}: request could not be made ({type(exc).__name__})") from exc


def _tid(response: requests.Response) -> str:
    return response.headers.get("intuit_tid", "")


def _unauthorized(response: requests.Response, where: str) -> ConnectorError:
    fault = fault_from_text(response.content.decode("utf-8", errors="replace"))
    return error_for_status(401, fault, where=where, tid=_tid(response))


def _decode(response: requests.Response, where: str) -> dict[str, Any]:
    """The JSON object of a 2xx response.

    Raises:
        AuthError, NotFound, BadRequest, RateLimited, Transient: by status, or by a Fault in a 2xx.
        MalformedResponse: a 2xx whose body is not a JSON object (retriable: it may be truncated).
    """
    status = response.status_code
    tid = _tid(response)
    text = response.content.decode("utf-8", errors="replace")
    if not 200 <= status < 300:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        error = error_for_status(status, fault_from_text(text), where=where, tid=tid, retry_after=retry_after)
        if status == 401:
            raise AuthError(f"{error.message} (after a token refresh)", status=status, code=error.code, tid=tid)
        raise error
    try:
        body = load_json(text)
    except ValueError:
        fault = fault_from_text(text)  # an XML Fault where JSON was asked for
        if fault is not None:
            raise error_for_ok_fault(fault, where=where, status=status, tid=tid) from None
        raise MalformedResponse(f"{where}: HTTP {status} body is not valid JSON", status=status, tid=tid) from None
    if not isinstance(body, dict):
        raise MalformedResponse(f"{where}: HTTP {status} body is not a JSON object", status=status, tid=tid)
    fault = fault_from_json(body)
    if fault is not None:
        raise error_for_ok_fault(fault, where=where, status=status, tid=tid)
    return body
