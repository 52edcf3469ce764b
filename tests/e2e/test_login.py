"""Scenario 1: logging in, and a wrong password that opens no session."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.flows import login
from tests.e2e.server import ADMIN_EMAIL, LiveServer

pytestmark = pytest.mark.e2e


def test_wrong_password_shows_an_error_and_opens_no_session(page: Page, server: LiveServer, shot) -> None:  # type: ignore[no-untyped-def]
    page.goto("/sales/")
    page.wait_for_url(re.compile(r"/login\?next="))

    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Password")).to_have_value("")
    shot(page, "wrong-password")
    assert server.scalar("SELECT count(*) FROM login_failures WHERE email = :e", e=ADMIN_EMAIL) == 1
    assert server.scalar("SELECT last_login_at FROM users WHERE email = :e", e=ADMIN_EMAIL) is None
    # No session: a protected page still sends the browser to the login page.
    page.goto("/products/")
    expect(page).to_have_url(re.compile(r"/login\?next=/products/$"))

    login(page)

    expect(page.get_by_role("heading", name="Sales", level=1)).to_be_visible()
    expect(page.locator(".account .who")).to_contain_text(ADMIN_EMAIL)
    shot(page, "logged-in")
    # Written before the redirect was sent (nobody else writes here), so there is nothing to wait for.
    assert server.scalar("SELECT last_login_at FROM users WHERE email = :e", e=ADMIN_EMAIL) is not None
    page.goto("/products/")
    expect(page.get_by_role("heading", name="Products", level=1)).to_be_visible()
