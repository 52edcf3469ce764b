"""The Xero face's call limits (per organisation, a minute and a day) and the sandbox's injected
faults, answered as Xero answers them."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from xero_harness import DEMO_TENANT, EMPTY_TENANT, XERO_CLIENT_ID, XeroApi, app, body, client  # noqa: F401  (the Xero face's fixtures)

from partsemble.sandbox import BadFaultRule, SandboxCompany


@pytest.fixture
def api(client: FlaskClient, company: SandboxCompany) -> XeroApi:
    tokens = company.issue_xero_tokens(XERO_CLIENT_ID, tenant_ids=(DEMO_TENANT, EMPTY_TENANT))
    return XeroApi(client, tokens.access_token)


def test_every_answer_tells_the_limits_left(api: XeroApi, company: SandboxCompany) -> None:
    answers = [api.get("Items") for _ in range(3)]
    assert [a.headers["X-MinLimit-Remaining"] for a in answers] == ["59", "58", "57"]
    assert [a.headers["X-DayLimit-Remaining"] for a in answers] == ["4999", "4998", "4997"]
    assert answers[-1].headers["X-AppMinLimit-Remaining"] == "9997"


def test_the_minute_limit_answers_429_with_retry_after_for_that_organisation_only(api: XeroApi, company: SandboxCompany) -> None:
    company.set_xero_limits(per_minute=3)
    assert [api.get("Items").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("Items")
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-MinLimit-Remaining"] == "0"
    other = XeroApi(api.client, api.access_token, EMPTY_TENANT).get("Items")
    assert (other.status_code, other.headers["X-MinLimit-Remaining"]) == (200, "2")
    assert company.request_log()[-2].fault == "rate_limit"


def test_the_day_limit_answers_429_with_a_long_retry_after(api: XeroApi, company: SandboxCompany) -> None:
    company.set_xero_limits(per_minute=60, per_day=2)
    assert [api.get("Items").status_code for _ in range(2)] == [200, 200]
    refused = api.get("Invoices", page=1)
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "day"
    assert 86_000 < int(refused.headers["Retry-After"]) <= 86_400
    assert refused.headers["X-DayLimit-Remaining"] == "0"


def test_a_refused_call_is_not_counted(api: XeroApi, company: SandboxCompany) -> None:
    company.set_xero_limits(per_minute=2)
    assert [api.get("Items").status_code for _ in range(4)] == [200, 200, 429, 429]
    company.set_xero_limits(per_minute=3)
    assert api.get("Items").status_code == 200


def test_an_injected_server_error_hits_the_call_it_names(api: XeroApi, company: SandboxCompany) -> None:
    company.add_fault("xero_api", "server_error", ordinals=[2])
    statuses = [api.get("Items").status_code for _ in range(3)]
    assert statuses == [200, 500, 200]
    company.clear_faults()
    company.add_fault("xero_api", "unavailable", ordinals=[4])
    assert api.get("Items").status_code == 503


def test_injected_throttles_say_which_limit(api: XeroApi, company: SandboxCompany) -> None:
    company.add_fault("xero_api", "throttle_retry_after", ordinals=[1], retry_after=7)
    company.add_fault("xero_api", "throttle_day", ordinals=[2], retry_after=40_000)
    minute, day = api.get("Items"), api.get("Items")
    assert (minute.status_code, minute.headers["X-Rate-Limit-Problem"], minute.headers["Retry-After"]) == (429, "minute", "7")
    assert (day.status_code, day.headers["X-Rate-Limit-Problem"], day.headers["Retry-After"]) == (429, "day", "40000")


def test_a_slow_answer_comes_after_its_delay(api: XeroApi, company: SandboxCompany) -> None:
    company.add_fault("xero_api", "slow", ordinals=[1], delay="0.4")
    began = time.perf_counter()
    assert api.get("Items").status_code == 200
    assert time.perf_counter() - began >= 0.4


def test_a_dropped_connection_breaks_the_body(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    company.add_fault("xero_api", "drop", ordinals=[1])
    response = api.get("Items")
    with pytest.raises(ConnectionAbortedError):
        response.get_data()
    assert body(api.get("Items"))["Items"]


def test_identity_faults_hit_the_token_endpoint(api: XeroApi, company: SandboxCompany) -> None:
    tokens = company.issue_xero_tokens(XERO_CLIENT_ID)
    company.add_fault("xero_identity", "server_error", ordinals=[1])
    assert api.refresh(str(tokens.refresh_token)).status_code == 500
    assert api.refresh(str(tokens.refresh_token)).status_code == 200


def test_quickbooks_only_faults_stay_on_the_quickbooks_face(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    with pytest.raises(BadFaultRule):
        company.add_fault("xero_api", "xml_401")
    with pytest.raises(BadFaultRule):
        company.add_fault("query", "throttle_day")
    company.add_fault("all", "fault_200")
    answer = api.get("Items")
    assert answer.status_code == 200 and body(answer)["Items"]
