"""The Xero settings: Xero's hosts by default, each one overridable, scopes that keep the refresh token."""

from __future__ import annotations

import pytest

from partsemble import config, create_app


def test_xero_defaults_are_xeros_hosts_and_scopes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    defaults = config.load({}, str(tmp_path))
    assert defaults["XERO_AUTH_URL"] == "https://login.xero.com/identity/connect/authorize"
    assert defaults["XERO_TOKEN_URL"] == "https://identity.xero.com/connect/token"
    assert defaults["XERO_REVOKE_URL"] == "https://identity.xero.com/connect/revocation"
    assert defaults["XERO_CONNECTIONS_URL"] == "https://api.xero.com/connections"
    assert defaults["XERO_API_BASE"] == "https://api.xero.com/api.xro/2.0"
    assert defaults["XERO_SCOPES"] == ("offline_access", "accounting.transactions.read", "accounting.settings.read")
    assert defaults["XERO_CLIENT_ID"] == defaults["XERO_CLIENT_SECRET"] == defaults["XERO_REDIRECT_URI"] == ""


def test_every_xero_setting_is_read_from_its_variable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    names = ("CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URI", "AUTH_URL", "TOKEN_URL", "REVOKE_URL", "CONNECTIONS_URL", "API_BASE")
    loaded = config.load({f"PARTSEMBLE_XERO_{name}": f"http://127.0.0.1:9/{name.lower()}" for name in names}, str(tmp_path))
    assert {name: loaded[f"XERO_{name}"] for name in names} == {name: f"http://127.0.0.1:9/{name.lower()}" for name in names}


def test_scopes_split_on_spaces_or_commas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    loaded = config.load({"PARTSEMBLE_XERO_SCOPES": "offline_access, accounting.invoices.read  accounting.settings.read"}, str(tmp_path))
    assert loaded["XERO_SCOPES"] == ("offline_access", "accounting.invoices.read", "accounting.settings.read")


def test_scopes_without_offline_access_are_refused_naming_the_variable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(config.ConfigError, match="PARTSEMBLE_XERO_SCOPES must include offline_access"):
        config.load({"PARTSEMBLE_XERO_SCOPES": "accounting.transactions.read"}, str(tmp_path))


def test_the_connect_form_may_post_on_to_xeros_login_host(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db",
            "XERO_AUTH_URL": "https://login.xero.test/a",
        }
    )
    csp = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert "form-action 'self' https://appcenter.intuit.com https://login.xero.test;" in csp
