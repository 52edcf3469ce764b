"""Login, logout, throttling, sessions, safe redirects, users admin."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from partsemble.extensions import db
from partsemble.models.accounts import User
from partsemble.web.params import safe_next
from tests.conftest import CSRF_META, PASSWORD, Browser


def login_form(client, email: str, password: str, next_: str = ""):  # type: ignore[no-untyped-def]
    token = CSRF_META.search(client.get("/login").get_data(as_text=True)).group(1)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": next_})


def test_a_wrong_password_shows_an_error_and_gives_no_session(app, users) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = login_form(client, "member@example.com", "wrong password!")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/products/").status_code == 302


def test_login_then_logout_ends_the_session(app, users) -> None:  # type: ignore[no-untyped-def]
    b = Browser(app.test_client())
    b.login("member@example.com")
    assert b.get("/products/").status_code == 200
    assert b.post("/logout").status_code == 302
    assert b.get("/products/").status_code == 302


def test_login_is_case_insensitive_on_email(app, users) -> None:  # type: ignore[no-untyped-def]
    assert login_form(app.test_client(), "Member@Example.COM", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/products/?q=x", "/products/?q=x"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("javascript:alert(1)", None),
        ("products", None),
        ("", None),
    ],
)
def test_next_only_redirects_to_local_paths(target, expected) -> None:  # type: ignore[no-untyped-def]
    assert safe_next(target) == expected


def test_login_follows_a_local_next_but_never_an_offsite_one(app, users) -> None:  # type: ignore[no-untyped-def]
    assert login_form(app.test_client(), "member@example.com", PASSWORD, "/lots/").headers["Location"] == "/lots/"
    assert login_form(app.test_client(), "member@example.com", PASSWORD, "//evil.example/x").headers["Location"] == "/"


def test_repeated_failures_throttle_the_account_even_with_the_right_password(app, users) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    for _ in range(5):
        assert login_form(client, "member@example.com", "nope-nope-nope").status_code == 401
    response = login_form(client, "member@example.com", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_failures_from_one_address_throttle_other_accounts_too(app, users) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    for i in range(20):  # an address may fail four times as often as one account (a shared office)
        assert login_form(client, f"nobody{i}@example.com", "nope-nope-nope").status_code == 401
    assert login_form(client, "admin@example.com", PASSWORD).status_code == 429


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(app, users) -> None:  # type: ignore[no-untyped-def]
    first, second = Browser(app.test_client()), Browser(app.test_client())
    first.login("member@example.com")
    second.login("member@example.com")
    response = first.post("/account/password", {"current_password": PASSWORD, "new_password": "a brand new passphrase"})
    assert response.status_code == 302
    assert first.get("/products/").status_code == 200
    assert second.get("/products/").status_code == 302


def test_a_deactivated_user_is_logged_out_at_once(app, users, admin) -> None:  # type: ignore[no-untyped-def]
    member = Browser(app.test_client())
    member.login("member@example.com")
    member_id = users["member"].id
    response = admin.post(f"/settings/users/{member_id}", {"role": "member", "name": "M"})  # active unchecked
    assert response.status_code == 302
    assert member.get("/products/").status_code == 302
    assert login_form(app.test_client(), "member@example.com", PASSWORD).status_code == 401


def test_the_last_admin_cannot_be_demoted(app, users, admin) -> None:  # type: ignore[no-untyped-def]
    response = admin.post(f"/settings/users/{users['admin'].id}", {"role": "member", "active": "y"})
    assert response.status_code == 400
    assert "at least one active admin" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, users["admin"].id).role == "admin"


def test_admin_creates_a_user_who_can_log_in(app, users, admin) -> None:  # type: ignore[no-untyped-def]
    response = admin.post("/settings/users", {"email": "Ana@Example.com", "role": "viewer", "password": "long enough pw", "name": "Ana"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == "ana@example.com")) == "viewer"
    assert login_form(app.test_client(), "ana@example.com", "long enough pw").status_code == 302


def test_user_form_errors_show_next_to_the_field(app, users, admin) -> None:  # type: ignore[no-untyped-def]
    response = admin.post("/settings/users", {"email": "member@example.com", "role": "viewer", "password": "long enough pw"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="email-err"' in html and "already exists" in html


def test_cli_creates_and_lists_users(app, ctx) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "--email", "Boss@Example.com", "--password-stdin", "--role", "admin"], input="stdin password 123\n"
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["users", "list"])
    assert "boss@example.com\tadmin\tactive" in listed.output
    short = runner.invoke(args=["users", "create", "--email", "x@example.com", "--password", "short"])
    assert short.exit_code != 0 and "at least 10 characters" in short.output
