"""Sessions that end, login throttling that slows attackers without locking the owner out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from partsemble.auth import services
from partsemble.auth.known_browser import COOKIE
from partsemble.extensions import db
from partsemble.models.base import utcnow
from tests.conftest import CSRF_META, PASSWORD, Browser

ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
OWNER = {"REMOTE_ADDR": "198.51.100.4"}


def login_form(client, email: str, password: str, environ: dict | None = None):  # type: ignore[no-untyped-def]
    token = CSRF_META.search(client.get("/login", environ_base=environ).get_data(as_text=True)).group(1)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token}, environ_base=environ)


def test_a_copy_of_the_session_cookie_stops_working_after_logout(app, users) -> None:  # type: ignore[no-untyped-def]
    b = Browser(app.test_client())
    b.login("admin@example.com")
    stolen = b.client.get_cookie("session").value
    assert b.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/settings/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logging_in_again_after_logout_works(app, users) -> None:  # type: ignore[no-untyped-def]
    b = Browser(app.test_client())
    b.login("member@example.com")
    b.post("/logout")
    b.login("member@example.com")
    assert b.get("/products/").status_code == 200


def test_login_gives_a_new_csrf_token(app, users) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    before = CSRF_META.search(client.get("/login").get_data(as_text=True)).group(1)
    b = Browser(client)
    b.login("member@example.com")
    # Tokens are signed per request; the raw token behind them lives in the session.
    with client.session_transaction() as session:
        raw_after = session.get("csrf_token")
    assert raw_after is not None
    from itsdangerous import URLSafeTimedSerializer

    raw_before = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token").loads(before)
    assert raw_before != raw_after


def test_wrong_passwords_from_another_address_do_not_keep_the_owner_out(app, users) -> None:  # type: ignore[no-untyped-def]
    attacker = app.test_client()
    for _ in range(8):
        login_form(attacker, "admin@example.com", "nope-nope-nope", ATTACKER)
    assert login_form(attacker, "admin@example.com", PASSWORD, ATTACKER).status_code == 429
    assert login_form(app.test_client(), "admin@example.com", PASSWORD, OWNER).status_code == 302


def test_a_browser_that_logged_in_before_is_not_held_up_by_its_address(app, users) -> None:  # type: ignore[no-untyped-def]
    owner = app.test_client()
    assert login_form(owner, "admin@example.com", PASSWORD, ATTACKER).status_code == 302
    assert owner.get_cookie(COOKIE) is not None
    owner.post(
        "/logout",
        data={"csrf_token": CSRF_META.search(owner.get("/settings/users").get_data(as_text=True)).group(1)},
        environ_base=ATTACKER,
    )
    attacker = app.test_client()
    for i in range(25):  # the shared address is throttled for everyone else...
        login_form(attacker, "admin@example.com" if i % 2 else f"x{i}@example.com", "nope-nope-nope", ATTACKER)
    assert login_form(app.test_client(), "admin@example.com", PASSWORD, ATTACKER).status_code == 429
    assert login_form(owner, "admin@example.com", PASSWORD, ATTACKER).status_code == 302  # ...not for the owner's browser


def test_a_forged_known_browser_cookie_counts_for_nothing(app, users) -> None:  # type: ignore[no-untyped-def]
    attacker = app.test_client()
    attacker.set_cookie(COOKIE, "1.forged.signature")
    for _ in range(5):
        login_form(attacker, "admin@example.com", "nope-nope-nope", ATTACKER)
    assert login_form(attacker, "admin@example.com", PASSWORD, ATTACKER).status_code == 429


def test_delays_grow_after_the_free_attempts_and_end_on_their_own(ctx, users, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    clock = [utcnow()]
    monkeypatch.setattr(services, "utcnow", lambda: clock[0])

    def attempt(password: str = "nope-nope-nope") -> services.LoginResult:
        return services.authenticate(db.session, "member@example.com", password, "203.0.113.9", max_failures=5, lockout_seconds=900)

    for _ in range(5):
        assert attempt().throttled_for == 0
    assert attempt(PASSWORD).throttled_for == 15  # refused unchecked, even with the right password
    clock[0] += timedelta(seconds=15)
    assert attempt().throttled_for == 0  # the sixth failure...
    assert attempt().throttled_for == 30  # ...doubles the wait
    clock[0] += timedelta(seconds=29)
    assert attempt(PASSWORD).throttled_for == 1  # refusals do not renew the wait
    clock[0] += timedelta(seconds=1)
    assert attempt(PASSWORD).user is not None


def test_an_unknown_email_costs_the_same_hashing_as_a_wrong_password(ctx, users, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Equal work, counted rather than timed: one key derivation with the same method either way,
    so answer times do not tell which emails exist (a timed test flaked on a loaded machine)."""
    import werkzeug.security

    derived: list[str] = []
    real = werkzeug.security._hash_internal

    def counting(method: str, salt: str, password: str):  # type: ignore[no-untyped-def]
        derived.append(method)
        return real(method, salt, password)

    monkeypatch.setattr(werkzeug.security, "_hash_internal", counting)

    def work(email: str) -> list[str]:
        derived.clear()
        services.authenticate(db.session, email, "nope-nope-nope", f"192.0.2.{len(email)}", max_failures=50, lockout_seconds=900)
        return list(derived)

    services.authenticate(db.session, "nobody@example.com", "warm-up", "192.0.2.1", max_failures=50, lockout_seconds=900)
    known, unknown = work("member@example.com"), work("nobody@example.com")
    assert known == unknown == [services.password_hash_method()]


def test_wrong_current_passwords_are_throttled(app, users) -> None:  # type: ignore[no-untyped-def]
    b = Browser(app.test_client())
    b.login("member@example.com")
    for _ in range(5):
        response = b.post("/account/password", {"current_password": "not it at all", "new_password": "a brand new passphrase"})
        assert "The current password is not right." in response.get_data(as_text=True)
    response = b.post("/account/password", {"current_password": PASSWORD, "new_password": "a brand new passphrase"})
    assert response.status_code == 400
    assert "Too many wrong passwords. Try again in 15 seconds." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("seconds", "words"), [(1, "1 second"), (15, "15 seconds"), (60, "1 minute"), (61, "2 minutes"), (900, "15 minutes")]
)
def test_waits_are_told_in_words(seconds, words) -> None:  # type: ignore[no-untyped-def]
    assert services.describe_wait(seconds) == words
