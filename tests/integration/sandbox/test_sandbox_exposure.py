"""What a sandbox left reachable still holds back: its request log is capped, and its token
endpoint stops answering an address that keeps guessing the client secret."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sandbox_harness import CLIENT_ID, CLIENT_SECRET, Api

from partsemble.sandbox import SandboxCompany, client_throttle, traffic

TOKEN_URL = "/sandbox/oauth2/tokens/bearer"
REVOKE_URL = "/sandbox/oauth2/tokens/revoke"


def test_the_request_log_keeps_only_the_latest_requests(api: Api, company: SandboxCompany, monkeypatch: Any) -> None:
    monkeypatch.setattr(traffic, "LOG_LIMIT", 5)
    for number in range(1, 13):
        assert api.get(f"item/{number}").status_code in (200, 400)
        assert len(company.request_log()) <= 5
    log = company.request_log()
    assert [record.path.rsplit("/", 1)[1] for record in log] == ["8", "9", "10", "11", "12"]
    assert company.counters()["read"] == 12  # the counters still count every request


def refresh(server: str, http: requests.Session, secret: str) -> requests.Response:
    return http.post(
        server + TOKEN_URL, auth=(CLIENT_ID, secret), timeout=10, data={"grant_type": "refresh_token", "refresh_token": "anything"}
    )


def test_guessing_the_client_secret_is_throttled(server: str, http: requests.Session, company: SandboxCompany) -> None:
    limit = client_throttle.MAX_FAILURES
    for guess in range(limit):
        assert refresh(server, http, f"guess-{guess}").status_code == 401
    throttled = refresh(server, http, "one-more-guess")
    assert throttled.status_code == 429 and throttled.json() == {"error": "too_many_requests"}
    assert 1 <= int(throttled.headers["Retry-After"]) <= client_throttle.WINDOW_SECONDS
    # Even the right secret is refused meanwhile, so a guesser cannot tell when it found it.
    assert refresh(server, http, CLIENT_SECRET).status_code == 429
    revoke = http.post(server + REVOKE_URL, auth=(CLIENT_ID, CLIENT_SECRET), json={"token": "x"}, timeout=10)
    assert revoke.status_code == 429


def test_wrong_credentials_at_the_revoke_endpoint_count_too(server: str, http: requests.Session, company: SandboxCompany) -> None:
    for _ in range(client_throttle.MAX_FAILURES):
        response = http.post(server + REVOKE_URL, auth=(CLIENT_ID, "wrong"), json={"token": "x"}, timeout=10)
        assert response.status_code == 401
    assert refresh(server, http, CLIENT_SECRET).status_code == 429


@pytest.mark.parametrize("failures_before", [0, client_throttle.MAX_FAILURES - 1])
def test_an_address_under_the_limit_is_served(server: str, http: requests.Session, company: SandboxCompany, failures_before: int) -> None:
    for guess in range(failures_before):
        assert refresh(server, http, f"guess-{guess}").status_code == 401
    # The right secret with an unknown refresh token: past the client check, refused as a grant.
    assert refresh(server, http, CLIENT_SECRET).json() == {"error": "invalid_grant"}


def test_failures_leave_the_window(company: SandboxCompany) -> None:
    second = 1_000_000
    start = 1_700_000_000 * second
    with company.engine.begin() as conn:
        for step in range(client_throttle.MAX_FAILURES):
            client_throttle.record_failure(conn, "203.0.113.9", start + step * second)
        last = start + (client_throttle.MAX_FAILURES - 1) * second
        assert client_throttle.seconds_to_wait(conn, "203.0.113.9", last) == client_throttle.WINDOW_SECONDS - (
            client_throttle.MAX_FAILURES - 1
        )
        assert client_throttle.seconds_to_wait(conn, "198.51.100.4", last) is None
        after_window = start + client_throttle.WINDOW_SECONDS * second
        assert client_throttle.seconds_to_wait(conn, "203.0.113.9", after_window) is None
