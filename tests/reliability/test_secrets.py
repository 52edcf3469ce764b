"""No token or secret ever shows: a whole connect (real OAuth endpoints of the sandbox), sync,
refresh, failure, expiry and disconnect, with every log record at DEBUG, every response (body
and headers), the session cookie, the stored messages and the sandbox's request log searched
for access tokens, refresh tokens, the client secret, the secret key and passwords."""

from __future__ import annotations

import base64
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import String, Text, select

from partsemble.extensions import db
from tests.conftest import PASSWORD, Browser
from tests.reliability.world import CLIENT_ID, CLIENT_SECRET, plain_tokens, stock_the_shelves

HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


class Recorder:
    """A browser that keeps every answer it got."""

    def __init__(self, person: Browser) -> None:
        self.person = person
        self.answers: list[tuple[str, int, str]] = []

    def _keep(self, path: str, response: Any) -> Any:
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.answers.append((path, response.status_code, headers + "\n" + response.get_data(as_text=True)))
        return response

    def get(self, path: str, **kw: Any) -> Any:
        return self._keep(path, self.person.get(path, **kw))

    def post(self, path: str, data: dict[str, str] | None = None, **kw: Any) -> Any:
        return self._keep(path, self.person.post(path, data, **kw))


def connect_through_the_sandbox(admin: Recorder, live: str, start: str) -> None:
    """Connect as a person would: Settings, QuickBooks' consent page, Approve, back to the callback."""
    leaving = admin.post("/connections/qbo/connect", {"initial_sync_date": start})
    assert leaving.status_code == 302
    consent = urlsplit(leaving.headers["Location"])
    assert f"{consent.scheme}://{consent.netloc}" == live
    page = admin.get(f"{consent.path}?{consent.query}")
    form = dict(HIDDEN_INPUT.findall(page.get_data(as_text=True)))
    approved = admin.post(consent.path, {**form, "decision": "approve"}, csrf=False)
    back = urlsplit(approved.headers["Location"])
    landed = admin.get(f"{back.path}?{back.query}")
    assert landed.status_code == 302 and "Connected to" in admin.get("/settings/connection").get_data(as_text=True)


def test_no_token_or_secret_appears_in_logs_pages_or_stored_messages(app, live, sandbox, company_150, users, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    app.config["QBO_REDIRECT_URI"] = f"{live}/connections/qbo/callback"
    stock_the_shelves(app, company_150)
    admin = Recorder(Browser(app.test_client()))
    admin.person.login("admin@example.com")
    member = Recorder(Browser(app.test_client()))
    member.person.login("member@example.com")
    tokens: set[str] = set()

    connect_through_the_sandbox(admin, live, company_150.start.isoformat())
    tokens.update(plain_tokens(app))
    assert "created" in member.post("/sales/sync", htmx=True).get_data(as_text=True)
    sandbox.expire_access_tokens()  # the next call answers 401: refresh, store the new pair, go on
    member.post("/sales/sync", htmx=True)
    tokens.update(plain_tokens(app))
    assert sandbox.counters().get("token.refresh_token", 0) == 1
    sandbox.add_fault("query", "server_error")  # a failing sync, a failing preview, a failing item refresh
    member.post("/sales/sync", htmx=True)
    member.post("/sales/preview", htmx=True)
    member.post("/items/refresh")
    sandbox.clear_faults()
    sandbox.revoke_token(plain_tokens(app)[1])  # the grant dies: invalid_grant, the connection expires
    sandbox.expire_access_tokens()
    member.post("/sales/sync", htmx=True)
    for path in ("/sales/", "/sales/runs", "/sales/runs/1", "/sales/runs/4", "/items/", "/settings/connection", "/sales/sync/progress"):
        member.get(path)
        admin.get(path)
    admin.post("/connections/qbo/disconnect")
    admin.get("/settings/connection")
    anonymous = Recorder(Browser(app.test_client()))
    anonymous.post("/login", {"email": "member@example.com", "password": "wrong " + PASSWORD}, csrf=False)

    assert len(tokens) == 4  # two pairs: the connection's, and the refreshed one
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    secrets = {*tokens, CLIENT_SECRET, basic, app.config["SECRET_KEY"], PASSWORD}
    with app.app_context():
        stored = [
            str(value)
            for table in db.metadata.sorted_tables
            for column in table.columns
            if isinstance(column.type, (String, Text)) and not column.name.endswith(("_enc", "password_hash"))
            for value in db.session.scalars(select(column))
            if value
        ]
        db.session.remove()
    logged = [f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    pages = [text for person in (admin, member, anonymous) for _, _, text in person.answers]
    cookies = [
        SecureCookieSessionInterface().get_signing_serializer(app).loads(c.value)  # type: ignore[union-attr]
        for person in (admin, member)
        for c in person.person.client._cookies.values()
        if c.key == "session"
    ]
    traffic = [f"{entry.path}?{entry.query}" for entry in sandbox.request_log()]
    assert len(logged) > 50 and len(pages) > 20 and len(stored) > 100 and cookies
    for secret in secrets:
        assert not [line for line in logged if secret in line], "a secret was logged"
        assert not [page for page in pages if secret in page], "a secret was in a page"
        assert not [value for value in stored if secret in value], "a secret was in a stored message"
        assert not [c for c in cookies if secret in str(c)], "a secret was in the session cookie"
        assert not [t for t in traffic if secret in t], "a secret was in a URL"
