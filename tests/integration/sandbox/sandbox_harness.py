"""Test harness of the sandbox suite: a bare Flask app with the sandbox, a real HTTP server, a QBO client."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import requests
from flask import Flask
from flask_login import LoginManager, UserMixin
from flask_wtf import CSRFProtect

import partsemble.sandbox
from partsemble.sandbox import REALM_ID
from partsemble.sandbox.clock import local_date, now_us
from tests.reliability.live_server import serving  # noqa: F401  (the sandbox tests serve their app the same way)

CLIENT_ID = "partsemble-test-client"
CLIENT_SECRET = "partsemble-test-secret"
REDIRECT_URI = "http://127.0.0.1:5000/connect/qbo/callback"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def company_today() -> date:
    """Today in the company's time zone: the demo must be recent for the 30-day CDC window."""
    return local_date(now_us())


def stepping_clock(seconds_ago: int = 3600) -> Any:
    """A company clock that starts `seconds_ago` in the past and moves one second per change,
    for tests that need changes in a known order (the real clock lets a second's changes tie)."""
    start = now_us() // 1_000_000 * 1_000_000 - seconds_ago * 1_000_000
    ticks = iter(range(10**9))
    return lambda: start + next(ticks) * 1_000_000


def make_app(database_url: str, **config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(
        {
            "SECRET_KEY": "sandbox-tests",
            "SANDBOX_DATABASE_URL": database_url,
            "SANDBOX_ACCESS_TOKEN_LIFETIME": 3600,
            "QBO_CLIENT_ID": CLIENT_ID,
            "QBO_CLIENT_SECRET": CLIENT_SECRET,
            "QBO_REDIRECT_URI": REDIRECT_URI,
            **config,
        }
    )
    CSRFProtect().init_app(app)
    # The sandbox's screens are for an admin of the host app; this suite tests the sandbox, so every
    # request comes from one (tests/web/test_sandbox_access.py proves the guard on the real app).
    login_manager = LoginManager(app)
    login_manager.request_loader(lambda _request: HostAdmin())
    partsemble.sandbox.register(app)
    return app


class StaticTokens:
    """One sandbox access token for a connector; it does not expire within a test."""

    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        raise AssertionError("the sandbox token does not expire within a test")


class HostAdmin(UserMixin):
    """The logged-in admin of the host app, as far as the sandbox asks."""

    id = "host-admin"

    def has_role(self, role: str) -> bool:
        return True


class Api:
    """A plain requests client for the sandbox's QBO API, as a QBO client would call it."""

    def __init__(self, base: str, session: requests.Session, access_token: str, realm: str = REALM_ID) -> None:
        self.base = base
        self.session = session
        self.access_token = access_token
        self.realm = realm

    def url(self, path: str) -> str:
        return f"{self.base}/sandbox/v3/company/{self.realm}/{path}"

    def get(self, path: str, *, token: str | None = None, **params: Any) -> requests.Response:
        headers = {"Accept": "application/json", "Authorization": f"Bearer {token or self.access_token}"}
        return self.session.get(self.url(path), params={**params, "minorversion": "75"}, headers=headers, timeout=30)

    def query(self, text: str, **kwargs: Any) -> requests.Response:
        return self.get("query", query=text, **kwargs)

    def rows(self, text: str, entity: str) -> list[dict[str, Any]]:
        """The rows of a query that must succeed (an empty list when the answer has no entity key)."""
        response = self.query(text)
        assert response.status_code == 200, response.text
        return json.loads(response.text, parse_float=Decimal)["QueryResponse"].get(entity, [])

    def cdc(self, entities: str, changed_since: str) -> requests.Response:
        return self.get("cdc", entities=entities, changedSince=changed_since)


def csrf_token(session: requests.Session, url: str) -> str:
    """The CSRF token of the form on a page (the session keeps the cookie it belongs to)."""
    page = session.get(url, timeout=10)
    assert page.status_code == 200, page.text
    match = CSRF_INPUT.search(page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


class _FormReader(HTMLParser):
    """Collects what a browser would submit for one form: inputs, checked boxes, selected options."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self.select: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in ("submit", "button"):
            if attributes.get("type") != "checkbox" or "checked" in attributes:
                self.fields[name] = attributes.get("value", "")
        elif tag == "select" and name:
            self.select, self.first_option = name, None
        elif tag == "option" and self.select:
            value = attributes.get("value", "")
            if self.first_option is None:
                self.first_option = value
                self.fields.setdefault(self.select, value)
            if "selected" in attributes:
                self.fields[self.select] = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "form":
            self.inside = False


def form_fields(html: str, form_id: str) -> dict[str, str]:
    """The fields the form `form_id` would submit as the page stands."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.fields
