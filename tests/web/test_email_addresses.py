"""Email addresses are checked by email-validator (syntax only, no DNS) and kept in one form:
normalized (NFC, lower-case domain) and lower-cased whole, for creation and login alike."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from partsemble.auth.services import UserError, normalize_email
from partsemble.extensions import db
from partsemble.models.accounts import User
from tests.web.test_auth import login_form

PASSWORD = "long enough pw"
COMPOSED = "zo\u00eb@example.com"  # ë as one code point
DECOMPOSED = "ZOE\u0308@Example.COM"  # E followed by a combining diaeresis


def create(admin, email: str):  # type: ignore[no-untyped-def]
    return admin.post("/settings/users", {"email": email, "role": "viewer", "password": PASSWORD, "name": "Someone"})


def stored_emails(app) -> list[str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        emails = list(db.session.scalars(select(User.email).order_by(User.id)))
        db.session.remove()
    return emails


@pytest.mark.parametrize(
    "email",
    [
        "ana@example",
        "ana..b@example.com",
        "ana@@example.com",
        "ana@exa mple.com",
        "ana@-example.com",
        ".ana@example.com",
        "ana@example.com.",
    ],
)
def test_an_invalid_address_is_refused_next_to_the_field(app, users, admin, email) -> None:  # type: ignore[no-untyped-def]
    before = stored_emails(app)
    response = create(admin, email)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="email-err"' in html and "Enter a valid email address:" in html
    assert stored_emails(app) == before


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (" Ana@EXAMPLE.com ", "ana@example.com"),
        (DECOMPOSED, COMPOSED),
        ("kai@B\u00dcCHER.example", "kai@b\u00fccher.example"),
    ],
)
def test_an_address_is_stored_in_one_form(app, users, admin, typed, stored) -> None:  # type: ignore[no-untyped-def]
    assert create(admin, typed).status_code == 302
    assert stored_emails(app)[-1] == stored


def test_the_same_address_written_another_way_is_taken(app, users, admin) -> None:  # type: ignore[no-untyped-def]
    assert create(admin, COMPOSED).status_code == 302
    again = create(admin, DECOMPOSED)
    assert again.status_code == 400 and "already exists" in again.get_data(as_text=True)


@pytest.mark.parametrize("typed", [COMPOSED, DECOMPOSED, " ZO\u00cb@example.com"])
def test_login_finds_the_user_however_the_address_is_written(app, users, admin, typed) -> None:  # type: ignore[no-untyped-def]
    assert create(admin, COMPOSED).status_code == 302
    assert login_form(app.test_client(), typed, PASSWORD).status_code == 302


def test_a_login_with_an_invalid_address_is_a_wrong_login(app, users) -> None:  # type: ignore[no-untyped-def]
    response = login_form(app.test_client(), "not an address", PASSWORD)
    assert response.status_code == 401 and "Wrong email or password." in response.get_data(as_text=True)


def test_normalize_email_raises_a_user_error_on_the_email_field() -> None:
    with pytest.raises(UserError) as raised:
        normalize_email("ana@example")
    assert raised.value.field == "email"
