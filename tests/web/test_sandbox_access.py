"""The sandbox off the street: mounted only in debug, demo or test mode; its screens and controls
for an admin of the app, its consent page for a logged-in user, its API as Intuit's (tokens)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from partsemble import create_app
from partsemble.config import ConfigError, check
from partsemble.sandbox.blueprints import ui_bp
from partsemble.web.guard import is_public, view_role

STRONG_KEY = "partsemble-tests-only-Vq3h8ZkP0xLr2mN9sTbW4yEa7Cd1"
SCREENS = [
    "/sandbox/",
    "/sandbox/documents",
    "/sandbox/documents/new",
    "/sandbox/documents/invoice/1",
    "/sandbox/items",
    "/sandbox/items/new",
    "/sandbox/customers",
    "/sandbox/faults",
    "/sandbox/app/invoice?txnId=1",
]
CONTROLS = [
    "/sandbox/seed-demo",
    "/sandbox/faults",
    "/sandbox/faults/clear",
    "/sandbox/faults/seed",
    "/sandbox/faults/quirks",
    "/sandbox/faults/counters/reset",
    "/sandbox/faults/1/delete",
    "/sandbox/documents/invoice/1/void",
    "/sandbox/documents/invoice/1/delete",
    "/sandbox/documents/invoice/1/move",
    "/sandbox/customers",
]
CONSENT = (
    "/sandbox/oauth2/authorize?client_id=test-client&response_type=code"
    "&scope=com.intuit.quickbooks.accounting&redirect_uri=http://localhost/connections/qbo/callback&state=s1"
)


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    app_config.update(
        SANDBOX=True,
        QBO_CLIENT_ID="test-client",
        QBO_CLIENT_SECRET="test-secret",
        QBO_REDIRECT_URI="http://localhost/connections/qbo/callback",
    )
    return app_config


@pytest.mark.parametrize("settings", [{}, {"DEBUG": True}, {"DEMO": True}])
def test_the_sandbox_outside_debug_or_demo_is_refused_at_startup(app_config: dict[str, Any], settings: dict[str, bool]) -> None:
    production = {**app_config, "TESTING": False, "SECRET_KEY": STRONG_KEY, **settings}
    if settings:
        assert create_app(production).config["SANDBOX"] is True
    else:
        with pytest.raises(ConfigError, match="PARTSEMBLE_SANDBOX is on outside a demo.*PARTSEMBLE_DEMO=1"):
            create_app(production)


def test_without_the_sandbox_nothing_is_refused() -> None:
    check({"SECRET_KEY": STRONG_KEY, "SANDBOX": False}, debug=False, testing=False)


def test_every_screen_of_the_sandbox_is_for_admins(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith(ui_bp.name + ".")}
    assert len(endpoints) >= 15
    consent_pages = {"sandbox.authorize", "sandbox.xero_authorize"}  # whoever connects is a user, not always an admin
    for endpoint in endpoints - consent_pages:
        view = app.view_functions[endpoint]
        assert not is_public(view) and view_role(view) == "admin", endpoint
    assert not any(is_public(app.view_functions[endpoint]) for endpoint in consent_pages)


@pytest.mark.parametrize("path", SCREENS)
def test_an_anonymous_visitor_is_sent_to_login(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", CONTROLS)
def test_an_anonymous_post_changes_nothing(app: Flask, path: str) -> None:
    response = app.test_client().post(path, data={"confirm": "1"})
    assert response.status_code in (302, 400)  # to login, or refused for the missing CSRF token
    assert response.status_code == 400 or response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_users_who_are_not_admins_are_refused(app: Flask, browser_for: Any, role: str) -> None:
    browser = browser_for(role)
    for path in SCREENS:
        assert browser.get(path).status_code == 403, path
    for path in CONTROLS:
        assert browser.post(path).status_code == 403, path


def test_an_admin_uses_the_sandbox(app: Flask, admin: Any) -> None:
    assert admin.get("/sandbox/").status_code == 200
    assert admin.get("/sandbox/faults").status_code == 200
    cleared = admin.post("/sandbox/faults/clear")
    assert cleared.status_code == 302 and cleared.headers["Location"].endswith("/sandbox/faults")


def test_the_consent_page_needs_a_logged_in_user(app: Flask, member: Any) -> None:
    anonymous = app.test_client().get(CONSENT)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=/sandbox/oauth2/authorize")
    page = member.get(CONSENT)
    assert page.status_code == 200 and "wants to connect to" in page.get_data(as_text=True)


def test_the_api_and_token_endpoints_answer_as_intuit_without_a_login(app: Flask) -> None:
    client = app.test_client()
    token = client.post("/sandbox/oauth2/tokens/bearer", data={"grant_type": "refresh_token", "refresh_token": "x"})
    assert (token.status_code, token.get_json()) == (401, {"error": "invalid_client"})
    query = client.get("/sandbox/v3/company/1/query?query=select * from Item")
    assert query.status_code == 401


def test_logging_in_from_the_consent_page_comes_back_to_it(app: Flask, users: Any) -> None:
    from urllib.parse import parse_qs, urlsplit

    from tests.web.test_auth import login_form

    client = app.test_client()
    sent = client.get(CONSENT)
    next_ = parse_qs(urlsplit(sent.headers["Location"]).query)["next"][0]
    response = login_form(client, "viewer@example.com", "correct horse battery", next_)
    assert response.status_code == 302 and response.headers["Location"] == CONSENT
    assert "wants to connect to" in client.get(CONSENT).get_data(as_text=True)
