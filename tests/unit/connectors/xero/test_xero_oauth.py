"""Xero OAuth: configurable scopes, HTTP Basic code exchange, rotating refresh tokens, the organisation list."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from qbo_doubles import FakeTokens
from xero_doubles import CONNECTIONS_URL, TENANT, TOKEN_URL

from partsemble.connectors.errors import AuthError, MalformedResponse, ReconnectRequired
from partsemble.connectors.retry import RetryPolicy
from partsemble.connectors.xero import oauth
from partsemble.connectors.xero.http import XeroHttp
from partsemble.connectors.xero.tenants import Tenant, disconnect, list_tenants

GRANTED_AT = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)


def grant(access: str, refresh_token: str) -> dict[str, object]:
    return {
        "id_token": "x",
        "access_token": access,
        "expires_in": 1800,
        "token_type": "Bearer",
        "refresh_token": refresh_token,
        "scope": "offline_access",
    }


def form(call: responses.Call) -> dict[str, str]:
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    return {key: values[0] for key, values in parse_qs(text).items()}


def test_authorize_url_carries_the_configured_scopes() -> None:
    url = oauth.authorize_url(
        "https://login.xero.test/identity/connect/authorize",
        "client-1",
        "https://app.test/cb",
        "state-9",
        ("offline_access", "accounting.invoices.read", "accounting.settings.read"),
    )
    query = parse_qs(urlsplit(url).query)
    assert query["scope"] == ["offline_access accounting.invoices.read accounting.settings.read"]
    assert (query["client_id"], query["response_type"], query["state"]) == (["client-1"], ["code"], ["state-9"])


def test_authorize_url_refuses_scopes_without_offline_access() -> None:
    with pytest.raises(ValueError, match="offline_access"):
        oauth.authorize_url("https://login.xero.test/a", "c", "https://app.test/cb", "s", ("accounting.transactions.read",))


def test_code_exchange_authenticates_with_http_basic(mocked: responses.RequestsMock, retry: RetryPolicy) -> None:
    mocked.add(responses.POST, TOKEN_URL, json=grant("access-1", "refresh-1"))
    tokens = oauth.exchange_code(
        requests.Session(),
        token_url=TOKEN_URL,
        client_id="client-1",
        client_secret="secret-1",
        code="code-1",
        redirect_uri="https://app.test/cb",
        retry=retry,
        now=lambda: GRANTED_AT,
    )
    call = mocked.calls[0]
    assert call.request.headers["Authorization"] == "Basic " + base64.b64encode(b"client-1:secret-1").decode()
    assert form(call) == {"grant_type": "authorization_code", "code": "code-1", "redirect_uri": "https://app.test/cb"}
    assert (tokens.access_token, tokens.refresh_token) == ("access-1", "refresh-1")
    assert tokens.expires_at == datetime(2026, 5, 20, 10, 30, tzinfo=UTC)
    assert tokens.refresh_expires_at == datetime(2026, 7, 19, 10, 0, tzinfo=UTC)


def test_refresh_returns_the_rotated_refresh_token(mocked: responses.RequestsMock, retry: RetryPolicy) -> None:
    mocked.add(responses.POST, TOKEN_URL, json=grant("access-2", "refresh-2"))
    mocked.add(responses.POST, TOKEN_URL, json=grant("access-3", "refresh-3"))
    session = requests.Session()
    first = oauth.refresh(session, token_url=TOKEN_URL, client_id="c", client_secret="s", refresh_token="refresh-1", retry=retry)
    second = oauth.refresh(session, token_url=TOKEN_URL, client_id="c", client_secret="s", refresh_token=first.refresh_token, retry=retry)
    assert [form(call)["refresh_token"] for call in mocked.calls] == ["refresh-1", "refresh-2"]
    assert (second.access_token, second.refresh_token) == ("access-3", "refresh-3")
    assert "refresh-3" not in repr(second)


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (400, {"error": "invalid_grant"}, ReconnectRequired, "Xero must be connected again"),
        (400, {"error": "invalid_client"}, AuthError, "client id or secret"),
        (200, {"access_token": "a"}, MalformedResponse, "lacks access_token or refresh_token"),
        (200, {"access_token": "a", "refresh_token": "r", "expires_in": "1800"}, MalformedResponse, "expires_in"),
    ],
)
def test_token_endpoint_failures(
    mocked: responses.RequestsMock, retry: RetryPolicy, status: int, body: dict[str, object], error: type[Exception], text: str
) -> None:
    mocked.add(responses.POST, TOKEN_URL, json=body, status=status)
    with pytest.raises(error, match=text):
        oauth.refresh(requests.Session(), token_url=TOKEN_URL, client_id="c", client_secret="s", refresh_token="r", retry=retry)


def test_tenants_are_listed_without_a_tenant_header(mocked: responses.RequestsMock, tokens: FakeTokens, retry: RetryPolicy) -> None:
    mocked.add(
        responses.GET,
        CONNECTIONS_URL,
        json=[
            {"id": "conn-1", "tenantId": TENANT, "tenantType": "ORGANISATION", "tenantName": "Stone Fountains Ltd"},
            {"id": "conn-2", "tenantId": "t-2", "tenantType": "PRACTICEMANAGER", "tenantName": "Practice"},
        ],
    )
    http = XeroHttp(requests.Session(), tokens=tokens, tenant_id=None, retry=retry)
    assert list_tenants(http, CONNECTIONS_URL) == [
        Tenant("conn-1", TENANT, "Stone Fountains Ltd", "ORGANISATION"),
        Tenant("conn-2", "t-2", "Practice", "PRACTICEMANAGER"),
    ]
    assert "xero-tenant-id" not in mocked.calls[0].request.headers
    with pytest.raises(ValueError, match="tenant id"):
        http.get("Invoices")


def test_disconnect_deletes_the_connection(mocked: responses.RequestsMock, tokens: FakeTokens) -> None:
    mocked.add(responses.DELETE, f"{CONNECTIONS_URL}/conn-1", status=204)
    assert disconnect(requests.Session(), tokens=tokens, connection_id="conn-1", connections_url=CONNECTIONS_URL)


def test_token_failures_log_and_say_no_token_or_secret(
    mocked: responses.RequestsMock, retry: RetryPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mocked.add(responses.POST, TOKEN_URL, body="upstream down", status=503)
    mocked.add(responses.POST, TOKEN_URL, json={"error": "invalid_grant"}, status=400)
    with pytest.raises(ReconnectRequired) as caught:
        oauth.refresh(
            requests.Session(),
            token_url=TOKEN_URL,
            client_id="c",
            client_secret="client-SECRET",
            refresh_token="refresh-SECRET",
            retry=retry,
        )
    assert "retrying" in caplog.text and "invalid_grant" in caplog.text
    assert "SECRET" not in caplog.text and "SECRET" not in str(caught.value)
