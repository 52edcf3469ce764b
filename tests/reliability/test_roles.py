"""Roles are enforced on the server for every route: a table of the status each role gets on each
(endpoint, method) of app.url_map, so a route added later fails here until its rule is written down.

Anonymous visitors are sent to log in; viewers read; members work (sync, items, lots, products,
manual sales); admins also manage users, the connection and the settings. The embedded sandbox
(demo and debug only, see test_sandbox_is_off_by_default) plays another company: its API and token
endpoints authenticate like Intuit's, its consent page needs a logged-in user, its screens an admin.
"""

from __future__ import annotations

import pytest

from partsemble.extensions import db
from tests.conftest import Browser
from tests.reliability.estate import ROLES, browser, concrete, routes

# (endpoint, method): status for (anonymous, viewer, member, admin), an empty form posted with a valid CSRF token.
# 302 for anonymous is the redirect to /login; 403 is a role refusal; other codes are the view's own answer.
EXPECTED = {
    ("index", "GET"): (302, 302, 302, 302),
    ("auth.change_password", "GET"): (302, 200, 200, 200),
    ("auth.change_password", "POST"): (302, 400, 400, 400),
    ("connections.callback", "GET"): (302, 403, 403, 302),
    ("connections.connect", "POST"): (302, 403, 403, 400),
    ("connections.disconnect", "POST"): (302, 403, 403, 302),
    ("connections.xero_callback", "GET"): (302, 403, 403, 302),
    ("connections.xero_choose", "GET"): (302, 403, 403, 302),
    ("connections.xero_choose", "POST"): (302, 403, 403, 302),
    ("connections.sales_channels", "GET"): (302, 403, 403, 200),
    ("connections.toggle_channel", "POST"): (302, 403, 403, 302),
    ("favicon", "GET"): (301, 301, 301, 301),
    ("items.index", "GET"): (302, 200, 200, 200),
    ("items.detail", "GET"): (302, 200, 200, 200),
    ("items.create_product", "POST"): (302, 403, 302, 302),
    ("items.link", "POST"): (302, 403, 400, 400),
    ("items.mark_not_tracked", "POST"): (302, 403, 302, 302),
    ("items.mark_tracked", "POST"): (302, 403, 302, 302),
    ("items.unlink", "POST"): (302, 403, 302, 302),
    ("items.bulk_create", "POST"): (302, 403, 302, 302),
    ("items.refresh", "POST"): (302, 403, 302, 302),
    ("items.detail[source=xero]", "GET"): (302, 200, 200, 200),  # a Xero item's pages: /items/xero/<Id>...
    ("items.create_product[source=xero]", "POST"): (302, 403, 302, 302),
    ("items.link[source=xero]", "POST"): (302, 403, 400, 400),
    ("items.mark_not_tracked[source=xero]", "POST"): (302, 403, 302, 302),
    ("items.mark_tracked[source=xero]", "POST"): (302, 403, 302, 302),
    ("items.unlink[source=xero]", "POST"): (302, 403, 302, 302),
    ("auth.login", "GET"): (200, 302, 302, 302),
    ("auth.login", "POST"): (400, 302, 302, 302),
    ("auth.logout", "POST"): (302, 302, 302, 302),
    ("lots.index", "GET"): (302, 200, 200, 200),
    ("lots.detail", "GET"): (302, 200, 200, 200),
    ("lots.adjust", "POST"): (302, 403, 400, 400),
    ("lots.customers_csv", "GET"): (302, 200, 200, 200),
    ("lots.void", "POST"): (302, 403, 302, 302),
    ("lots.export", "GET"): (302, 200, 200, 200),
    ("lots.import_csv", "GET"): (302, 403, 200, 200),
    ("lots.import_csv", "POST"): (302, 403, 400, 400),
    ("lots.receive", "GET"): (302, 403, 200, 200),
    ("lots.receive", "POST"): (302, 403, 400, 400),
    ("lots.suggest_number", "GET"): (302, 403, 200, 200),
    ("products.index", "GET"): (302, 200, 200, 200),
    ("products.detail", "GET"): (302, 200, 200, 200),
    ("products.archive", "POST"): (302, 403, 302, 302),
    ("products.edit", "GET"): (302, 403, 200, 200),
    ("products.edit", "POST"): (302, 403, 302, 302),
    ("products.restore", "POST"): (302, 403, 302, 302),
    ("products.export", "GET"): (302, 200, 200, 200),
    ("products.import_csv", "GET"): (302, 403, 200, 200),
    ("products.import_csv", "POST"): (302, 403, 400, 400),
    ("products.create", "GET"): (302, 403, 200, 200),
    ("products.create", "POST"): (302, 403, 400, 400),
    ("reports.index", "GET"): (302, 200, 200, 200),
    ("reports.margin", "GET"): (302, 200, 200, 200),
    ("reports.margin_csv", "GET"): (302, 200, 200, 200),
    ("reports.shortages", "GET"): (302, 200, 200, 200),
    ("reports.shortages_csv", "GET"): (302, 200, 200, 200),
    ("sales.index", "GET"): (302, 200, 200, 200),
    ("sales.detail", "GET"): (302, 200, 200, 200),
    ("sales.manual_edit", "GET"): (302, 403, 200, 200),
    ("sales.manual_edit", "POST"): (302, 403, 400, 400),
    ("sales.manual_void", "POST"): (302, 403, 302, 302),
    ("sales.export", "GET"): (302, 200, 200, 200),
    ("sales.dashboard", "GET"): (302, 200, 200, 200),
    ("sales.manual_line", "GET"): (302, 403, 200, 200),
    ("sales.manual_new", "GET"): (302, 403, 200, 200),
    ("sales.manual_new", "POST"): (302, 403, 400, 400),
    ("sales.preview", "POST"): (302, 403, 200, 200),
    ("sales.runs", "GET"): (302, 200, 200, 200),
    ("sales.run_detail", "GET"): (302, 200, 200, 200),
    ("sales.sync", "POST"): (302, 403, 302, 302),
    ("sales.sync_progress", "GET"): (302, 200, 200, 200),
    ("sales.retry", "POST"): (302, 403, 302, 302),
    ("sandbox.home", "GET"): (302, 403, 403, 200),
    ("sandbox.app_link", "GET"): (302, 403, 403, 302),
    ("sandbox.customers", "GET"): (302, 403, 403, 200),
    ("sandbox.customers", "POST"): (302, 403, 403, 400),
    ("sandbox.documents", "GET"): (302, 403, 403, 200),
    ("sandbox.document", "GET"): (302, 403, 403, 200),
    ("sandbox.delete_document", "GET"): (302, 403, 403, 200),
    ("sandbox.delete_document", "POST"): (302, 403, 403, 302),
    ("sandbox.edit_document", "GET"): (302, 403, 403, 200),
    ("sandbox.edit_document", "POST"): (302, 403, 403, 400),
    ("sandbox.void_document", "POST"): (302, 403, 403, 302),
    ("sandbox.new_document", "GET"): (302, 403, 403, 200),
    ("sandbox.new_document", "POST"): (302, 403, 403, 400),
    ("sandbox.fault_rules", "GET"): (302, 403, 403, 200),
    ("sandbox.fault_rules", "POST"): (302, 403, 403, 400),
    ("sandbox.delete_fault", "POST"): (302, 403, 403, 302),
    ("sandbox.clear_faults", "POST"): (302, 403, 403, 302),
    ("sandbox.reset_counters", "POST"): (302, 403, 403, 302),
    ("sandbox.save_quirks", "POST"): (302, 403, 403, 302),
    ("sandbox.set_fault_seed", "POST"): (302, 403, 403, 400),
    ("sandbox.items", "GET"): (302, 403, 403, 200),
    ("sandbox.edit_item", "GET"): (302, 403, 403, 200),
    ("sandbox.edit_item", "POST"): (302, 403, 403, 400),
    ("sandbox.new_item", "GET"): (302, 403, 403, 200),
    ("sandbox.new_item", "POST"): (302, 403, 403, 400),
    ("sandbox.authorize", "GET"): (302, 400, 400, 400),
    ("sandbox.authorize", "POST"): (302, 400, 400, 400),
    ("sandbox_api.token", "POST"): (401, 401, 401, 401),
    ("sandbox_api.revoke", "POST"): (401, 401, 401, 401),
    ("sandbox.seed_demo", "POST"): (302, 403, 403, 302),
    ("sandbox_api.read", "GET"): (401, 401, 401, 401),
    ("sandbox_api.cdc", "GET"): (401, 401, 401, 401),
    ("sandbox_api.company_info", "GET"): (401, 401, 401, 401),
    ("sandbox_api.query", "GET"): (401, 401, 401, 401),
    ("sandbox_api.query", "POST"): (401, 401, 401, 401),
    ("sandbox.move_document", "POST"): (302, 403, 403, 302),
    ("sandbox.xero_authorize", "GET"): (302, 400, 400, 400),
    ("sandbox.xero_authorize", "POST"): (302, 400, 400, 400),
    ("sandbox_api.xero_token", "POST"): (400, 400, 400, 400),  # Xero: invalid_client is a 400
    ("sandbox_api.xero_revoke", "POST"): (400, 400, 400, 400),
    ("sandbox_api.xero_connections", "GET"): (401, 401, 401, 401),
    ("sandbox_api.xero_disconnect", "DELETE"): (401, 401, 401, 401),
    ("sandbox_api.collection", "GET"): (401, 401, 401, 401),
    ("sandbox_api.one", "GET"): (401, 401, 401, 401),
    ("settings.index", "GET"): (302, 302, 302, 302),
    ("settings.costs", "GET"): (302, 403, 403, 200),
    ("settings.costs", "POST"): (302, 403, 403, 302),  # an empty date opens every period
    ("connections.settings", "GET"): (302, 403, 403, 200),
    ("connections.save_settings", "POST"): (302, 403, 403, 400),  # /settings/connection (QuickBooks)
    ("connections.save_channel_settings", "POST"): (302, 403, 403, 400),  # /settings/connection/<qbo|xero>
    ("auth.users", "GET"): (302, 403, 403, 200),
    ("auth.create_user", "POST"): (302, 403, 403, 400),
    ("auth.edit_user", "GET"): (302, 403, 403, 200),
    ("auth.edit_user", "POST"): (302, 403, 403, 302),
    ("reports.months_csv", "GET"): (302, 200, 200, 200),
    ("settings.numbers_and_time", "GET"): (302, 403, 403, 200),
    ("settings.numbers_and_time", "POST"): (302, 403, 403, 400),
    ("static", "GET"): (200, 200, 200, 200),
}


