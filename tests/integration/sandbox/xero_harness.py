"""Test harness of the sandbox's Xero face: an app with Xero client credentials, and a client for
its API over the Flask test client, as a Xero client would call it."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sandbox_harness import make_app
from werkzeug.test import TestResponse

from partsemble.sandbox.xero.schema import DEMO_ORGANISATION, EMPTY_ORGANISATION

XERO_CLIENT_ID = "xero-test-client"
XERO_CLIENT_SECRET = "xero-test-secret"
XERO_REDIRECT_URI = "http://127.0.0.1:5000/connect/xero/callback"
DEMO_TENANT = DEMO_ORGANISATION.tenant_id
EMPTY_TENANT = EMPTY_ORGANISATION.tenant_id
API = "/sandbox/xero/api.xro/2.0"
TOKEN_URL = "/sandbox/xero/identity/connect/token"
REVOKE_URL = "/sandbox/xero/identity/connect/revocation"
AUTHORIZE_URL = "/sandbox/xero/identity/connect/authorize"
CONNECTIONS_URL = "/sandbox/xero/connections"


@pytest.fixture
def app(database_url: str) -> Flask:
    """The sandbox app with Xero client credentials (a Xero test module imports this fixture)."""
    return make_xero_app(database_url)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as test_client:
        yield test_client


def make_xero_app(database_url: str) -> Flask:
    # CSRF is proven on the sandbox's forms by test_sandbox_ui.py; here forms are posted directly.
    return make_app(
        database_url,
        XERO_CLIENT_ID=XERO_CLIENT_ID,
        XERO_CLIENT_SECRET=XERO_CLIENT_SECRET,
        XERO_REDIRECT_URI=XERO_REDIRECT_URI,
        WTF_CSRF_ENABLED=False,
    )


def basic(client_id: str = XERO_CLIENT_ID, secret: str = XERO_CLIENT_SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def body(response: TestResponse) -> Any:
    return json.loads(response.get_data(as_text=True), parse_float=Decimal)


class XeroApi:
    """Calls the Xero face as a client holding one access token would."""

    def __init__(self, client: FlaskClient, access_token: str, tenant_id: str | None = DEMO_TENANT) -> None:
        self.client = client
        self.access_token = access_token
        self.tenant_id = tenant_id

    def headers(self, **extra: str) -> dict[str, str]:
        found = {"Authorization": f"Bearer {self.access_token}", "Accept": "application/json", **extra}
        if self.tenant_id is not None:
            found["xero-tenant-id"] = self.tenant_id
        return found

    def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> TestResponse:
        return self.client.get(f"{API}/{path}", query_string=params, headers=self.headers(**(headers or {})))

    def rows(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        response = self.get(path, **params)
        assert response.status_code == 200, response.get_data(as_text=True)
        return list(body(response)[key])

    def refresh(self, refresh_token: str) -> TestResponse:
        return self.client.post(TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": refresh_token}, headers=basic())
