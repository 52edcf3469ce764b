"""The Xero face's identity: consent with a choice of organisations, codes, rotating refresh
tokens with their grace period, revocation, connections and disconnection."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from xero_harness import (  # noqa: F401  (the Xero face's fixtures)
    AUTHORIZE_URL,
    CONNECTIONS_URL,
    DEMO_TENANT,
    EMPTY_TENANT,
    REVOKE_URL,
    TOKEN_URL,
    XERO_CLIENT_ID,
    XERO_REDIRECT_URI,
    XeroApi,
    app,
    basic,
    body,
    client,
)

from partsemble.sandbox import SandboxCompany

SCOPE = "offline_access accounting.transactions.read accounting.settings.read"
CONSENT = {"client_id": XERO_CLIENT_ID, "response_type": "code", "scope": SCOPE, "redirect_uri": XERO_REDIRECT_URI, "state": "s-42"}


def approve(client: FlaskClient, tenants: list[str], scope: str = SCOPE) -> str:
    """Allow access on the consent page for `tenants`; the code it redirects back with."""
    response = client.post(AUTHORIZE_URL, data={**CONSENT, "scope": scope, "decision": "allow", "tenant_id": tenants})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == XERO_REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["s-42"]
    return query["code"][0]


def exchange(client: FlaskClient, code: str) -> dict[str, object]:
    response = client.post(
        TOKEN_URL, data={"grant_type": "authorization_code", "code": code, "redirect_uri": XERO_REDIRECT_URI}, headers=basic()
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(body(response))


def test_the_consent_page_lists_both_organisations(client: FlaskClient, company: SandboxCompany) -> None:
    page = client.get(AUTHORIZE_URL, query_string=CONSENT).get_data(as_text=True)
    assert f'value="{DEMO_TENANT}"' in page and f'value="{EMPTY_TENANT}"' in page
    assert "Juniper &amp; Wick Co." in page and "Demo Company (Global)" in page
    form = page[page.index('<form method="post"') : page.index("</form>")]
    assert 'name="csrf_token"' in form and 'name="state" value="s-42"' in form
    assert "<script" not in page and "style=" not in page


def test_connecting_two_organisations_lists_two_connections(client: FlaskClient, company: SandboxCompany) -> None:
    tokens = exchange(client, approve(client, [DEMO_TENANT, EMPTY_TENANT]))
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 1800 and tokens["scope"] == SCOPE
    listed = body(client.get(CONNECTIONS_URL, headers={"Authorization": f"Bearer {tokens['access_token']}"}))
    assert [(c["tenantId"], c["tenantType"], c["tenantName"]) for c in listed] == [
        (DEMO_TENANT, "ORGANISATION", "Juniper & Wick Co."),
        (EMPTY_TENANT, "ORGANISATION", "Demo Company (Global)"),
    ]
    assert len({c["id"] for c in listed}) == 2


def test_an_organisation_not_chosen_answers_403(client: FlaskClient, company: SandboxCompany) -> None:
    tokens = exchange(client, approve(client, [EMPTY_TENANT]))
    access = str(tokens["access_token"])
    assert XeroApi(client, access, EMPTY_TENANT).get("Invoices", page=1).status_code == 200
    refused = XeroApi(client, access, DEMO_TENANT).get("Invoices", page=1)
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert body(refused)["Title"] == "Forbidden"


def test_cancel_sends_access_denied_and_no_code(client: FlaskClient, company: SandboxCompany) -> None:
    response = client.post(AUTHORIZE_URL, data={**CONSENT, "decision": "cancel", "tenant_id": [DEMO_TENANT]})
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query == {"error": ["access_denied"], "state": ["s-42"]}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"scope": "offline_access"}, "invalid_scope"),
        ({"scope": "accounting.transactions.read com.intuit.quickbooks.accounting"}, "invalid_scope"),
        ({"client_id": "somebody-else"}, "unauthorized_client"),
        ({"redirect_uri": "https://evil.example/callback"}, "redirect_uri does not match"),
    ],
)
def test_a_bad_authorize_request_is_refused(client: FlaskClient, company: SandboxCompany, change: dict[str, str], problem: str) -> None:
    response = client.get(AUTHORIZE_URL, query_string={**CONSENT, **change})
    assert response.status_code == 400
    assert problem in response.get_data(as_text=True)


def test_a_code_works_once_and_only_with_its_redirect_uri(client: FlaskClient, company: SandboxCompany) -> None:
    code = approve(client, [DEMO_TENANT])
    wrong = client.post(
        TOKEN_URL, data={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:5000/other"}, headers=basic()
    )
    assert (wrong.status_code, body(wrong)) == (400, {"error": "invalid_grant"})
    assert exchange(client, code)["access_token"]
    again = client.post(
        TOKEN_URL, data={"grant_type": "authorization_code", "code": code, "redirect_uri": XERO_REDIRECT_URI}, headers=basic()
    )
    assert (again.status_code, body(again)) == (400, {"error": "invalid_grant"})


def test_wrong_client_credentials_are_invalid_client(client: FlaskClient, company: SandboxCompany) -> None:
    tokens = company.issue_xero_tokens(XERO_CLIENT_ID)
    response = client.post(
        TOKEN_URL, data={"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}, headers=basic(secret="guess")
    )
    assert (response.status_code, body(response)) == (400, {"error": "invalid_client"})


def test_without_offline_access_there_is_no_refresh_token(client: FlaskClient, company: SandboxCompany) -> None:
    tokens = exchange(client, approve(client, [DEMO_TENANT], scope="accounting.transactions.read"))
    assert "refresh_token" not in tokens and tokens["access_token"]


def test_refresh_rotates_and_the_old_token_has_half_an_hour_of_grace(client: FlaskClient, company: SandboxCompany) -> None:
    first = company.issue_xero_tokens(XERO_CLIENT_ID)
    assert first.refresh_token
    api = XeroApi(client, first.access_token)
    rotated = body(api.refresh(first.refresh_token))
    assert rotated["refresh_token"] != first.refresh_token and rotated["access_token"] != first.access_token
    assert XeroApi(client, rotated["access_token"]).get("Items").status_code == 200
    company.age_xero_tokens(1700)
    retried = api.refresh(first.refresh_token)
    assert retried.status_code == 200 and body(retried)["refresh_token"] not in (first.refresh_token, rotated["refresh_token"])
    company.age_xero_tokens(200)  # 31 minutes and 40 seconds after its first use
    late = api.refresh(first.refresh_token)
    assert (late.status_code, body(late)) == (400, {"error": "invalid_grant"})
    # The rotated one was never spent: no grace period runs for it.
    assert api.refresh(rotated["refresh_token"]).status_code == 200


def test_an_expired_access_token_answers_401_token_expired(client: FlaskClient, company: SandboxCompany) -> None:
    tokens = company.issue_xero_tokens(XERO_CLIENT_ID)
    api = XeroApi(client, tokens.access_token)
    company.age_xero_tokens(1799)
    assert api.get("Items").status_code == 200
    company.age_xero_tokens(2)
    expired = api.get("Items")
    assert expired.status_code == 401
    assert expired.headers["Content-Type"].startswith("application/problem+json")
    problem = body(expired)
    assert (problem["Title"], problem["Status"]) == ("Unauthorized", 401)
    assert problem["Detail"].startswith("TokenExpired: ")
    unknown = XeroApi(client, "eyJnot.issued.here").get("Items")
    assert unknown.status_code == 401 and body(unknown)["Detail"] == "AuthenticationUnsuccessful"


def test_a_qbo_token_does_not_open_the_xero_face(client: FlaskClient, company: SandboxCompany) -> None:
    qbo = company.issue_tokens(XERO_CLIENT_ID)
    assert XeroApi(client, qbo.access_token).get("Items").status_code == 401


def test_revoking_the_refresh_token_disconnects_and_ends_the_grant(client: FlaskClient, company: SandboxCompany) -> None:
    tokens = company.issue_xero_tokens(XERO_CLIENT_ID, tenant_ids=(DEMO_TENANT, EMPTY_TENANT))
    api = XeroApi(client, tokens.access_token)
    assert api.get("Invoices", page=1).status_code == 200
    revoked = client.post(REVOKE_URL, data={"token": tokens.refresh_token}, headers=basic())
    assert revoked.status_code == 200
    assert api.get("Invoices", page=1).status_code == 403
    assert body(api.refresh(str(tokens.refresh_token))) == {"error": "invalid_grant"}
    assert body(client.get(CONNECTIONS_URL, headers={"Authorization": f"Bearer {tokens.access_token}"})) == []


def test_revoking_the_latest_grant_disconnects_the_organisation_for_the_app(client: FlaskClient, company: SandboxCompany) -> None:
    earlier = company.issue_xero_tokens(XERO_CLIENT_ID)
    later = company.issue_xero_tokens(XERO_CLIENT_ID)
    assert XeroApi(client, earlier.access_token).get("Items").status_code == 200
    assert client.post(REVOKE_URL, data={"token": later.refresh_token}, headers=basic()).status_code == 200
    # The earlier grant was not revoked, but the organisation is no longer connected to the app.
    assert XeroApi(client, earlier.access_token).get("Items").status_code == 403


def test_deleting_a_connection_closes_only_that_organisation(client: FlaskClient, company: SandboxCompany) -> None:
    tokens = company.issue_xero_tokens(XERO_CLIENT_ID, tenant_ids=(DEMO_TENANT, EMPTY_TENANT))
    bearer = {"Authorization": f"Bearer {tokens.access_token}"}
    listed = body(client.get(CONNECTIONS_URL, headers=bearer))
    demo = next(c["id"] for c in listed if c["tenantId"] == DEMO_TENANT)
    assert client.delete(f"{CONNECTIONS_URL}/{demo}", headers=bearer).status_code == 204
    assert XeroApi(client, tokens.access_token, DEMO_TENANT).get("Invoices", page=1).status_code == 403
    assert XeroApi(client, tokens.access_token, EMPTY_TENANT).get("Invoices", page=1).status_code == 200
    assert [c["tenantId"] for c in body(client.get(CONNECTIONS_URL, headers=bearer))] == [EMPTY_TENANT]
    assert client.delete(f"{CONNECTIONS_URL}/{demo}", headers=bearer).status_code == 404
    # Connecting it again restores access with the same token's app.
    company.issue_xero_tokens(XERO_CLIENT_ID, tenant_ids=(DEMO_TENANT,))
    assert XeroApi(client, tokens.access_token, DEMO_TENANT).get("Invoices", page=1).status_code == 200
