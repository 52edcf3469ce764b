"""Fakes and fixtures for the QBO connector tests: HTTP through `responses`, no network, no real waits."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from qbo_doubles import API_BASE, FIXTURES, QUERY_URL, REALM, FakeTime, FakeTokens, as_json, load_json

from partsemble.connectors.qbo.client import QboSource
from partsemble.connectors.qbo.http import QboHttp
from partsemble.connectors.qbo.retry import RetryPolicy


@pytest.fixture(scope="session")
def qbo_json() -> Callable[[str], Any]:
    """Load tests/fixtures/qbo/<name> as Decimal-parsed JSON (a fresh copy each call)."""
    cache: dict[str, Any] = {}

    def load(name: str) -> Any:
        if name not in cache:
            cache[name] = load_json(name)
        return copy.deepcopy(cache[name])

    return load


@pytest.fixture(scope="session")
def qbo_text() -> Callable[[str], str]:
    """The raw text of tests/fixtures/qbo/<name>."""
    return lambda name: (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """Every HTTP request must match a registered response, and every registered one must be used."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def tokens() -> FakeTokens:
    return FakeTokens()


@pytest.fixture
def retry(fake_time: FakeTime) -> RetryPolicy:
    """Up to 4 retries within 100 s, backoff 1 s doubling, no jitter."""
    return RetryPolicy(
        max_retries=4,
        budget=Decimal(100),
        backoff_base=Decimal(1),
        backoff_cap=Decimal(60),
        sleep=fake_time.sleep,
        random=lambda: Decimal(0),
        clock=fake_time.clock,
    )


@pytest.fixture
def http(tokens: FakeTokens, retry: RetryPolicy) -> QboHttp:
    return QboHttp(requests.Session(), api_base=API_BASE, realm_id=REALM, tokens=tokens, retry=retry)


@pytest.fixture
def source(http: QboHttp) -> QboSource:
    return QboSource(http)


@pytest.fixture
def sent_params(mocked: responses.RequestsMock) -> Callable[[], list[dict[str, str]]]:
    """The query-string parameters of every request made so far, in order."""

    def params() -> list[dict[str, str]]:
        return [{key: values[0] for key, values in parse_qs(urlsplit(call.request.url or "").query).items()} for call in mocked.calls]

    return params


@pytest.fixture
def sent_queries(sent_params: Callable[[], list[dict[str, str]]]) -> Callable[[], list[str]]:
    """The `query` statement of every request made so far, in order."""
    return lambda: [params.get("query", "") for params in sent_params()]


@pytest.fixture
def serve(mocked: responses.RequestsMock) -> Callable[..., None]:
    """Register one GET answer: a body (dict encoded with exact Decimal numbers, or raw text) or an exception."""

    def add(
        body: Any,
        *,
        status: int = 200,
        url: str = QUERY_URL,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        if isinstance(body, BaseException):
            mocked.add(responses.GET, url, body=body)
            return
        text = body if isinstance(body, str) else as_json(body)
        mocked.add(responses.GET, url, body=text, status=status, headers=headers, content_type=content_type)

    return add


@pytest.fixture
def query_body() -> Callable[..., dict[str, Any]]:
    """A query response as QBO shapes it; no rows means no entity key at all."""

    def build(entity: str, rows: list[Any], time: str = "2026-05-20T10:00:00.000-07:00") -> dict[str, Any]:
        if not rows:
            return {"QueryResponse": {}, "time": time}
        return {"QueryResponse": {entity: rows, "startPosition": 1, "maxResults": len(rows)}, "time": time}

    return build
