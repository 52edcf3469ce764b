"""The sandbox's own pages: they render, escape, carry CSRF tokens, and change the company."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
from flask import Flask
from sandbox_harness import Api, csrf_token, form_fields

from partsemble.sandbox import LineInput, SandboxCompany
from partsemble.web.guard import is_public

SCRIPT = "<script>alert(1)</script>"
PAGES = [
    "/sandbox/",
    "/sandbox/documents",
    "/sandbox/documents?type=Invoice&state=voided",
    "/sandbox/documents?state=deleted&page=2",
    "/sandbox/documents/new?type=CreditMemo",
    "/sandbox/documents/Invoice/101",
    "/sandbox/documents/Invoice/101/edit",
    "/sandbox/documents/Invoice/101/delete",
    "/sandbox/items",
    "/sandbox/items/new",
    "/sandbox/items/4/edit",
    "/sandbox/customers",
    "/sandbox/faults",
    "/sandbox/oauth2/authorize?client_id=partsemble-test-client&response_type=code"
    "&scope=com.intuit.quickbooks.accounting&redirect_uri=http://127.0.0.1:5000/connect/qbo/callback&state=s",
]


def post_form(session: requests.Session, page_url: str, action_url: str, data: dict[str, str]) -> requests.Response:
    token = csrf_token(session, page_url)
    return session.post(action_url, data={**data, "csrf_token": token}, allow_redirects=False, timeout=10)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_as_the_local_sandbox(server: str, http: requests.Session, seeded: Any, path: str) -> None:
    response = http.get(server + path, timeout=10)
    assert response.status_code == 200
    assert "QuickBooks Online and Xero (local sandbox)" in response.text


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script_or_style(server: str, http: requests.Session, seeded: Any, path: str) -> None:
    html = http.get(server + path, timeout=10).text
    assert "<script" not in html.lower()
    assert not re.search(r"\sstyle\s*=", html, re.IGNORECASE)
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE)


@pytest.mark.parametrize("path", PAGES)
def test_every_post_form_carries_a_csrf_token(server: str, http: requests.Session, seeded: Any, path: str) -> None:
    html = http.get(server + path, timeout=10).text
    forms = re.findall(r"<form\b[^>]*>.*?</form>", html, re.DOTALL | re.IGNORECASE)
    posting = [form for form in forms if re.search(r'method="post"', form, re.IGNORECASE)]
    assert all('name="csrf_token"' in form for form in posting)


def test_only_what_a_qbo_client_calls_is_public(app: Flask) -> None:
    endpoints = [rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("sandbox")]
    assert len(endpoints) > 20
    public = {endpoint for endpoint in endpoints if is_public(app.view_functions[endpoint])}
    assert public == {endpoint for endpoint in endpoints if endpoint.startswith("sandbox_api.")}


def test_a_script_named_customer_is_shown_as_text_everywhere(
    server: str, http: requests.Session, company: SandboxCompany, seeded: Any
) -> None:
    response = post_form(http, f"{server}/sandbox/customers", f"{server}/sandbox/customers", {"display_name": SCRIPT, "email": ""})
    assert response.status_code == 302
    customer = company.customers()[-1]
    assert customer["DisplayName"] == SCRIPT
    company.create_document("Invoice", customer_id=customer["Id"], txn_date=date(2026, 11, 1), lines=[LineInput("1", Decimal("1"))])
    for path in ("/sandbox/customers", "/sandbox/documents", "/sandbox/documents/new"):
        html = http.get(server + path, timeout=10).text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert SCRIPT not in html


def test_posting_without_the_csrf_token_is_refused(server: str, http: requests.Session, company: SandboxCompany, seeded: Any) -> None:
    response = http.post(f"{server}/sandbox/customers", data={"display_name": "No Token"}, timeout=10)
    assert response.status_code == 400
    assert "No Token" not in [c["DisplayName"] for c in company.customers()]


def test_a_document_created_on_the_page_is_served_by_the_api(server: str, http: requests.Session, api: Api, seeded: Any) -> None:
    form = {
        "entity": "SalesReceipt",
        "customer_id": "5",
        "txn_date": "2026-11-03",
        "doc_number": "",
        "private_note": "walk-in",
        "line-0-item": "2",
        "line-0-qty": "3",
        "line-0-unit_price": "",
        "line-0-description": "",
        "line-0-amount": "",
        "line-1-item": "",
        "line-1-qty": "",
        "line-1-unit_price": "",
        "line-1-description": "Gift message",
        "line-1-amount": "",
    }
    response = post_form(http, f"{server}/sandbox/documents/new", f"{server}/sandbox/documents/new", form)
    assert response.status_code == 302
    doc_id = response.headers["Location"].rstrip("/").split("/")[-1]
    [doc] = api.rows(f"SELECT * FROM SalesReceipt WHERE Id = '{doc_id}'", "SalesReceipt")
    assert (doc["SyncToken"], doc["CustomerRef"]["value"], doc["PrivateNote"]) == ("0", "5", "walk-in")
    assert [
        (line["SalesItemLineDetail"]["ItemRef"]["value"], line["SalesItemLineDetail"]["Qty"], line["Amount"])
        for line in doc["Line"]
        if "SalesItemLineDetail" in line
    ] == [("2", 3, 72)]
    assert any(line.get("Description") == "Gift message" and "DescriptionLineDetail" in line for line in doc["Line"])


def test_editing_on_the_page_bumps_the_sync_token(server: str, http: requests.Session, company: SandboxCompany, seeded: Any) -> None:
    edit = f"{server}/sandbox/documents/Invoice/101/edit"
    fields = form_fields(http.get(edit, timeout=10).text, "document-form")
    first = next(key for key, value in sorted(fields.items()) if key.endswith("-item") and value)
    index = first.split("-")[1]
    fields.update({f"line-{index}-item": "3", f"line-{index}-qty": "7", f"line-{index}-unit_price": ""})
    before = company.get("Invoice", "101")
    response = http.post(edit, data=fields, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    after = company.get("Invoice", "101")
    assert int(after["SyncToken"]) == int(before["SyncToken"]) + 1
    assert after["CustomerRef"] == before["CustomerRef"] and after["TxnDate"] == before["TxnDate"]
    changed = [line for line in after["Line"] if "SalesItemLineDetail" in line or "GroupLineDetail" in line]
    kept = [line for line in before["Line"] if "SalesItemLineDetail" in line or "GroupLineDetail" in line]
    assert len(changed) == len(kept)
    assert (changed[0]["SalesItemLineDetail"]["ItemRef"]["value"], changed[0]["SalesItemLineDetail"]["Qty"]) == ("3", 7)
    assert changed[1:] == kept[1:]


def test_a_form_with_errors_says_what_to_fix(server: str, http: requests.Session, seeded: Any) -> None:
    response = post_form(
        http,
        f"{server}/sandbox/documents/new",
        f"{server}/sandbox/documents/new",
        {"entity": "Invoice", "customer_id": "", "txn_date": "soon", "line-0-item": "1", "line-0-qty": "many"},
    )
    assert response.status_code == 400
    errors = re.search(r'<ul id="form-errors">(.*?)</ul>', response.text, re.DOTALL)
    assert errors and "Choose a customer" in errors.group(1) and "quantity must be a number" in errors.group(1)


def test_void_and_delete_from_the_pages(server: str, http: requests.Session, company: SandboxCompany, seeded: Any) -> None:
    page = f"{server}/sandbox/documents/Invoice/102"
    assert post_form(http, page, f"{page}/void", {}).status_code == 302
    assert company.state("Invoice", "102") == "voided"
    confirm = http.get(f"{page}/delete", timeout=10).text
    assert 'id="confirm-delete"' in confirm
    assert post_form(http, f"{page}/delete", f"{page}/delete", {}).status_code == 302
    assert company.state("Invoice", "102") == "deleted"
    listing = http.get(f"{server}/sandbox/documents?state=deleted", timeout=10).text
    assert 'data-id="102"' in listing


def test_items_are_created_and_edited_on_the_pages(server: str, http: requests.Session, company: SandboxCompany, seeded: Any) -> None:
    new = f"{server}/sandbox/items/new"
    response = post_form(
        http, new, new, {"name": "Fig Candle 8oz", "sku": "CND-FIG-8", "type": "Inventory", "unit_price": "26.00", "active": "1"}
    )
    assert response.status_code == 302
    item = company.items()[-1]
    assert (item["Name"], item["Sku"], item["Type"], item["Active"]) == ("Fig Candle 8oz", "CND-FIG-8", "Inventory", True)
    edit = f"{server}/sandbox/items/{item['Id']}/edit"
    assert (
        post_form(http, edit, edit, {"name": "Fig Candle 8oz", "sku": "", "type": "NonInventory", "unit_price": "26.00"}).status_code == 302
    )
    edited = company.get("Item", item["Id"])
    assert ("Sku" in edited, edited["Type"], edited["Active"], edited["SyncToken"]) == (False, "NonInventory", False, "1")


def test_the_fault_form_adds_a_rule_every_process_sees(server: str, http: requests.Session, company: SandboxCompany) -> None:
    page = f"{server}/sandbox/faults"
    response = post_form(
        http,
        page,
        page,
        {"family": "query", "kind": "throttle_retry_after", "ordinals": "2, 5", "probability": "", "retry_after": "30", "delay": "0"},
    )
    assert response.status_code == 302
    [rule] = company.faults()
    assert (rule.family, rule.kind, rule.ordinals, rule.retry_after) == ("query", "throttle_retry_after", (2, 5), 30)
    bad = post_form(http, page, page, {"family": "query", "kind": "throttle", "probability": "2"})
    assert bad.status_code == 400 and "between 0 and 1" in bad.text
    assert post_form(http, page, f"{page}/clear", {}).status_code == 302
    assert company.faults() == []


def test_the_home_page_seeds_an_empty_company(server: str, http: requests.Session, company: SandboxCompany) -> None:
    home = f"{server}/sandbox/"
    assert 'id="seed-demo"' in http.get(home, timeout=10).text
    assert post_form(http, home, f"{server}/sandbox/seed-demo", {}).status_code == 302
    assert company.count("Item") == 12 and company.count("Invoice") > 200
    assert 'id="seed-demo"' not in http.get(home, timeout=10).text


def test_behind_the_login_guard_pages_need_a_login_and_the_api_does_not(tmp_path: Any) -> None:
    from flask import Blueprint
    from flask_login import LoginManager
    from sandbox_harness import CLIENT_ID, make_app, serving

    from partsemble.web import guard

    url = f"sqlite:///{tmp_path / 'guarded.db'}"
    app = make_app(url)
    manager = LoginManager()
    manager.init_app(app)
    manager.user_loader(lambda user_id: None)  # nobody is logged in
    login = Blueprint("auth", __name__)
    login.add_url_rule("/login", "login", guard.public(lambda: "the host app's login page"))
    app.register_blueprint(login)
    guard.register(app)
    company = SandboxCompany.open(url)
    try:
        token = company.issue_tokens(CLIENT_ID).access_token
        customers_before = company.count("Customer")
        with serving(app) as server, requests.Session() as session:
            page = session.get(f"{server}/sandbox/customers", allow_redirects=False, timeout=10)
            created = session.post(
                f"{server}/sandbox/customers", data={"display_name": "Guarded Customer"}, allow_redirects=False, timeout=10
            )
            info = session.get(
                f"{server}/sandbox/v3/company/{company.realm_id}/companyinfo/{company.realm_id}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
        assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=")
        assert created.status_code in (302, 400) and company.count("Customer") == customers_before
        assert info.status_code == 200
    finally:
        company.close()
