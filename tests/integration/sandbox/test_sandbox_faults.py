"""Every injected fault is what a plain HTTP client really sees, on the request it was set for."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests
from sandbox_harness import CLIENT_ID, CLIENT_SECRET, Api

from partsemble.sandbox import REALM_ID, BadFaultRule, SandboxCompany

ITEMS = "SELECT *, Sku FROM Item WHERE Active IN (true, false) STARTPOSITION 1 MAXRESULTS 1000"


def xml_error(response: requests.Response) -> tuple[str, str, str]:
    root = ET.fromstring(response.content)
    fault = root.find("Fault")
    assert root.tag == "IntuitResponse" and root.get("time") and fault is not None
    error = fault.find("Error")
    assert error is not None
    return fault.get("type", ""), error.get("code", ""), error.findtext("Message", "")


def test_the_second_query_is_throttled_with_retry_after(api: Api, company: SandboxCompany, seeded: Any) -> None:
    company.add_fault("query", "throttle_retry_after", ordinals=[2], retry_after=7)
    statuses = [api.query(ITEMS) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 429, 200]
    throttled = statuses[1]
    assert throttled.headers["Retry-After"] == "7"
    assert throttled.headers["Content-Type"].startswith("application/xml")
    assert throttled.text.startswith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse time="')
    assert xml_error(throttled) == ("SERVICE", "3001", "message=ThrottleExceeded; errorCode=003001; statusCode=429")


def test_throttling_without_retry_after_has_no_header(api: Api, company: SandboxCompany, seeded: Any) -> None:
    company.add_fault("query", "throttle", ordinals=[1])
    response = api.query(ITEMS)
    assert response.status_code == 429 and "Retry-After" not in response.headers
    assert xml_error(response)[1] == "3001"


@pytest.mark.parametrize(
    ("kind", "status", "check"),
    [
        ("server_error", 500, lambda r: r.json()["Fault"]["type"] == "SystemFault"),
        ("unavailable", 503, lambda r: "503 Service Temporarily Unavailable" in r.text),
        ("fault_200", 200, lambda r: r.json()["Fault"]["Error"][0]["code"] == "10000" and "QueryResponse" not in r.json()),
        ("xml_401", 401, lambda r: xml_error(r)[0] == "AuthenticationFault"),
    ],
)
def test_error_replies_replace_the_answer(api: Api, company: SandboxCompany, seeded: Any, kind: str, status: int, check: Any) -> None:
    company.add_fault("query", kind, ordinals=[1])
    response = api.query(ITEMS)
    assert response.status_code == status
    assert check(response)
    assert api.query(ITEMS).json()["QueryResponse"]["maxResults"] == 12


def test_a_slow_response_arrives_after_the_delay(api: Api, company: SandboxCompany, seeded: Any) -> None:
    company.add_fault("read", "slow", ordinals=[1, 2], delay="0.6")
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.session.get(api.url("item/1"), headers={"Authorization": f"Bearer {api.access_token}"}, timeout=0.2)
    began = time.perf_counter()
    response = api.get("item/1")
    assert time.perf_counter() - began >= 0.6
    assert response.json()["Item"]["Name"] == "Lavender Candle 8oz"


def test_a_dropped_connection_breaks_the_read(api: Api, company: SandboxCompany, seeded: Any) -> None:
    company.add_fault("query", "drop", ordinals=[1])
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        api.query(ITEMS)
    assert api.query(ITEMS).status_code == 200


def test_a_truncated_body_is_valid_http_but_not_json(api: Api, company: SandboxCompany, seeded: Any) -> None:
    whole = api.query(ITEMS).content
    company.reset_counters()
    company.add_fault("query", "truncate", ordinals=[1])
    response = api.query(ITEMS)
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content) == len(whole) // 2
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_faults_of_one_family_leave_the_others_alone(api: Api, company: SandboxCompany, seeded: Any) -> None:
    company.add_fault("cdc", "server_error")
    assert api.get("item/1").status_code == 200
    assert api.query(ITEMS).status_code == 200
    assert api.cdc("Invoice", "2026-01-01T00:00:00Z").status_code == 500


def test_family_all_counts_every_request(api: Api, company: SandboxCompany, seeded: Any) -> None:
    company.add_fault("all", "unavailable", ordinals=[3])
    statuses = [api.get("item/1").status_code, api.query(ITEMS).status_code, api.get("item/2").status_code, api.query(ITEMS).status_code]
    assert statuses == [200, 200, 503, 200]


def test_token_endpoint_faults(server: str, http: requests.Session, company: SandboxCompany) -> None:
    company.add_fault("token", "throttle_retry_after", ordinals=[1], retry_after=3)
    pair = company.issue_tokens(CLIENT_ID)
    response = http.post(
        f"{server}/sandbox/oauth2/tokens/bearer",
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
        data={"grant_type": "refresh_token", "refresh_token": pair.refresh_token},
    )
    assert (response.status_code, response.headers.get("Retry-After")) == (429, "3")
    again = http.post(
        f"{server}/sandbox/oauth2/tokens/bearer",
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
        data={"grant_type": "refresh_token", "refresh_token": pair.refresh_token},
    )
    assert again.status_code == 200  # the throttled attempt did not spend the refresh token


def pattern(api: Api, company: SandboxCompany) -> list[int]:
    company.reset_counters()
    return [api.get("item/1").status_code for _ in range(24)]


def test_probabilities_repeat_exactly_with_the_same_seed(api: Api, company: SandboxCompany, seeded: Any) -> None:
    company.add_fault("read", "server_error", probability="0.5")
    company.set_fault_seed(42)
    first = pattern(api, company)
    assert first == pattern(api, company)
    assert 0 < first.count(500) < 24
    company.set_fault_seed(43)
    assert pattern(api, company) != first


@pytest.mark.parametrize(("probability", "failures"), [("0", 0), ("1", 24)])
def test_probability_bounds_mean_never_and_always(api: Api, company: SandboxCompany, seeded: Any, probability: str, failures: int) -> None:
    company.add_fault("read", "server_error", probability=probability)
    assert pattern(api, company).count(500) == failures


def test_faulted_requests_are_counted_and_logged(api: Api, company: SandboxCompany, seeded: Any) -> None:
    company.add_fault("query", "server_error", ordinals=[1])
    api.query(ITEMS)
    [entry] = company.request_log()
    assert (entry.status, entry.fault, entry.ordinal) == (500, "server_error", 1)
    assert company.counters()["query"] == 1


@pytest.mark.parametrize(
    ("family", "kind", "options"),
    [
        ("nowhere", "throttle", {}),
        ("query", "explode", {}),
        ("query", "throttle", {"probability": "1.5"}),
        ("query", "slow", {"delay": "-1"}),
        ("query", "throttle", {"ordinals": [0]}),
    ],
)
def test_bad_fault_rules_are_refused(company: SandboxCompany, family: str, kind: str, options: dict[str, Any]) -> None:
    with pytest.raises(BadFaultRule):
        company.add_fault(family, kind, **options)
    assert company.faults() == []


def test_fault_rules_set_by_another_process_are_obeyed(api: Api, company: SandboxCompany, seeded: Any) -> None:
    script = (
        "import sys; from partsemble.sandbox import SandboxCompany; "
        "SandboxCompany.open(sys.argv[1]).add_fault('read', 'server_error', ordinals=[1])"
    )
    subprocess.run([sys.executable, "-c", script, company.url], check=True, timeout=60)
    assert api.get(f"companyinfo/{REALM_ID}").status_code == 500
    assert api.get(f"companyinfo/{REALM_ID}").status_code == 200
