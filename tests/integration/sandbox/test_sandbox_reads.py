"""Reads by id, CompanyInfo, bearer auth, realm checks, intuit_tid, counters and the request log."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import requests
from sandbox_harness import CLIENT_ID, CLIENT_SECRET, Api

from partsemble.sandbox import REALM_ID, SandboxCompany

NOT_FOUND = {
    "Message": "Object Not Found",
    "Detail": "Object Not Found : Something you're trying to use has been made inactive. Check the fields with "
    "accounts, customers, items, vendors or employees.",
    "code": "610",
    "element": "",
}
AUTH_FAILED = {
    "fault": {
        "error": [{"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401", "code": "3200"}],
        "type": "AUTHENTICATION",
    }
}


@pytest.mark.parametrize(
    ("path", "entity", "object_id"),
    [
        ("invoice", "Invoice", "101"),
        ("item", "Item", "1"),
        ("item", "Item", "12"),
        ("customer", "Customer", "3"),
    ],
)
def test_a_read_returns_the_stored_payload_under_its_entity(
    api: Api, company: SandboxCompany, seeded: Any, path: str, entity: str, object_id: str
) -> None:
    response = api.get(f"{path}/{object_id}")
    body = json.loads(response.text, parse_float=Decimal)
    assert response.status_code == 200
    assert set(body) == {entity, "time"}
    assert body[entity] == company.get(entity, object_id)


def test_reads_of_each_document_type_use_the_lower_case_path(api: Api, seeded: Any) -> None:
    receipt = api.get(f"salesreceipt/{seeded.cad_sales_receipt}").json()["SalesReceipt"]
    memo_id = api.rows("SELECT Id FROM CreditMemo MAXRESULTS 1", "CreditMemo")[0]["Id"]
    memo = api.get(f"creditmemo/{memo_id}").json()["CreditMemo"]
    assert receipt["CurrencyRef"]["value"] == "CAD" and memo["Id"] == memo_id


@pytest.mark.parametrize("which", ["deleted", "unknown", "other type", "not a number"])
def test_a_missing_or_deleted_object_is_a_400_with_code_610(api: Api, seeded: Any, which: str) -> None:
    path = {
        "deleted": f"invoice/{seeded.deleted_invoice}",
        "unknown": "invoice/999999",
        "other type": f"creditmemo/{seeded.voided_invoice}",
        "not a number": "item/abc",
    }[which]
    response = api.get(path)
    body = response.json()
    assert response.status_code == 400
    assert body["Fault"] == {"Error": [NOT_FOUND], "type": "ValidationFault"}
    assert set(body) == {"Fault", "time"}


def test_company_info_names_the_company(api: Api, seeded: Any) -> None:
    response = api.get(f"companyinfo/{REALM_ID}")
    info = response.json()["CompanyInfo"]
    assert response.status_code == 200
    assert info["CompanyName"] == "Juniper & Wick Co." and info["Id"] and info["Country"] == "US"


ENDPOINTS = [
    ("query", {"query": "SELECT * FROM Item"}),
    ("cdc", {"entities": "Invoice", "changedSince": "2026-01-01T00:00:00Z"}),
    ("item/1", {}),
    (f"companyinfo/{REALM_ID}", {}),
]


@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic Zm9vOmJhcg==", "Bearer "])
def test_every_api_call_needs_a_token_issued_here(
    server: str, http: requests.Session, seeded: Any, path: str, params: dict[str, str], authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = http.get(f"{server}/sandbox/v3/company/{REALM_ID}/{path}", params=params, headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json() == AUTH_FAILED


@pytest.mark.parametrize(("path", "params"), ENDPOINTS)
def test_a_revoked_token_is_refused(api: Api, company: SandboxCompany, seeded: Any, path: str, params: dict[str, str]) -> None:
    assert api.get(path, **params).status_code != 401
    company.revoke_token(api.access_token)
    assert api.get(path, **params).status_code == 401


@pytest.mark.parametrize(("path", "params"), ENDPOINTS[:3])
def test_another_realm_in_the_path_is_refused(
    server: str, http: requests.Session, token_pair: Any, seeded: Any, path: str, params: dict[str, str]
) -> None:
    other = Api(server, http, token_pair.access_token, realm="1234567890")
    response = other.get(path, **params)
    assert response.status_code == 403
    assert response.json()["fault"]["error"][0]["code"] == "3100"


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", f"/sandbox/v3/company/{REALM_ID}/query", {"params": {"query": "SELECT * FROM Item"}}),
        ("get", f"/sandbox/v3/company/{REALM_ID}/query", {"params": {"query": "SELECT nonsense"}}),
        ("get", f"/sandbox/v3/company/{REALM_ID}/item/1", {}),
        ("get", f"/sandbox/v3/company/{REALM_ID}/invoice/999999", {}),
        ("get", f"/sandbox/v3/company/{REALM_ID}/cdc", {"params": {"entities": "Invoice", "changedSince": "bad"}}),
        (
            "post",
            "/sandbox/oauth2/tokens/bearer",
            {"data": {"grant_type": "refresh_token", "refresh_token": "x"}, "auth": (CLIENT_ID, CLIENT_SECRET)},
        ),
        ("post", "/sandbox/oauth2/tokens/revoke", {"json": {"token": "x"}, "auth": (CLIENT_ID, CLIENT_SECRET)}),
        ("get", "/sandbox/", {}),
        ("get", "/sandbox/no-such-page", {}),
        ("put", f"/sandbox/v3/company/{REALM_ID}/query", {}),
    ],
)
@pytest.mark.parametrize("authorized", [True, False])
def test_every_response_carries_an_intuit_tid(
    server: str, http: requests.Session, token_pair: Any, seeded: Any, method: str, path: str, kwargs: dict[str, Any], authorized: bool
) -> None:
    headers = {"Authorization": f"Bearer {token_pair.access_token}"} if authorized else {}
    response = getattr(http, method)(server + path, headers=headers, timeout=10, **kwargs)
    assert response.headers["intuit_tid"].startswith("1-")
    assert len(response.headers["intuit_tid"]) > 20


def test_intuit_tids_differ_per_request(api: Api, seeded: Any) -> None:
    tids = {api.get("item/1").headers["intuit_tid"] for _ in range(5)}
    assert len(tids) == 5


def test_counters_count_each_family_and_entity(api: Api, company: SandboxCompany, seeded: Any) -> None:
    company.reset_counters()
    api.get("item/1")
    api.get("item/2")
    api.get("invoice/101")
    api.query("SELECT * FROM Invoice MAXRESULTS 1")
    api.cdc("Invoice", "2026-01-01T00:00:00Z")
    counters = company.counters()
    assert {
        k: counters.get(k, 0) for k in ("all", "read", "read.Item", "read.Invoice", "query", "query.Invoice", "query.Item", "cdc", "token")
    } == {"all": 5, "read": 3, "read.Item": 2, "read.Invoice": 1, "query": 1, "query.Invoice": 1, "query.Item": 0, "cdc": 1, "token": 0}


def test_the_request_log_keeps_path_query_and_minorversion_but_never_the_token(api: Api, company: SandboxCompany, seeded: Any) -> None:
    company.reset_counters()
    response = api.get("item/3")
    [entry] = company.request_log()
    assert (entry.method, entry.path, entry.family, entry.status, entry.minorversion) == (
        "GET",
        f"/sandbox/v3/company/{REALM_ID}/item/3",
        "read",
        200,
        "75",
    )
    assert entry.intuit_tid == response.headers["intuit_tid"]
    assert api.access_token not in repr(company.request_log())
