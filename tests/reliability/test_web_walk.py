"""Walking every route of app.url_map (the sandbox's too): security headers on every answer,
no inline script or style in any page, CSRF refused on every state change however it is sent,
cookies locked down, and junk in any query string never answered with a 500."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from partsemble.extensions import db
from tests.conftest import PASSWORD, PG_URL, Browser
from tests.reliability.estate import browser, concrete, routes

CSRF_REFUSED = "did not come from this site"
# The QBO-compatible API of the sandbox authenticates with HTTP Basic or a bearer token, like Intuit's.
# The sandbox's APIs authenticate every call with HTTP Basic or a bearer token, as Intuit's and Xero's do.
CSRF_EXEMPT = {
    ("sandbox_api.token", "POST"),
    ("sandbox_api.revoke", "POST"),
    ("sandbox_api.query", "POST"),
    ("sandbox_api.xero_token", "POST"),
    ("sandbox_api.xero_revoke", "POST"),
    ("sandbox_api.xero_disconnect", "DELETE"),
}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def assert_locked_down(response, where: str) -> None:  # type: ignore[no-untyped-def]
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives.get("script-src") == ["'self'"], (where, csp)
    assert directives.get("frame-ancestors") == ["'none'"], (where, csp)
    assert directives.get("object-src") == ["'none'"], (where, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (where, csp)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), where
    assert response.headers.get("X-Frame-Options") == "DENY", where


def assert_no_inline_code(html: str, where: str) -> None:
    assert INLINE_SCRIPT.findall(html) == [], where
    assert EVENT_HANDLER.findall(html) == [], where
    assert STYLE_ATTRIBUTE.findall(html) == [], where
    assert JAVASCRIPT_URL.findall(html) == [], where


def test_every_answer_carries_the_security_headers_and_no_inline_code(estate) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for role in ("anonymous", "viewer", "admin"):
        person = browser(estate, role)
        for (_endpoint, method), rule in sorted(routes(estate).items()):
            if method != "GET":
                continue
            for headers in ({}, {"HX-Request": "true"}):
                response = person.get(concrete(rule), headers=headers)
                html = response.get_data(as_text=True)
                response.close()
                assert_locked_down(response, f"{role} GET {rule} {headers}")
                if response.mimetype == "text/html":
                    assert_no_inline_code(html, f"{role} GET {rule}")
                checked += 1
    # Error answers too: not found, method not allowed, a refused role, a refused CSRF token.
    viewer = browser(estate, "viewer")
    for response in (
        viewer.get("/nope"),
        viewer.client.put("/products/"),
        viewer.get("/settings/users"),
        viewer.post("/account/password", csrf=False),
    ):
        assert_locked_down(response, response.status)
        assert_no_inline_code(response.get_data(as_text=True), response.status)
    assert checked >= 300


def counts(app, sandbox) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    with app.app_context():
        ours = tuple(db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables)
        db.session.remove()
    theirs = (
        len(sandbox.faults()),
        len(sandbox.customers()),
        len(sandbox.items()),
        sandbox.count("Invoice", state="all"),
        sandbox.state("Invoice", 1),
        tuple(sorted(sandbox.quirks().items())),
    )
    return ours, theirs


WAYS = {
    "no token": lambda p, path, other: p.post(path, csrf=False),
    "a forged token": lambda p, path, other: p.post(path, {"csrf_token": "forged"}, csrf=False),
    "another session's token": lambda p, path, other: p.post(path, {"csrf_token": other}, csrf=False),
    "htmx without the header": lambda p, path, other: p.post(path, htmx=True, csrf=False),
    "htmx with a forged header": lambda p, path, other: p.client.post(path, headers={"HX-Request": "true", "X-CSRFToken": "forged"}),
}


@pytest.mark.parametrize("way", sorted(WAYS))
def test_every_state_change_refuses_a_missing_or_wrong_csrf_token(estate, sandbox, way) -> None:  # type: ignore[no-untyped-def]
    admin, other = browser(estate, "admin"), browser(estate, "member")
    before = counts(estate, sandbox)
    refused, let_through = 0, set()
    for (endpoint, method), rule in sorted(routes(estate).items()):
        if method == "GET" or (way != "no token" and (endpoint, method) in CSRF_EXEMPT):
            continue
        response = WAYS[way](admin, concrete(rule), other.csrf)
        if response.status_code == 400 and CSRF_REFUSED in response.get_data(as_text=True):
            refused += 1
        else:
            let_through.add((endpoint, method))
    # Only the sandbox's APIs (CSRF_EXEMPT) go without.
    assert let_through == (CSRF_EXEMPT if way == "no token" else set())
    assert counts(estate, sandbox) == before  # nothing was written, in Partsemble or in the sandbox company
    assert refused >= 40
    assert admin.get("/products/").status_code == 200  # and the session itself still works


def test_session_cookie_is_httponly_samesite_and_secure_behind_https(tmp_path, db_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from partsemble import create_app
    from partsemble.auth.services import create_user
    from tests.conftest import CSRF_META, base_config

    monkeypatch.setenv("PARTSEMBLE_HTTPS", "1")
    app = create_app(base_config(tmp_path, db_url))
    try:
        with app.app_context():
            create_user(db.session, "ana@example.com", PASSWORD, "member")
            db.session.remove()
        client = app.test_client()
        page = client.get("/login", base_url="https://partsemble.example")
        token = CSRF_META.search(page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
        landed = client.post(
            "/login",
            base_url="https://partsemble.example",
            headers={"Referer": "https://partsemble.example/login"},
            data={"email": "ana@example.com", "password": PASSWORD, "csrf_token": token},
        )
        assert landed.status_code == 302
        cookies = [c for c in landed.headers.getlist("Set-Cookie") if c.startswith(("session=", "remember_token="))]
        assert cookies and all("HttpOnly" in c and "SameSite=Lax" in c and "Secure" in c for c in cookies), cookies
        assert landed.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        with app.app_context():
            db.engine.dispose()


# Left out, their 500s pinned below: `index` (the manual sale's extra line) and `product` (the Sales filter).
PARAMETERS = (
    "q",
    "page",
    "from",
    "to",
    "status",
    "type",
    "product_id",
    "customer",
    "filter",
    "lots",
    "next",
    "lot_number",
    "received_date",
    "source",
    "sort",
    "dir",
    "period",
    "state",
    "code",
    "error",
    "realmId",
    "channel",
)
JUNK = [
    "\x00",
    "%",
    "_",
    "' OR 1=1--",
    "9" * 40,
    "-1",
    "0",
    "1e400",
    "NaN",
    "2026-13-45",
    "<script>x</script>",
    "../../etc/passwd",
    "\u202e",
    "a" * 5000,
    "²",
    "١٢",
]
values = st.one_of(st.sampled_from(JUNK), st.text(max_size=30))
if PG_URL:
    # NUL in the Sales customer filter answers 500 on PostgreSQL (pinned by test_junk_in_a_filter_is_not_a_server_error).
    values = values.filter(lambda v: "\x00" not in v)


def get_pages(app, person: Browser, query: dict[str, str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    found = {}
    for (_endpoint, method), rule in sorted(routes(app).items()):
        if method == "GET" and not rule.startswith(("/static", "/sandbox/v3")):
            response = person.get(concrete(rule), query_string=query)
            response.get_data()
            response.close()
            found[rule] = response.status_code
    return found


@pytest.mark.parametrize("junk", [j for j in JUNK if not (PG_URL and j == "\x00")])
def test_junk_in_every_query_parameter_of_every_page_is_never_a_server_error(estate, junk) -> None:  # type: ignore[no-untyped-def]
    statuses = get_pages(estate, browser(estate, "admin"), {name: junk for name in PARAMETERS})
    assert {rule: code for rule, code in statuses.items() if code >= 500} == {}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=st.dictionaries(st.sampled_from(PARAMETERS), values, max_size=4))
def test_random_query_strings_are_never_a_server_error(estate, query) -> None:  # type: ignore[no-untyped-def]
    statuses = get_pages(estate, browser(estate, "member"), query)
    assert {rule: code for rule, code in statuses.items() if code >= 500} == {}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/sales/?product=" + "9" * 40, id="sales product id past 64 bits"),
        pytest.param("/sales/export.csv?product=" + "9" * 40, id="sales export product id past 64 bits"),
        pytest.param("/sales/?product=²", id="sales product id '²'"),
        pytest.param("/sales/?customer=%00", id="sales customer NUL"),
        pytest.param("/products/?q=%00", id="products search NUL"),
        pytest.param("/lots/?q=%00", id="lots search NUL"),
        pytest.param("/lots/?product_id=" + "9" * 40, id="lots product id past 64 bits"),
        pytest.param("/lots/export.csv?product_id=²", id="lots export product id '²'"),
        pytest.param("/lots/receive?product_id=" + "9" * 40, id="receive form product id past 64 bits"),
        pytest.param("/lots/suggest-number?product_id=²&lot_number=%00", id="lot number suggestion"),
        pytest.param("/items/?q=%00", id="items search NUL"),
    ],
)
def test_junk_in_a_filter_is_not_a_server_error(estate, path) -> None:  # type: ignore[no-untyped-def]
    response = browser(estate, "member").get(path)
    response.get_data()  # a CSV export streams: its failure shows while it is read
    assert response.status_code == 200


@pytest.mark.parametrize("index", ["abc", "1.5", "²", "-"])
def test_a_junk_line_index_is_not_a_server_error(estate, index) -> None:  # type: ignore[no-untyped-def]
    assert browser(estate, "member").get(f"/sales/manual/line?index={index}").status_code == 200
