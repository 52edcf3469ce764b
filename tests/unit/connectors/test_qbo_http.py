"""The QBO transport: headers, timeouts, error shapes, retries, the token refresh on 401, logging."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
import requests
from qbo_doubles import ACCESS_TOKEN, API_BASE, FRESH_ACCESS_TOKEN, QUERY_URL, REALM

from partsemble.connectors.errors import (
    AuthError,
    BadRequest,
    ConnectorError,
    MalformedResponse,
    NotFound,
    RateLimited,
    ReconnectRequired,
    Transient,
)
from partsemble.connectors.qbo.http import QboHttp
from partsemble.connectors.qbo.retry import RetryPolicy, Timeouts, wire_seconds

OK_BODY = {"QueryResponse": {}, "time": "2026-05-20T10:00:00.000-07:00"}


def test_get_sends_bearer_token_json_accept_minorversion_and_timeouts(tokens, retry, mocked, serve, sent_params):
    http = QboHttp(
        requests.Session(),
        api_base=API_BASE + "/",
        realm_id=REALM,
        tokens=tokens,
        timeouts=Timeouts(connect=Decimal("3.5"), read=Decimal(45)),
        retry=retry,
    )
    serve(OK_BODY)

    body = http.query("SELECT * FROM Item")

    assert body == OK_BODY
    request = mocked.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert request.headers["Accept"] == "application/json"
    assert sent_params() == [{"query": "SELECT * FROM Item", "minorversion": "75"}]
    assert request.req_kwargs["timeout"] == (3.5, 45)


def test_numbers_are_decimals_never_binary_fractions(http, serve):
    serve('{"QueryResponse": {"Item": [{"UnitPrice": 0.1, "Qty": 3}]}, "time": "2026-05-20T10:00:00Z"}')

    row = http.query("SELECT * FROM Item")["QueryResponse"]["Item"][0]

    assert row["UnitPrice"] == Decimal("0.1") and isinstance(row["UnitPrice"], Decimal)
    assert row["Qty"] == 3 and isinstance(row["Qty"], int)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(Decimal("3.5"), 3.5), (Decimal("0.0001"), 0.001), (Decimal(-2), 0), (Decimal(60), 60)],
)
def test_decimal_seconds_become_whole_milliseconds_for_the_standard_library(seconds, expected):
    assert wire_seconds(seconds) == expected


@pytest.mark.parametrize(
    ("status", "fixture", "content_type", "error", "code"),
    [
        (400, "fault_validation.json", "application/json", BadRequest, "4000"),
        (400, "fault_object_not_found.json", "application/json", NotFound, "610"),
        (200, "fault_validation.json", "application/json", BadRequest, "4000"),
        (200, "fault_object_not_found.json", "application/json", NotFound, "610"),
        (403, "fault_auth_lowercase.json", "application/json", BadRequest, "3200"),
        (404, "fault_object_not_found.json", "application/json", NotFound, "610"),
    ],
)
def test_fault_shapes_map_to_typed_errors_without_retry(
    http, serve, qbo_text, fake_time, mocked, status, fixture, content_type, error, code
):
    serve(qbo_text(fixture), status=status, content_type=content_type, headers={"intuit_tid": "1-tid"})

    with pytest.raises(error) as raised:
        http.query("SELECT * FROM Invoice")

    assert type(raised.value) is error
    assert raised.value.code == code
    assert raised.value.tid == "1-tid"
    assert raised.value.status == status
    assert len(mocked.calls) == 1
    assert fake_time.sleeps == []


@pytest.mark.parametrize(
    ("fixture", "content_type", "code"),
    [
        ("fault_auth_lowercase.json", "application/json", "3200"),
        ("fault_auth.xml", "text/xml", "100"),
        ("fault_validation.json", "application/json", "4000"),
    ],
)
def test_401_twice_raises_auth_error_after_one_refresh(http, serve, qbo_text, tokens, mocked, fixture, content_type, code):
    serve(qbo_text(fixture), status=401, content_type=content_type)
    serve(qbo_text(fixture), status=401, content_type=content_type)

    with pytest.raises(AuthError) as raised:
        http.query("SELECT * FROM Invoice")

    assert raised.value.code == code
    assert tokens.rejected == [ACCESS_TOKEN]
    assert [call.request.headers["Authorization"] for call in mocked.calls] == [
        f"Bearer {ACCESS_TOKEN}",
        f"Bearer {FRESH_ACCESS_TOKEN}",
    ]


def test_401_then_refresh_then_success(http, serve, qbo_text, tokens, mocked, fake_time):
    serve(qbo_text("fault_auth_lowercase.json"), status=401)
    serve(OK_BODY)

    assert http.query("SELECT * FROM Invoice") == OK_BODY

    assert tokens.rejected == [ACCESS_TOKEN]
    assert mocked.calls[1].request.headers["Authorization"] == f"Bearer {FRESH_ACCESS_TOKEN}"
    assert fake_time.sleeps == []


def test_401_after_a_refresh_and_a_retry_is_final(http, serve, qbo_text, tokens, mocked):
    serve(qbo_text("fault_auth_lowercase.json"), status=401)
    serve("", status=503)
    serve(qbo_text("fault_auth_lowercase.json"), status=401)

    with pytest.raises(AuthError):
        http.query("SELECT * FROM Invoice")

    assert tokens.rejected == [ACCESS_TOKEN]
    assert len(mocked.calls) == 3


def test_dead_refresh_token_surfaces_reconnect_required(http, serve, qbo_text, tokens, mocked):
    tokens.refresh_error = ReconnectRequired("invalid_grant")
    serve(qbo_text("fault_auth.xml"), status=401, content_type="text/xml")

    with pytest.raises(ReconnectRequired):
        http.query("SELECT * FROM Invoice")

    assert len(mocked.calls) == 1


@pytest.mark.parametrize(
    ("jitter", "expected_waits"),
    [
        (Decimal(0), [Decimal("0.5"), Decimal(1)]),
        (Decimal("0.5"), [Decimal("0.75"), Decimal("1.5")]),
    ],
)
def test_429_without_retry_after_backs_off_then_succeeds(tokens, fake_time, serve, qbo_text, mocked, jitter, expected_waits):
    retry = RetryPolicy(backoff_base=Decimal(1), sleep=fake_time.sleep, random=lambda: jitter, clock=fake_time.clock)
    http = QboHttp(requests.Session(), api_base=API_BASE, realm_id=REALM, tokens=tokens, retry=retry)
    serve(qbo_text("fault_throttle.xml"), status=429, content_type="application/xml")
    serve(qbo_text("fault_throttle.xml"), status=429, content_type="application/xml")
    serve(OK_BODY)

    assert http.query("SELECT * FROM Invoice") == OK_BODY

    assert fake_time.sleeps == expected_waits
    assert len(mocked.calls) == 3


SYSTEM_FAULT_IN_A_200 = {"Fault": {"type": "SystemFault", "Error": [{"Message": "A system fault occurred", "code": "10000"}]}}
THROTTLE_JSON = {
    "Fault": {"type": "ThrottleExceeded", "Error": [{"Message": "message=ThrottleExceeded; errorCode=003001", "code": "3001"}]}
}


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (403, "fault_throttle.xml", "application/xml"),
        (403, THROTTLE_JSON, "application/json"),
        (200, "fault_throttle.xml", "application/xml"),
        (200, THROTTLE_JSON, "application/json"),
        (200, SYSTEM_FAULT_IN_A_200, "application/json"),
    ],
)
def test_a_throttle_or_system_fault_is_retried_whatever_the_status(http, serve, qbo_text, fake_time, mocked, status, body, content_type):
    serve(qbo_text(body) if isinstance(body, str) else body, status=status, content_type=content_type)
    serve(qbo_text(body) if isinstance(body, str) else body, status=status, content_type=content_type)
    serve(OK_BODY)

    assert http.query("SELECT * FROM Invoice") == OK_BODY

    assert fake_time.sleeps == [Decimal("0.5"), Decimal(1)]  # the same backoff as a 429 or a 5xx
    assert len(mocked.calls) == 3


@pytest.mark.parametrize(("body", "error"), [(THROTTLE_JSON, RateLimited), (SYSTEM_FAULT_IN_A_200, Transient)])
def test_a_throttle_that_never_ends_stops_within_the_retry_bounds(tokens, fake_time, serve, mocked, body, error):
    retry = RetryPolicy(max_retries=2, backoff_base=Decimal(1), sleep=fake_time.sleep, random=lambda: Decimal(0), clock=fake_time.clock)
    http = QboHttp(requests.Session(), api_base=API_BASE, realm_id=REALM, tokens=tokens, retry=retry)
    for _ in range(3):
        serve(body)

    with pytest.raises(error):
        http.query("SELECT * FROM Invoice")

    assert len(mocked.calls) == 3


def test_429_with_retry_after_waits_that_long_then_succeeds(http, serve, qbo_text, fake_time, mocked):
    serve(qbo_text("fault_throttle.xml"), status=429, content_type="application/xml", headers={"Retry-After": "7"})
    serve(OK_BODY)

    assert http.query("SELECT * FROM Invoice") == OK_BODY

    assert fake_time.sleeps == [Decimal(7)]


def test_429_whose_retry_after_exceeds_the_budget_gives_up_at_once(http, serve, qbo_text, fake_time, mocked):
    serve(qbo_text("fault_throttle.xml"), status=429, content_type="application/xml", headers={"Retry-After": "600"})

    with pytest.raises(RateLimited) as raised:
        http.query("SELECT * FROM Invoice")

    assert raised.value.retry_after == Decimal(600)
    assert raised.value.code == "3001"
    assert fake_time.sleeps == []
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_twice_then_success(http, serve, fake_time, mocked, status):
    serve("<html>Service Unavailable</html>", status=status, content_type="text/html")
    serve("", status=status)
    serve(OK_BODY)

    assert http.query("SELECT * FROM Invoice") == OK_BODY

    assert fake_time.sleeps == [Decimal("0.5"), Decimal(1)]
    assert len(mocked.calls) == 3


def test_500_is_retried_once_only(http, serve, fake_time, mocked):
    serve("", status=500)
    serve("", status=500)

    with pytest.raises(Transient) as raised:
        http.query("SELECT * FROM Invoice")

    assert raised.value.status == 500
    assert len(mocked.calls) == 2
    assert fake_time.sleeps == [Decimal("0.5")]


@pytest.mark.parametrize(("status", "error"), [(400, BadRequest), (403, BadRequest), (404, NotFound), (409, BadRequest)])
def test_other_4xx_is_not_retried(http, serve, qbo_text, fake_time, mocked, status, error):
    serve(qbo_text("fault_validation.json"), status=status)

    with pytest.raises(error):
        http.query("SELECT * FROM Invoice")

    assert len(mocked.calls) == 1
    assert fake_time.sleeps == []


def test_retries_stop_after_max_retries(tokens, fake_time, serve, mocked):
    retry = RetryPolicy(max_retries=3, budget=Decimal(1000), sleep=fake_time.sleep, random=lambda: Decimal(0), clock=fake_time.clock)
    http = QboHttp(requests.Session(), api_base=API_BASE, realm_id=REALM, tokens=tokens, retry=retry)
    serve("", status=503)

    with pytest.raises(Transient):
        http.query("SELECT * FROM Invoice")

    assert len(mocked.calls) == 4
    assert fake_time.sleeps == [Decimal("0.5"), Decimal(1), Decimal(2)]


def test_retries_stop_when_the_next_wait_would_exceed_the_budget(tokens, fake_time, serve, mocked):
    retry = RetryPolicy(max_retries=10, budget=Decimal("2.5"), sleep=fake_time.sleep, random=lambda: Decimal(0), clock=fake_time.clock)
    http = QboHttp(requests.Session(), api_base=API_BASE, realm_id=REALM, tokens=tokens, retry=retry)
    serve("", status=503)

    with pytest.raises(Transient):
        http.query("SELECT * FROM Invoice")

    # 0.5 + 1 spent; the next wait of 2 would end at 3.5 > 2.5.
    assert fake_time.sleeps == [Decimal("0.5"), Decimal(1)]
    assert len(mocked.calls) == 3


@pytest.mark.parametrize(
    "failure",
    [
        requests.exceptions.ConnectionError("connection reset"),
        requests.exceptions.ConnectTimeout("connect timed out"),
        requests.exceptions.ReadTimeout("read timed out"),
        requests.exceptions.ChunkedEncodingError("connection broken"),
    ],
    ids=["connection-error", "connect-timeout", "read-timeout", "chunked-encoding"],
)
def test_connection_errors_and_timeouts_are_retried(http, serve, fake_time, mocked, failure):
    serve(failure)
    serve(OK_BODY)

    assert http.query("SELECT * FROM Invoice") == OK_BODY

    assert fake_time.sleeps == [Decimal("0.5")]


def test_connection_error_that_persists_raises_transient_not_a_requests_error(http, serve, mocked):
    serve(requests.exceptions.ConnectionError("connection refused"))

    with pytest.raises(Transient) as raised:
        http.query("SELECT * FROM Invoice")

    assert not isinstance(raised.value, requests.exceptions.RequestException)
    assert len(mocked.calls) == 5


def test_truncated_json_is_retried_then_succeeds(http, serve, fake_time, mocked):
    serve('{"QueryResponse": {"Invoice": [{"Id": "1"')
    serve(OK_BODY)

    assert http.query("SELECT * FROM Invoice") == OK_BODY

    assert len(mocked.calls) == 2


@pytest.mark.parametrize(
    "body",
    [
        '{"QueryResponse": {"Invoice": [{"Id": "1"',
        '{"QueryResponse": {}, "Amount": NaN}',
        '{"QueryResponse": {}, "Amount": -Infinity}',
        '["not", "an", "object"]',
        "",
    ],
    ids=["truncated", "nan", "infinity", "array", "empty"],
)
def test_body_that_stays_unreadable_raises_malformed_response(http, serve, mocked, body):
    serve(body)

    with pytest.raises(MalformedResponse):
        http.query("SELECT * FROM Invoice")

    assert len(mocked.calls) == 5


def test_request_that_cannot_be_made_raises_connector_error(tokens, retry):
    http = QboHttp(requests.Session(), api_base="qbo.test/v3", realm_id=REALM, tokens=tokens, retry=retry)

    with pytest.raises(ConnectorError) as raised:
        http.query("SELECT * FROM Invoice")

    assert not raised.value.retriable


def test_failure_log_names_method_path_status_code_and_tid_but_not_the_url(http, serve, qbo_text, caplog):
    serve(qbo_text("fault_validation.json"), status=400, headers={"intuit_tid": "1-5f2c-tid"})
    caplog.set_level(logging.DEBUG)

    with pytest.raises(BadRequest):
        http.query("SELECT * FROM Invoice WHERE DocNumber = 'secret-ish'")

    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1
    assert f"GET /v3/company/{REALM}/query" in messages[0]
    assert "status=400" in messages[0]
    assert "code=4000" in messages[0]
    assert "intuit_tid=1-5f2c-tid" in messages[0]
    assert "secret-ish" not in messages[0]
    assert QUERY_URL not in messages[0]


def test_every_retried_failure_is_logged(http, serve, caplog):
    serve("", status=503, headers={"intuit_tid": "1-first"})
    serve("", status=502, headers={"intuit_tid": "1-second"})
    serve(OK_BODY)
    caplog.set_level(logging.WARNING)

    http.query("SELECT * FROM Invoice")

    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "status=503" in messages[0] and "intuit_tid=1-first" in messages[0] and "retrying" in messages[0]
    assert "status=502" in messages[1] and "intuit_tid=1-second" in messages[1]
