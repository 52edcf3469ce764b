"""Installations hash passwords with scrypt; only the test suite configures a cheap method."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import select

from partsemble import config, create_app
from partsemble.auth.services import authenticate, create_user
from partsemble.extensions import db
from partsemble.models.accounts import User
from tests.conftest import PASSWORD, TEST_PASSWORD_HASH, base_config, truncate_all


def test_installations_hash_passwords_with_scrypt_whatever_the_environment_says(tmp_path: Path, db_url: str) -> None:
    assert config.load({"PARTSEMBLE_PASSWORD_HASH_METHOD": "plain"}, str(tmp_path))["PASSWORD_HASH_METHOD"] == "scrypt"
    settings = base_config(tmp_path, db_url)
    del settings["PASSWORD_HASH_METHOD"]
    app = create_app(settings)
    try:
        with app.app_context():
            create_user(db.session, "owner@example.com", PASSWORD, "admin")
            assert db.session.scalar(select(User.password_hash)).startswith("scrypt:")
            assert authenticate(db.session, "owner@example.com", PASSWORD, "127.0.0.1", max_failures=5, lockout_seconds=900).user
            assert authenticate(db.session, "nobody@example.com", PASSWORD, "127.0.0.1", max_failures=5, lockout_seconds=900).user is None
            db.session.remove()
    finally:
        truncate_all(app)  # the shared PostgreSQL database is emptied as the app fixture empties it
        with app.app_context():
            db.engine.dispose()


def test_the_suite_hashes_with_the_cheap_method_it_configures(app: Flask, users: dict[str, object]) -> None:
    with app.app_context():
        hashes = db.session.scalars(select(User.password_hash)).all()
        assert len(hashes) == 3 and all(h.startswith(TEST_PASSWORD_HASH + "$") for h in hashes)
        assert authenticate(db.session, "member@example.com", PASSWORD, "127.0.0.1", max_failures=5, lockout_seconds=900).user
        db.session.remove()