def test_the_table_names_every_route_and_method(app) -> None:  # type: ignore[no-untyped-def]
    assert set(routes(app)) == set(EXPECTED)


def answer(person: Browser, method: str, path: str) -> int:
    if method == "GET":
        response = person.get(path)
    elif method == "POST":
        response = person.post(path, {})
    else:  # DELETE and the like carry the CSRF token in a header, as htmx sends it
        response = person.client.open(path, method=method, headers={"X-CSRFToken": person.csrf})
    response.get_data()  # a streamed CSV keeps its request context until read
    response.close()
    if response.status_code == 302 and "/login" in response.headers["Location"]:
        assert response.headers["Location"].startswith("/login"), path
    return response.status_code


def test_each_role_gets_the_status_the_table_says_on_every_page(estate) -> None:  # type: ignore[no-untyped-def]
    """GET changes nothing, so one estate and one browser per role serve every page."""
    people = {role: browser(estate, role) for role in ROLES}
    pages = {key: rule for key, rule in routes(estate).items() if key[1] == "GET"}
    got = {key: tuple(answer(people[role], "GET", concrete(rule)) for role in ROLES) for key, rule in pages.items()}
    assert {k: v for k, v in got.items() if v != EXPECTED[k]} == {}
    assert len(got) >= 50


@pytest.mark.parametrize(("endpoint", "method"), sorted(k for k in EXPECTED if k[1] != "GET"))
def test_each_role_gets_the_status_the_table_says_on_every_state_change(estate, endpoint, method) -> None:  # type: ignore[no-untyped-def]
    path = concrete(routes(estate)[(endpoint, method)])
    got = tuple(answer(browser(estate, role), method, path) for role in ROLES)
    assert got == EXPECTED[(endpoint, method)], path


def test_sandbox_is_off_by_default(tmp_path, db_url) -> None:  # type: ignore[no-untyped-def]
    from partsemble import create_app
    from tests.conftest import base_config

    app = create_app(base_config(tmp_path, db_url))
    assert not [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/sandbox")]
    with app.app_context():
        db.engine.dispose()
