"""Intuit OAuth 2.0: authorize URL, code exchange, refresh, revoke."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from partsemble.config import INTUIT_AUTH_URL
from partsemble.connectors.errors import (
    AuthError,
    BadRequest,
    MalformedResponse,
    RateLimited,
    ReconnectRequired,
    Transient,
)
from partsemble.connectors.qbo import oauth
from partsemble.connectors.qbo.retry import RetryPolicy, Timeouts

TOKEN_URL = "https://oauth.test/oauth2/v1/tokens/bearer"
REVOKE_URL = "https://developer.test/v2/oauth2/tokens/revoke"
GRANTED_AT = datetime(2026, 5, 20, 17, 0, tzinfo=UTC)
BASIC = "Basic " + base64.b64encode(b"client-abc:secret-xyz").decode()


@pytest.fixture
def token_retry(fake_time) -> RetryPolicy:
    return RetryPolicy(max_retries=2, budget=Decimal(15), sleep=fake_time.sleep, random=lambda: Decimal(0), clock=fake_time.clock)


def refresh(token_retry: RetryPolicy) -> oauth.TokenSet:
    return oauth.refresh(
        requests.Session(),
        token_url=TOKEN_URL,
        client_id="client-abc",
        client_secret="secret-xyz",
        refresh_token="AB11-old-refresh",
        timeouts=Timeouts(connect=Decimal(4), read=Decimal(20)),
        retry=token_retry,
        now=lambda: GRANTED_AT,
    )


def test_authorize_url_asks_for_a_code_with_the_accounting_scope():
    url = oauth.authorize_url(INTUIT_AUTH_URL, "client-abc", "https://app.test/qbo/callback", "st4te")

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://appcenter.intuit.com/connect/oauth2"
    assert parse_qs(parts.query) == {
        "client_id": ["client-abc"],
        "response_type": ["code"],
        "scope": ["com.intuit.quickbooks.accounting"],
        "redirect_uri": ["https://app.test/qbo/callback"],
        "state": ["st4te"],
    }


def test_exchange_code_posts_the_form_with_basic_auth_and_returns_expiries(mocked, qbo_text):
    mocked.add(responses.POST, TOKEN_URL, body=qbo_text("token_response.json"), content_type="application/json")

    tokens = oauth.exchange_code(
        requests.Session(),
        token_url=TOKEN_URL,
        client_id="client-abc",
        client_secret="secret-xyz",
        code="AB11-code",
        redirect_uri="https://app.test/qbo/callback",
        now=lambda: GRANTED_AT,
    )

    assert tokens == oauth.TokenSet(
        access_token="eyJlbmMiOiJBMTI4Q0JDLUhTMjU2-access-token-from-fixture",
        refresh_token="AB11-refresh-token-from-fixture",
        expires_at=GRANTED_AT + timedelta(hours=1),
        refresh_expires_at=GRANTED_AT + timedelta(days=101),
    )
    request = mocked.calls[0].request
    assert request.headers["Authorization"] == BASIC
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.body) == {
        "grant_type": ["authorization_code"],
        "code": ["AB11-code"],
        "redirect_uri": ["https://app.test/qbo/callback"],
    }
    assert request.req_kwargs["timeout"] == (5, 60)


def test_refresh_posts_the_refresh_token(mocked, qbo_text, token_retry):
    mocked.add(responses.POST, TOKEN_URL, body=qbo_text("token_response.json"), content_type="application/json")

    tokens = refresh(token_retry)

    assert tokens.refresh_token == "AB11-refresh-token-from-fixture"
    assert tokens.expires_at == GRANTED_AT + timedelta(seconds=3600)
    request = mocked.calls[0].request
    assert parse_qs(request.body) == {"grant_type": ["refresh_token"], "refresh_token": ["AB11-old-refresh"]}
    assert request.headers["Authorization"] == BASIC
    assert request.req_kwargs["timeout"] == (4, 20)


def test_invalid_grant_raises_reconnect_required_without_retry(mocked, token_retry, fake_time):
    mocked.add(responses.POST, TOKEN_URL, json={"error": "invalid_grant"}, status=400)

    with pytest.raises(ReconnectRequired) as raised:
        refresh(token_retry)

    assert raised.value.code == "invalid_grant"
    assert len(mocked.calls) == 1
    assert fake_time.sleeps == []


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"error": "invalid_client"}, AuthError),
        (400, {"error": "invalid_request"}, BadRequest),
        (400, {"error": "unsupported_grant_type"}, BadRequest),
    ],
)
def test_other_token_refusals_are_not_retried(mocked, token_retry, status, body, error):
    mocked.add(responses.POST, TOKEN_URL, json=body, status=status)

    with pytest.raises(error) as raised:
        refresh(token_retry)

    assert type(raised.value) is error
    assert len(mocked.calls) == 1


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 503, "body": ""},
        {"status": 429, "body": ""},
        {"body": requests.exceptions.ConnectionError("reset")},
        {"body": requests.exceptions.ReadTimeout("slow")},
    ],
    ids=["503", "429", "connection-error", "read-timeout"],
)
def test_transient_token_failures_are_retried_then_succeed(mocked, qbo_text, token_retry, fake_time, failure):
    mocked.add(responses.POST, TOKEN_URL, **failure)
    mocked.add(responses.POST, TOKEN_URL, body=qbo_text("token_response.json"), content_type="application/json")

    assert refresh(token_retry).refresh_token == "AB11-refresh-token-from-fixture"
    assert fake_time.sleeps == [Decimal("0.5")]


@pytest.mark.parametrize(("status", "error"), [(500, Transient), (503, Transient), (429, RateLimited)])
def test_token_failures_that_persist_stop_after_the_retry_bound(mocked, token_retry, status, error):
    mocked.add(responses.POST, TOKEN_URL, body="", status=status)

    with pytest.raises(error):
        refresh(token_retry)

    assert len(mocked.calls) == (2 if status == 500 else 3)


@pytest.mark.parametrize(
    "body",
    [
        '{"access_token": "a", "refresh_token": "r", "expires_in": 36',
        json.dumps({"access_token": "a", "expires_in": 3600, "x_refresh_token_expires_in": 8726400}),
        json.dumps({"access_token": "a", "refresh_token": "r", "expires_in": "3600", "x_refresh_token_expires_in": 1}),
        json.dumps({"access_token": "a", "refresh_token": "r", "expires_in": 1, "x_refresh_token_expires_in": 10**20}),
    ],
    ids=["truncated", "no-refresh-token", "text-expiry", "absurd-expiry"],
)
def test_unreadable_token_answer_raises_malformed_response(mocked, token_retry, body):
    mocked.add(responses.POST, TOKEN_URL, body=body, content_type="application/json")

    with pytest.raises(MalformedResponse):
        refresh(token_retry)


def test_revoke_posts_json_with_basic_auth_and_reports_success(mocked):
    mocked.add(responses.POST, REVOKE_URL, body="", status=200)

    revoked = oauth.revoke(requests.Session(), revoke_url=REVOKE_URL, client_id="client-abc", client_secret="secret-xyz", token="AB11-r")

    assert revoked is True
    request = mocked.calls[0].request
    assert json.loads(request.body) == {"token": "AB11-r"}
    assert request.headers["Authorization"] == BASIC
    assert request.req_kwargs["timeout"] == (5, 60)


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 400, "json": {"error": "invalid_request"}},
        {"status": 503, "body": ""},
        {"body": requests.exceptions.ConnectionError("x")},
    ],
    ids=["400", "503", "connection-error"],
)
def test_revoke_is_best_effort_and_never_raises(mocked, failure):
    mocked.add(responses.POST, REVOKE_URL, **failure)

    revoked = oauth.revoke(requests.Session(), revoke_url=REVOKE_URL, client_id="client-abc", client_secret="secret-xyz", token="AB11-r")

    assert revoked is False


def test_token_set_repr_hides_the_tokens():
    tokens = oauth.TokenSet("access-SECRET", "refresh-SECRET", GRANTED_AT, GRANTED_AT)

    assert "SECRET" not in repr(tokens)
