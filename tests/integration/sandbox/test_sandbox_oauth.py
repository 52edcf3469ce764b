"""OAuth as Intuit does it: consent, code exchange, rotating refresh tokens, expiry, revoke."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sandbox_harness import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, csrf_token, make_app, serving

from partsemble.sandbox import REALM_ID, SandboxCompany

SCOPE = "com.intuit.quickbooks.accounting"
AUTH = (CLIENT_ID, CLIENT_SECRET)


def authorize_params(**changes: str) -> dict[str, str]:
    return {"client_id": CLIENT_ID, "response_type": "code", "scope": SCOPE, "redirect_uri": REDIRECT_URI, "state": "st-8f3a", **changes}


def decide(server: str, session: requests.Session, decision: str) -> dict[str, list[str]]:
    """Open the consent page, press a button, return the query of the redirect."""
    params = authorize_params()
    page = session.get(f"{server}/sandbox/oauth2/authorize", params=params, timeout=10)
    assert "Partsemble wants to connect to Juniper &amp; Wick Co." in page.text
    token = csrf_token(session, page.url)
    response = session.post(
        f"{server}/sandbox/oauth2/authorize", data={**params, "csrf_token": token, "decision": decision}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return parse_qs(urlsplit(location).query)


def exchange(server: str, session: requests.Session, code: str, redirect_uri: str = REDIRECT_URI) -> requests.Response:
    return session.post(
        f"{server}/sandbox/oauth2/tokens/bearer",
        auth=AUTH,
        timeout=10,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
    )


def refresh(server: str, session: requests.Session, refresh_token: str) -> requests.Response:
    return session.post(
        f"{server}/sandbox/oauth2/tokens/bearer",
        auth=AUTH,
        timeout=10,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
    )


def api_status(server: str, session: requests.Session, access_token: str) -> int:
    return session.get(
        f"{server}/sandbox/v3/company/{REALM_ID}/companyinfo/{REALM_ID}", timeout=10, headers={"Authorization": f"Bearer {access_token}"}
    ).status_code


def connect(server: str, session: requests.Session) -> dict[str, Any]:
    code = decide(server, session, "approve")["code"][0]
    response = exchange(server, session, code)
    assert response.status_code == 200, response.text
    return response.json()


def test_approve_redirects_with_code_state_and_realm(server: str, http: requests.Session, seeded: Any) -> None:
    query = decide(server, http, "approve")
    assert query["state"] == ["st-8f3a"] and query["realmId"] == [REALM_ID] and len(query["code"][0]) > 20


def test_cancel_redirects_with_access_denied(server: str, http: requests.Session, seeded: Any) -> None:
    assert decide(server, http, "cancel") == {"error": ["access_denied"], "state": ["st-8f3a"]}


@pytest.mark.parametrize(
    "changes",
    [
        {"response_type": "token"},
        {"scope": "openid"},
        {"scope": f"{SCOPE} com.example.everything"},
        {"redirect_uri": ""},
        {"redirect_uri": "javascript:alert(1)"},
        {"client_id": "someone-else"},
        {"state": ""},
    ],
)
def test_an_invalid_authorize_request_is_a_400_page(server: str, http: requests.Session, changes: dict[str, str]) -> None:
    response = http.get(f"{server}/sandbox/oauth2/authorize", params=authorize_params(**changes), timeout=10)
    assert response.status_code == 400
    assert "not valid" in response.text and "Approve" not in response.text


@pytest.mark.parametrize("registered", [REDIRECT_URI, ""])
def test_the_consent_page_never_redirects_offsite(tmp_path: Path, registered: str) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'sandbox.db'}", QBO_REDIRECT_URI=registered)
    with serving(app) as base, requests.Session() as http:
        params = authorize_params(redirect_uri="https://evil.example/steal")
        response = http.get(f"{base}/sandbox/oauth2/authorize", params=params, timeout=10)
    assert response.status_code == 400 and "Approve" not in response.text


def test_approving_needs_the_csrf_token(server: str, http: requests.Session) -> None:
    response = http.post(
        f"{server}/sandbox/oauth2/authorize", data={**authorize_params(), "decision": "approve"}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 400 and "Location" not in response.headers


def test_a_code_buys_a_working_token_pair(server: str, http: requests.Session, seeded: Any) -> None:
    tokens = connect(server, http)
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in", "x_refresh_token_expires_in"}
    assert (tokens["token_type"], tokens["expires_in"], tokens["x_refresh_token_expires_in"]) == ("bearer", 3600, 8726400)
    assert api_status(server, http, tokens["access_token"]) == 200


def test_a_code_works_once(server: str, http: requests.Session, seeded: Any) -> None:
    code = decide(server, http, "approve")["code"][0]
    assert exchange(server, http, code).status_code == 200
    again = exchange(server, http, code)
    assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})


def test_a_code_needs_the_same_redirect_uri(server: str, http: requests.Session, seeded: Any) -> None:
    code = decide(server, http, "approve")["code"][0]
    wrong = exchange(server, http, code, redirect_uri="http://127.0.0.1:5000/elsewhere")
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_grant"})


@pytest.mark.parametrize("auth", [None, (CLIENT_ID, "wrong-secret"), ("other-client", CLIENT_SECRET)])
def test_the_token_endpoint_needs_the_client_credentials(server: str, http: requests.Session, auth: Any) -> None:
    response = http.post(
        f"{server}/sandbox/oauth2/tokens/bearer", auth=auth, timeout=10, data={"grant_type": "refresh_token", "refresh_token": "anything"}
    )
    assert (response.status_code, response.json()) == (401, {"error": "invalid_client"})


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "x"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "never-issued"}, "invalid_grant"),
    ],
)
def test_bad_token_requests_are_400_with_the_oauth_error(server: str, http: requests.Session, data: dict[str, str], error: str) -> None:
    response = http.post(f"{server}/sandbox/oauth2/tokens/bearer", auth=AUTH, data=data, timeout=10)
    assert (response.status_code, response.json()) == (400, {"error": error})


def test_refresh_rotates_and_the_old_refresh_token_is_then_invalid_grant(server: str, http: requests.Session, seeded: Any) -> None:
    first = connect(server, http)
    second = refresh(server, http, first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    replay = refresh(server, http, first["refresh_token"])
    assert (replay.status_code, replay.json()) == (400, {"error": "invalid_grant"})
    assert refresh(server, http, rotated["refresh_token"]).status_code == 200
    assert api_status(server, http, rotated["access_token"]) == 200


def test_two_workers_refreshing_with_one_token_get_one_win_and_one_invalid_grant(server: str, seeded: Any) -> None:
    with requests.Session() as session:
        start = connect(server, session)
    barrier = threading.Barrier(4)
    results: list[tuple[int, dict[str, Any]]] = []

    def worker() -> None:
        with requests.Session() as session:
            barrier.wait()
            response = refresh(server, session, start["refresh_token"])
            results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(status for status, _ in results) == [200, 400, 400, 400]
    assert [body for status, body in results if status == 400] == [{"error": "invalid_grant"}] * 3


def test_an_expired_access_token_is_a_401_until_refreshed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'short.db'}"
    app = make_app(url, SANDBOX_ACCESS_TOKEN_LIFETIME=1)
    company = SandboxCompany.open(url)
    try:
        with serving(app) as server, requests.Session() as session:
            tokens = connect(server, session)
            assert tokens["expires_in"] == 1
            assert api_status(server, session, tokens["access_token"]) == 200
            time.sleep(1.2)
            assert api_status(server, session, tokens["access_token"]) == 401
            renewed = refresh(server, session, tokens["refresh_token"]).json()
            assert api_status(server, session, renewed["access_token"]) == 200
    finally:
        company.close()


def test_expiring_access_tokens_from_python_makes_them_401(api: Any, company: SandboxCompany, seeded: Any) -> None:
    assert api.get("item/1").status_code == 200
    assert company.expire_access_tokens() >= 1
    assert api.get("item/1").status_code == 401


@pytest.mark.parametrize("which", ["refresh_token", "access_token"])
def test_revoking_either_token_ends_the_whole_connection(server: str, http: requests.Session, seeded: Any, which: str) -> None:
    tokens = connect(server, http)
    response = http.post(f"{server}/sandbox/oauth2/tokens/revoke", auth=AUTH, json={"token": tokens[which]}, timeout=10)
    assert response.status_code == 200
    assert api_status(server, http, tokens["access_token"]) == 401
    assert refresh(server, http, tokens["refresh_token"]).json() == {"error": "invalid_grant"}


@pytest.mark.parametrize(
    ("auth", "body", "status"),
    [
        (None, {"token": "x"}, 401),
        (AUTH, {}, 400),
        (AUTH, {"token": "never-issued"}, 200),
    ],
)
def test_revoke_checks_the_client_and_the_body(server: str, http: requests.Session, auth: Any, body: dict[str, str], status: int) -> None:
    response = http.post(f"{server}/sandbox/oauth2/tokens/revoke", auth=auth, json=body, timeout=10)
    assert response.status_code == status


def test_tokens_are_stored_hashed_and_never_logged(
    server: str, http: requests.Session, company: SandboxCompany, tmp_path: Path, seeded: Any
) -> None:
    tokens = connect(server, http)
    refresh(server, http, tokens["refresh_token"])
    log = repr(company.request_log())
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("sandbox.db*"))
    for value in (tokens["access_token"], tokens["refresh_token"]):
        assert value.encode() not in stored
        assert value not in log
