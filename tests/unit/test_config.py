"""Configuration comes from PARTSEMBLE_ variables and refuses unsafe production settings."""

from __future__ import annotations

import pytest

from partsemble import config, create_app


def test_the_app_refuses_to_start_without_a_secret_key_outside_debug(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PARTSEMBLE_SECRET_KEY", raising=False)
    monkeypatch.delenv("PARTSEMBLE_DEBUG", raising=False)
    with pytest.raises(config.ConfigError, match="PARTSEMBLE_SECRET_KEY is not set"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("x", "it has 1 characters"),
        ("changeme-Vq3h8ZkP0xLr2mN9sTbW4yEa7Cd1", "it contains .changeme."),
        ("ab" * 20, "it uses only 2 different characters"),
    ],
)
def test_the_app_refuses_to_start_with_a_weak_secret_key_outside_debug(tmp_path, monkeypatch, key, says) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PARTSEMBLE_SECRET_KEY", key)
    monkeypatch.delenv("PARTSEMBLE_DEBUG", raising=False)
    with pytest.raises(config.ConfigError, match=f"PARTSEMBLE_SECRET_KEY is too weak: {says}"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_a_random_secret_key_starts_the_app(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PARTSEMBLE_SECRET_KEY", "Vq3_h8ZkP0xLr2mN9sTbW4yEa7Cd1FgJ5uHi6oKe")
    monkeypatch.delenv("PARTSEMBLE_DEBUG", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"].startswith("Vq3_")


def test_debug_runs_without_a_secret_key(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PARTSEMBLE_SECRET_KEY", raising=False)
    monkeypatch.setenv("PARTSEMBLE_DEBUG", "1")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert len(app.config["SECRET_KEY"]) >= 32


def test_defaults_and_overrides(tmp_path) -> None:  # type: ignore[no-untyped-def]
    defaults = config.load({}, str(tmp_path))
    assert defaults["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/partsemble.db"
    assert defaults["QBO_API_BASE"] == "https://quickbooks.api.intuit.com/v3"
    assert defaults["SANDBOX"] is False
    sandbox = config.load({"PARTSEMBLE_QBO_ENVIRONMENT": "sandbox", "PARTSEMBLE_QBO_TOKEN_URL": "http://127.0.0.1:9/t"}, str(tmp_path))
    assert sandbox["QBO_API_BASE"] == "https://sandbox-quickbooks.api.intuit.com/v3"
    assert sandbox["QBO_TOKEN_URL"] == "http://127.0.0.1:9/t"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PARTSEMBLE_QBO_ENVIRONMENT", "staging", "must be 'production' or 'sandbox'"),
        ("PARTSEMBLE_QBO_MAX_RETRIES", "many", "whole number"),
        ("PARTSEMBLE_QBO_READ_TIMEOUT", "soon", "number of seconds"),
        ("PARTSEMBLE_QBO_READ_TIMEOUT", "-1", "must not be negative"),
    ],
)
def test_bad_settings_say_which_variable(tmp_path, variable, value, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(config.ConfigError, match=message) as caught:
        config.load({variable: value}, str(tmp_path))
    assert variable in str(caught.value)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from partsemble.extensions import db

    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()
