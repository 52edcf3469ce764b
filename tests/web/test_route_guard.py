"""Every route needs login; every state change is a POST with CSRF; roles hold on the server.

The routes are walked from app.url_map, so a route added later is covered too.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask

from partsemble.web.guard import is_public, view_role

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def concrete(rule) -> str:  # type: ignore[no-untyped-def]
    """The rule's path with every variable filled with 1, or with the first choice of an any(...) converter."""

    def value(match: re.Match[str]) -> str:
        choices = re.fullmatch(r"any\((.*)\)", match.group(1) or "")
        return choices.group(1).split(",")[0].strip() if choices else "1"

    return re.sub(r"<(?:([^:>]+):)?[^>]+>", value, rule.rule)


def routes(app: Flask, methods: set[str]):  # type: ignore[no-untyped-def]
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == "static" or is_public(view):
            continue
        if rule.methods & methods:
            yield rule, view


def test_public_views_are_only_login_and_the_sandbox(app) -> None:  # type: ignore[no-untyped-def]
    public = {rule.endpoint for rule in app.url_map.iter_rules() if is_public(app.view_functions[rule.endpoint])}
    assert {e for e in public if not e.startswith("sandbox")} == {"auth.login", "favicon"}


def test_every_page_redirects_an_anonymous_visitor_to_login(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    checked = 0
    for rule, _view in routes(app, {"GET"}):
        response = client.get(concrete(rule))
        assert response.status_code == 302, rule.rule
        assert response.headers["Location"].startswith("/login"), rule.rule
        checked += 1
    assert checked >= 15


def test_anonymous_htmx_requests_are_told_to_go_to_login(app) -> None:  # type: ignore[no-untyped-def]
    response = app.test_client().get("/products/", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login"


def test_a_viewer_is_refused_every_state_changing_route(app, viewer) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for rule, view in routes(app, STATE_CHANGING):
        if view_role(view) == "viewer":
            continue  # log out, own password: for every user
        response = viewer.post(concrete(rule))
        assert response.status_code == 403, rule.rule
        checked += 1
    assert checked >= 8


def test_member_post_without_csrf_token_is_refused(app, member) -> None:  # type: ignore[no-untyped-def]
    for rule, _view in routes(app, STATE_CHANGING):
        response = member.post(concrete(rule), csrf=False)
        assert response.status_code == 400, rule.rule
        assert "did not come from this site" in response.get_data(as_text=True)


def test_htmx_post_with_a_wrong_csrf_header_is_refused(app, member) -> None:  # type: ignore[no-untyped-def]
    response = member.client.post("/products/new", headers={"HX-Request": "true", "X-CSRFToken": "forged"})
    assert response.status_code == 400


ADMIN_ONLY = ["/settings/users", "/settings/users/1"]


@pytest.mark.parametrize("path", ADMIN_ONLY)
@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("member", 403), ("admin", 200)])
def test_admin_pages_by_role(app, browser_for, path, role, status) -> None:  # type: ignore[no-untyped-def]
    assert browser_for(role).get(path).status_code == status


def test_security_headers_on_every_response(app, member) -> None:  # type: ignore[no-untyped-def]
    for response in (member.get("/products/"), app.test_client().get("/login"), member.get("/nope")):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_httponly_and_samesite(app, users) -> None:  # type: ignore[no-untyped-def]
    from tests.web.test_auth import login_form

    response = login_form(app.test_client(), "member@example.com", "correct horse battery")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookies_are_secure_behind_https(tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    from partsemble import config
    from tests.conftest import base_config

    settings = config.load({"PARTSEMBLE_HTTPS": "1"}, str(tmp_path))
    assert settings["SESSION_COOKIE_SECURE"] is True and settings["REMEMBER_COOKIE_SECURE"] is True
    assert base_config(tmp_path, db_url)["SECRET_KEY"]


def test_no_inline_script_in_pages(app, member) -> None:  # type: ignore[no-untyped-def]
    html = member.get("/products/").get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html
