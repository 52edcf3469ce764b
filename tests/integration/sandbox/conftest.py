"""Fixtures: the sandbox mounted on a bare Flask app, served over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask
from sandbox_harness import CLIENT_ID, Api, company_today, make_app, serving

from partsemble.sandbox import SandboxCompany, TokenPair
from tests.conftest import DemoCompanies


@pytest.fixture(autouse=True)
def _app_context() -> Iterator[None]:
    """Overrides the integration suite's autouse app context: the sandbox suite runs on its own
    bare app and its own database, never Partsemble's."""
    yield


SEEDED = pytest.StashKey[Any]()


@pytest.fixture
def database_url(tmp_path: Any, request: pytest.FixtureRequest, demo_companies: DemoCompanies) -> str:
    """The sandbox's database; for a test that asks for `seeded`, a copy of the demo company made
    before anything opens it (seeded once per worker; test_sandbox_seed.py seeds for real)."""
    url = f"sqlite:///{tmp_path / 'sandbox.db'}"
    if "seeded" in request.fixturenames:
        request.node.stash[SEEDED] = demo_companies.copy_to(url, company_today())
    return url


@pytest.fixture
def app(database_url: str) -> Flask:
    return make_app(database_url)


@pytest.fixture
def company(app: Flask, database_url: str) -> Iterator[SandboxCompany]:
    opened = SandboxCompany.open(database_url)
    yield opened
    opened.close()


@pytest.fixture
def server(app: Flask, company: SandboxCompany) -> Iterator[str]:
    with serving(app) as base:
        yield base


@pytest.fixture
def seeded(company: SandboxCompany, request: pytest.FixtureRequest) -> Any:
    """What the demo company in this test's sandbox holds (see database_url)."""
    return request.node.stash[SEEDED]


@pytest.fixture
def http() -> Iterator[requests.Session]:
    session = requests.Session()
    yield session
    session.close()


@pytest.fixture
def token_pair(company: SandboxCompany) -> TokenPair:
    return company.issue_tokens(CLIENT_ID)


@pytest.fixture
def api(server: str, http: requests.Session, token_pair: TokenPair) -> Api:
    return Api(server, http, token_pair.access_token)
