"""Fixtures for the Xero connector tests: HTTP through `responses` (the parent conftest's `mocked`), no waits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses
from qbo_doubles import FakeTokens, as_json
from xero_doubles import API_BASE, TENANT

from partsemble.connectors.retry import RetryPolicy
from partsemble.connectors.xero.client import XeroSource
from partsemble.connectors.xero.http import XeroHttp

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def xero_http(tokens: FakeTokens, retry: RetryPolicy) -> XeroHttp:
    return XeroHttp(requests.Session(), tokens=tokens, tenant_id=TENANT, api_base=API_BASE, retry=retry, now=lambda: NOW)


@pytest.fixture
def xero(xero_http: XeroHttp) -> XeroSource:
    return XeroSource(xero_http)


@pytest.fixture
def answer(mocked: responses.RequestsMock) -> Callable[..., None]:
    """Register one GET answer under API_BASE/<path>: a body (exact Decimals), raw text, or an exception."""

    def add(
        path: str, body: Any, *, status: int = 200, headers: dict[str, str] | None = None, content_type: str = "application/json"
    ) -> None:
        url = path if path.startswith("http") else f"{API_BASE}/{path}"
        if isinstance(body, BaseException):
            mocked.add(responses.GET, url, body=body)
            return
        text = body if isinstance(body, str) else as_json(body)
        mocked.add(responses.GET, url, body=text, status=status, headers=headers, content_type=content_type)

    return add
