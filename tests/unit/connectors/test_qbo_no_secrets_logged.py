"""No log record and no raised error ever carries an access or refresh token."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal

import pytest
import requests
import responses
from qbo_doubles import ACCESS_TOKEN, FRESH_ACCESS_TOKEN, QUERY_URL, FakeTokens

from partsemble.connectors.errors import ConnectorError, ReconnectRequired
from partsemble.connectors.qbo import oauth
from partsemble.connectors.qbo.http import QboHttp
from partsemble.connectors.qbo.retry import RetryPolicy

TOKEN_URL = "https://oauth.test/oauth2/v1/tokens/bearer"
REVOKE_URL = "https://developer.test/v2/oauth2/tokens/revoke"
REFRESH_TOKEN = "AB11-refresh-SECRET-7731"
NEW_ACCESS = "eyJ-new-access-SECRET-1188"
NEW_REFRESH = "AB11-new-refresh-SECRET-5521"
CLIENT_SECRET = "client-secret-SECRET-0042"
SECRETS = (ACCESS_TOKEN, FRESH_ACCESS_TOKEN, REFRESH_TOKEN, NEW_ACCESS, NEW_REFRESH, CLIENT_SECRET)
GRANT = {
    "access_token": NEW_ACCESS,
    "refresh_token": NEW_REFRESH,
    "expires_in": 3600,
    "x_refresh_token_expires_in": 8726400,
}

NO_WAIT = RetryPolicy(max_retries=2, sleep=lambda seconds: None, random=lambda: Decimal(0))


def _http(tokens: FakeTokens | None = None) -> QboHttp:
    return QboHttp(requests.Session(), api_base="https://qbo.test/v3", realm_id="9341453", tokens=tokens or FakeTokens(), retry=NO_WAIT)


def _refresh() -> object:
    return oauth.refresh(
        requests.Session(),
        token_url=TOKEN_URL,
        client_id="client-abc",
        client_secret=CLIENT_SECRET,
        refresh_token=REFRESH_TOKEN,
        retry=NO_WAIT,
    )


def unauthorized_twice(rsps: responses.RequestsMock) -> None:
    fault = {"fault": {"error": [{"message": "AuthenticationFailed", "code": "3200"}], "type": "AUTHENTICATION"}}
    rsps.add(responses.GET, QUERY_URL, status=401, json=fault)
    _http().query("SELECT * FROM Invoice")


def refresh_dies(rsps: responses.RequestsMock) -> None:
    tokens = FakeTokens()
    tokens.refresh_error = ReconnectRequired("QuickBooks must be connected again")
    rsps.add(responses.GET, QUERY_URL, status=401, body='<Fault type="AuthenticationFault"><Error code="100"/></Fault>')
    _http(tokens).query("SELECT * FROM Invoice")


def throttled_then_broken(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.GET, QUERY_URL, status=429, body='<Fault type="SERVICE"><Error code="3001"/></Fault>')
    # Even an exception text that quotes the header must not reach a log or an error.
    leaky = requests.exceptions.ConnectionError(f"reset while sending Bearer {ACCESS_TOKEN}")
    rsps.add(responses.GET, QUERY_URL, body=leaky)
    rsps.add(responses.GET, QUERY_URL, body='{"QueryResponse": {')
    _http().query("SELECT * FROM Invoice")


def refresh_invalid_grant(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})
    _refresh()


def refresh_flaky_then_granted(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.POST, TOKEN_URL, status=503, body="")
    rsps.add(responses.POST, TOKEN_URL, body=requests.exceptions.ReadTimeout("slow"))
    rsps.add(responses.POST, TOKEN_URL, json=GRANT)
    _refresh()


def refresh_grant_without_expiry(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.POST, TOKEN_URL, json={"access_token": NEW_ACCESS, "refresh_token": NEW_REFRESH})
    _refresh()


def exchange_invalid_grant(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})
    oauth.exchange_code(
        requests.Session(),
        token_url=TOKEN_URL,
        client_id="client-abc",
        client_secret=CLIENT_SECRET,
        code="code-1",
        redirect_uri="https://app.test/cb",
        retry=NO_WAIT,
    )


def revoke_refused(rsps: responses.RequestsMock) -> None:
    rsps.add(responses.POST, REVOKE_URL, status=400, json={"error": "invalid_request"})
    rsps.add(responses.POST, REVOKE_URL, body=requests.exceptions.ConnectionError("reset"))
    for _ in range(2):
        oauth.revoke(
            requests.Session(),
            revoke_url=REVOKE_URL,
            client_id="client-abc",
            client_secret=CLIENT_SECRET,
            token=REFRESH_TOKEN,
        )


@pytest.mark.parametrize(
    "scenario",
    [
        unauthorized_twice,
        refresh_dies,
        throttled_then_broken,
        refresh_invalid_grant,
        refresh_flaky_then_granted,
        refresh_grant_without_expiry,
        exchange_invalid_grant,
        revoke_refused,
    ],
)
def test_no_log_record_or_error_contains_a_token(caplog, scenario: Callable[[responses.RequestsMock], None]):
    caplog.set_level(logging.DEBUG)
    raised: BaseException | None = None
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        try:
            scenario(rsps)
        except ConnectorError as error:
            raised = error

    assert caplog.records, "the scenario should have logged its failures"
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "") + repr(record.args)
        for secret in SECRETS:
            assert secret not in text, f"{secret} leaked into log: {text}"
    if raised is not None:
        for secret in SECRETS:
            assert secret not in str(raised) and secret not in repr(raised)
