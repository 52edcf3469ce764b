"""Xero's errors through XeroHttp: limits, token expiry, refusals, validation, outages; each a clear ConnectorError."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import requests
import responses
from qbo_doubles import FakeTime, FakeTokens
from xero_doubles import page_of

from partsemble.connectors.errors import (
    AuthError,
    BadRequest,
    DailyLimitReached,
    Forbidden,
    MalformedResponse,
    NotFound,
    RateLimited,
    ReconnectRequired,
    Transient,
)
from partsemble.connectors.xero.http import XeroHttp

Answer = Callable[..., None]
TOKEN_EXPIRED = {"Type": None, "Title": "Unauthorized", "Status": 401, "Detail": "TokenExpired: token expired at 05/20/2026 09:58:00"}
VALIDATION = {
    "ErrorNumber": 10,
    "Type": "ValidationException",
    "Message": "A validation exception occurred",
    "Elements": [{"ValidationErrors": [{"Message": "The where clause is not valid"}, {"Message": "Date must be a DateTime"}]}],
}


def test_minute_limit_waits_retry_after_then_succeeds(xero_http: XeroHttp, answer: Answer, fake_time: FakeTime) -> None:
    answer(
        "Items",
        "Rate limit exceeded",
        status=429,
        headers={"Retry-After": "7", "X-Rate-Limit-Problem": "minute"},
        content_type="text/plain",
    )
    answer("Items", page_of("Items", []))
    assert xero_http.get("Items")["Items"] == []
    assert fake_time.sleeps == [Decimal(7)]


def test_minute_limit_that_outlasts_the_budget_gives_up_as_rate_limited(xero_http: XeroHttp, answer: Answer, fake_time: FakeTime) -> None:
    answer("Items", "", status=429, headers={"Retry-After": "500", "X-Rate-Limit-Problem": "minute"})
    with pytest.raises(RateLimited, match="minute limit"):
        xero_http.get("Items")
    assert fake_time.sleeps == []


def test_day_limit_stops_at_once_with_the_time_the_sync_can_resume(xero_http: XeroHttp, answer: Answer, fake_time: FakeTime) -> None:
    answer("Invoices", "", status=429, headers={"Retry-After": "36000", "X-Rate-Limit-Problem": "day"})
    with pytest.raises(DailyLimitReached) as caught:
        xero_http.get("Invoices")
    assert caught.value.resume_at == datetime(2026, 5, 20, 20, 0, tzinfo=UTC)
    assert "daily limit" in caught.value.message and "2026-05-20T20:00+00:00" in caught.value.message
    assert not caught.value.retriable and fake_time.sleeps == []


def test_day_limit_without_retry_after_waits_a_whole_day(xero_http: XeroHttp, answer: Answer) -> None:
    answer("Invoices", "", status=429, headers={"X-Rate-Limit-Problem": "Day"})
    with pytest.raises(DailyLimitReached) as caught:
        xero_http.get("Invoices")
    assert caught.value.resume_at == datetime(2026, 5, 21, 10, 0, tzinfo=UTC)


def test_expired_token_is_refreshed_once_and_the_call_repeated(
    xero_http: XeroHttp, answer: Answer, tokens: FakeTokens, mocked: responses.RequestsMock
) -> None:
    answer("Items", TOKEN_EXPIRED, status=401, content_type="application/problem+json")
    answer("Items", page_of("Items", []))
    xero_http.get("Items")
    assert tokens.rejected == ["access-token-one-SECRET"]
    assert mocked.calls[1].request.headers["Authorization"] == "Bearer access-token-two-SECRET"


def test_a_token_refused_after_the_refresh_is_an_auth_error_saying_why(xero_http: XeroHttp, answer: Answer) -> None:
    answer("Items", TOKEN_EXPIRED, status=401, content_type="application/problem+json")
    answer("Items", TOKEN_EXPIRED, status=401, content_type="application/problem+json")
    with pytest.raises(AuthError, match=r"HTTP 401: Unauthorized: TokenExpired: token expired at .*after a token refresh"):
        xero_http.get("Items")


def test_a_dead_refresh_token_surfaces_as_reconnect_required(xero_http: XeroHttp, answer: Answer, tokens: FakeTokens) -> None:
    tokens.refresh_error = ReconnectRequired("Xero must be connected again")
    answer("Items", TOKEN_EXPIRED, status=401, content_type="application/problem+json")
    with pytest.raises(ReconnectRequired):
        xero_http.get("Items")


def test_forbidden_organisation_says_to_reconnect(xero_http: XeroHttp, answer: Answer, fake_time: FakeTime) -> None:
    answer("Invoices", {"Title": "Forbidden", "Status": 403, "Detail": "AuthenticationUnsuccessful"}, status=403)
    with pytest.raises(Forbidden) as caught:
        xero_http.get("Invoices")
    assert "HTTP 403: Forbidden: AuthenticationUnsuccessful" in caught.value.message
    assert "disconnected in Xero" in caught.value.message and "reconnect Xero" in caught.value.message
    assert fake_time.sleeps == []


def test_validation_errors_are_read_into_the_message(xero_http: XeroHttp, answer: Answer) -> None:
    answer("Invoices", VALIDATION, status=400)
    with pytest.raises(BadRequest) as caught:
        xero_http.get("Invoices")
    assert caught.value.message == (
        "GET /api.xro/2.0/Invoices: Xero rejected the request (HTTP 400: The where clause is not valid; Date must be a DateTime)"
    )
    assert caught.value.code == "ValidationException"


def test_not_found_is_not_retried(xero_http: XeroHttp, answer: Answer, fake_time: FakeTime) -> None:
    answer("Items/x", "The resource you're looking for cannot be found", status=404, content_type="text/plain")
    with pytest.raises(NotFound, match="cannot be found"):
        xero_http.get("Items/x")
    assert fake_time.sleeps == []


def test_server_errors_and_dropped_connections_are_retried(xero_http: XeroHttp, answer: Answer, fake_time: FakeTime) -> None:
    answer("Items", "<html>Service Unavailable</html>", status=503, content_type="text/html")
    answer("Items", requests.exceptions.ConnectionError("connection reset"))
    answer("Items", '{"Items": [', status=200)  # cut off in transit
    answer("Items", page_of("Items", []))
    assert xero_http.get("Items")["Items"] == []
    assert fake_time.sleeps == [Decimal("0.5"), Decimal(1), Decimal(2)]


def test_outage_that_lasts_gives_up_as_transient(xero_http: XeroHttp, answer: Answer) -> None:
    for _ in range(5):
        answer("Items", "", status=502)
    with pytest.raises(Transient, match="HTTP 502"):
        xero_http.get("Items")


def test_a_body_that_is_not_an_object_is_malformed(xero_http: XeroHttp, answer: Answer) -> None:
    answer("Items", "[1, 2]")  # whole, so asking again would get the same
    with pytest.raises(MalformedResponse, match="not a JSON object"):
        xero_http.get("Items")


def test_failures_are_logged_with_the_correlation_id_and_never_the_token(
    xero_http: XeroHttp, answer: Answer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer("Items", "", status=503, headers={"Xero-Correlation-Id": "corr-123"})
    answer("Items", page_of("Items", []))
    xero_http.get("Items")
    assert "correlation_id=corr-123" in caplog.text and "retrying" in caplog.text
    assert "SECRET" not in caplog.text
