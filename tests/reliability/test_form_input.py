"""Every form refuses bad values with a message at its field and writes nothing; random text in any
field never makes a page answer 500."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select, text

from partsemble.extensions import db
from partsemble.models.accounts import User
from partsemble.models.catalog import AccountingItem
from partsemble.models.sales import Sale, SaleLine
from tests.conftest import CSRF_META, PASSWORD, PG_URL, Browser
from tests.reliability.hostile import PAYLOADS
from tests.reliability.world import row_counts

TODAY = date.today()
FUTURE = (TODAY + timedelta(days=400)).isoformat()


def password_hash(app, user_id: int) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        value = db.session.scalar(select(User.password_hash).where(User.id == user_id))
        db.session.remove()
    return value


def receive(**changes: str) -> dict[str, str]:
    return {
        "product_id": "{good}",
        "received_date": "2026-01-05",
        "lot_number": "NEW-1",
        "quantity": "10",
        "unit_cost": "2.5",
        "source": "receipt",
        "note": "",
        **changes,
    }


def manual(**changes: str) -> dict[str, str]:
    return {
        "txn_date": TODAY.isoformat(),
        "reference": "R-1",
        "customer": "Walk-in",
        "notes": "",
        "lines-0-product_id": "{good}",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "10",
        **changes,
    }


def product(**changes: str) -> dict[str, str]:
    return {"name": "Widget", "sku": "W-1", "type": "finished_good", "unit": "each", **changes}


def new_user(**changes: str) -> dict[str, str]:
    return {"email": "new@example.com", "name": "New", "role": "viewer", "password": "long enough pw", **changes}


def case(role: str, path: str, data: dict[str, str], field: str, expected: int = 400, *marks: Any, id: str):  # type: ignore[no-untyped-def]
    return pytest.param(role, path, data, field, expected, marks=marks, id=id)


FORMS = [
    # users (admin)
    case("admin", "/settings/users", new_user(email=""), "email", id="user email empty"),
    case("admin", "/settings/users", new_user(email="not-an-email"), "email", id="user email without @"),
    case("admin", "/settings/users", new_user(email="x" * 250 + "@e.com"), "email", id="user email too long"),
    case("admin", "/settings/users", new_user(email="a\x00b@example.com"), "email", id="user email with NUL"),
    case("admin", "/settings/users", new_user(email="Member@Example.com"), "email", id="user email taken"),
    case("admin", "/settings/users", new_user(role="superuser"), "role", id="user role unknown"),
    case("admin", "/settings/users", new_user(password="short"), "password", id="user password short"),
    case("admin", "/settings/users", new_user(name="n" * 121), "name", id="user name too long"),
    case("admin", "/settings/users", new_user(name="a\x00b"), "name", id="user name with NUL"),
    case("admin", "/settings/users/{member}", {"name": "M", "role": "root", "active": "y"}, "role", id="user edit role unknown"),
    case("admin", "/settings/users/{member}", {"name": "x" * 121, "role": "member", "active": "y"}, "name", id="user edit name too long"),
    case("admin", "/settings/users/{member}", {"name": "a\x00b", "role": "member", "active": "y"}, "name", id="user edit name with NUL"),
    # own password (member)
    case("member", "/account/password", {"current_password": PASSWORD, "new_password": "short"}, "new_password", id="new password short"),
    case(
        "member",
        "/account/password",
        {"current_password": "wrong one!!", "new_password": "a brand new passphrase"},
        "current_password",
        id="current password wrong",
    ),
    # products (member)
    case("member", "/products/new", product(name=""), "name", id="product name empty"),
    case("member", "/products/new", product(name="x" * 201), "name", id="product name too long"),
    case("member", "/products/new", product(name="a\x00b"), "name", id="product name with NUL"),
    case("member", "/products/new", product(sku="has space"), "sku", id="product sku with a space"),
    case("member", "/products/new", product(sku="x" * 65), "sku", id="product sku too long"),
    case("member", "/products/new", product(sku="ß" * 64), "sku", 400, id="product sku whose key is too long"),
    case("member", "/products/new", product(sku="cnd-a"), "sku", id="product sku taken in another case"),
    case("member", "/products/new", product(type="gadget"), "type", id="product type unknown"),
    case("member", "/products/new", product(unit="x" * 21), "unit", id="product unit too long"),
    case("member", "/products/{good}/edit", product(name="", sku="CND-A"), "name", id="product edit name empty"),
    case("member", "/products/{good}/edit", product(sku="CND-B"), "sku", id="product edit sku of another product"),
    # lot receipts (member)
    case("member", "/lots/receive", receive(product_id="0"), "product_id", id="lot without product"),
    case("member", "/lots/receive", receive(product_id="999"), "product_id", id="lot of an unknown product"),
    case("member", "/lots/receive", receive(product_id="abc"), "product_id", id="lot product not a number"),
    *[
        case("member", "/lots/receive", receive(received_date=v), "received_date", id=f"lot date {v!r}")
        for v in ("", "2026-02-30", "31/01/2026", "1899-12-31", FUTURE)
    ],
    case("member", "/lots/receive", receive(lot_number="x" * 81), "lot_number", id="lot number too long"),
    case("member", "/lots/receive", receive(lot_number="L1"), "lot_number", id="lot number taken"),
    case("member", "/lots/receive", receive(lot_number="a\x00b"), "lot_number", id="lot number with NUL"),
    *[
        case("member", "/lots/receive", receive(quantity=v), "quantity", id=f"lot quantity {v!r}")
        for v in ("", "0", "-1", "abc", "NaN", "Infinity", "1e400", "1.00001", "1000000000")
    ],
    *[
        case("member", "/lots/receive", receive(unit_cost=v), "unit_cost", id=f"lot unit cost {v!r}")
        for v in ("", "-1", "NaN", "-Infinity", "1.0000001", "1000000000")
    ],
    case(
        "member",
        "/lots/receive",
        receive(quantity="999999999", unit_cost="999999999"),
        "unit_cost",
        400,
        id="lot quantity x unit cost beyond what money holds",
    ),
    case("member", "/lots/receive", receive(source="gift"), "source", id="lot source unknown"),
    case("member", "/lots/receive", receive(note="x" * 501), "note", id="lot note too long"),
    # lot adjustments (member)
    *[
        case("member", "/lots/{lot}/adjust", {"delta": v, "reason": "damage", "note": ""}, "delta", id=f"adjust by {v!r}")
        for v in ("", "0", "abc", "NaN", "-21", "1.00001")
    ],
    case("member", "/lots/{lot}/adjust", {"delta": "1", "reason": "bogus", "note": ""}, "reason", id="adjust reason unknown"),
    case("member", "/lots/{lot}/adjust", {"delta": "1", "reason": "other", "note": ""}, "note", id="adjust 'other' without a note"),
    # manual sales (member)
    *[
        case("member", "/sales/manual/new", manual(txn_date=v), "txn_date", id=f"manual sale date {v!r}")
        for v in ("", "2026-13-01", FUTURE)
    ],
    *[
        case("member", "/sales/manual/new", manual(customer=v), "customer", id=f"manual sale customer {v[:12]!r}")
        for v in ("", "x" * 256, "a\x00b")
    ],
    case("member", "/sales/manual/new", manual(reference="x" * 65), "reference", id="manual sale reference too long"),
    case("member", "/sales/manual/new", manual(notes="x" * 2001), "notes", id="manual sale notes too long"),
    *[
        case("member", "/sales/manual/new", manual(**{"lines-0-product_id": v}), "lines-0-product_id", id=f"manual line product {v!r}")
        for v in ("", "999", "abc", "{wick}")
    ],
    *[
        case("member", "/sales/manual/new", manual(**{"lines-0-quantity": v}), "lines-0-quantity", id=f"manual line quantity {v!r}")
        for v in ("0", "-2", "NaN", "abc", "1e400")
    ],
    *[
        case("member", "/sales/manual/new", manual(**{"lines-0-unit_price": v}), "lines-0-unit_price", id=f"manual line price {v!r}")
        for v in ("-1", "NaN", "Infinity")
    ],
    case(
        "member",
        "/sales/manual/new",
        manual(**{"lines-0-quantity": "999999", "lines-0-unit_price": "999999999"}),
        "lines-0-unit_price",
        400,
        id="manual line quantity x price beyond what money holds",
    ),
    # connection (admin)
    *[
        case(
            "admin",
            "/settings/connection",
            {"initial_sync_date": v, "restock_credit_memos": "y"},
            "initial_sync_date",
            id=f"initial sync date {v!r}",
        )
        for v in ("", "garbage", "0001-01-01")
    ],
]


@pytest.mark.parametrize(("role", "path", "data", "field", "expected"), FORMS)
def test_a_bad_value_is_refused_at_its_field_and_nothing_is_written(app, catalog, browser_for, role, path, data, field, expected) -> None:  # type: ignore[no-untyped-def]
    person = browser_for(role)
    data = {k: v.format(**catalog) if "{" in v else v for k, v in data.items()}
    before, secret = row_counts(app), password_hash(app, catalog["member"])
    response = person.post(path.format(**catalog), data)
    html = response.get_data(as_text=True)
    assert response.status_code == expected, html[:400]
    assert f'id="{field}-err"' in html, f"no error at {field}"
    after = row_counts(app)
    if field == "current_password":
        # A wrong current password is counted like a failed login (throttled; issue 14): that row only.
        assert after.pop("login_failures") == before.pop("login_failures") + 1
    assert after == before
    assert password_hash(app, catalog["member"]) == secret


@pytest.mark.parametrize("value", ["", "garbage", "2026-02-30", FUTURE])
def test_connecting_from_a_bad_initial_sync_date_is_refused_before_leaving_for_quickbooks(app, catalog, admin, value) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.execute(text("UPDATE connections SET status = 'expired'"))  # the connect form shows: Reconnect
        db.session.commit()
        db.session.remove()
    before = row_counts(app)
    response = admin.post("/connections/qbo/connect", {"initial_sync_date": value})
    assert response.status_code == 400 and 'id="initial_sync_date-err"' in response.get_data(as_text=True)
    with admin.client.session_transaction() as session:
        assert "qbo_oauth_state" not in session  # no OAuth round trip was started
    assert row_counts(app) == before


LOGINS = [
    pytest.param({"email": "", "password": PASSWORD}, "email", id="empty email"),
    pytest.param({"email": "member@example.com", "password": ""}, "password", id="empty password"),
    pytest.param({"email": "x" * 255, "password": PASSWORD}, "email", id="email too long"),
    pytest.param({"email": "member@example.com", "password": "p" * 513}, "password", id="password too long"),
    pytest.param({"email": "mem\x00ber@example.com", "password": PASSWORD}, "email", id="email with NUL"),
]


@pytest.mark.parametrize(("data", "field"), LOGINS)
def test_a_malformed_login_is_refused_at_its_field_and_records_nothing(app, users, data, field) -> None:  # type: ignore[no-untyped-def]
    client = Browser(app.test_client())
    client.csrf = CSRF_META.search(client.get("/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    before = row_counts(app)
    response = client.post("/login", data)
    assert response.status_code == 400
    assert f'id="{field}-err"' in response.get_data(as_text=True)
    assert row_counts(app) == before


def test_linking_an_item_to_a_bad_product_is_refused_with_a_message(app, catalog, member) -> None:  # type: ignore[no-untyped-def]
    for value, says in (
        ("", "Choose a product."),
        ("abc", "Choose a product."),
        ("999", "Choose a product."),
        (str(catalog["other"]), "already linked"),
    ):
        before = row_counts(app)
        response = member.post("/items/7/link", {"product_id": value})
        assert response.status_code == 400 and says in response.get_data(as_text=True), value
        assert row_counts(app) == before
        with app.app_context():
            assert db.session.scalar(select(AccountingItem.product_id).where(AccountingItem.external_id == "7")) is None
            db.session.remove()


# Random text in every field: never a 500, and a refusal writes nothing.
field_text = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=40), st.sampled_from(["", "0", "-1", "1e400", "NaN", "1,5", " 7 "]))
FORM_FIELDS = {
    "/products/new": ("name", "sku", "type", "unit"),
    "/lots/receive": ("product_id", "received_date", "lot_number", "quantity", "unit_cost", "source", "note"),
    "/sales/manual/new": ("txn_date", "reference", "customer", "notes", "lines-0-product_id", "lines-0-quantity", "lines-0-unit_price"),
    "/lots/{lot}/adjust": ("delta", "reason", "note"),
}
if PG_URL:  # the PostgreSQL-only 500s of NUL and of case-folded SKUs are pinned above; keep looking for others
    field_text = field_text.filter(lambda v: "\x00" not in v and len(v.casefold()) == len(v))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(path=st.sampled_from(sorted(FORM_FIELDS)), values=st.data())
def test_random_text_in_any_form_field_never_fails_the_server(app, catalog, member, path, values) -> None:  # type: ignore[no-untyped-def]
    base = {
        "/products/new": product(sku=f"R-{values.draw(st.integers(0, 10**6))}"),
        "/lots/receive": receive(lot_number=""),
        "/sales/manual/new": manual(),
        "/lots/{lot}/adjust": {"delta": "1", "reason": "damage", "note": ""},
    }[path]
    base = {k: v.format(**catalog) for k, v in base.items()}
    fields = values.draw(st.lists(st.sampled_from(FORM_FIELDS[path]), min_size=1, max_size=3, unique=True))
    data = dict(base, **{name: values.draw(field_text) for name in fields})
    before = row_counts(app)
    response = member.post(path.format(**catalog), data)
    assert response.status_code in (302, 400), (response.status_code, data)
    if response.status_code == 400:
        assert 'class="error"' in response.get_data(as_text=True)
        assert row_counts(app) == before


ODD_LINE_KEYS = [
    pytest.param("lines-²-quantity", id="superscript two"),
    pytest.param("lines-٣-product_id", id="Arabic-Indic three"),
    pytest.param("lines-0x1-quantity", id="hex"),
    pytest.param("lines--1-quantity", id="negative"),
]


@pytest.mark.parametrize("key", ODD_LINE_KEYS)
def test_a_line_key_with_an_odd_index_is_ignored_and_the_sale_is_recorded(app, catalog, member, key) -> None:  # type: ignore[no-untyped-def]
    data = {k: v.format(**catalog) for k, v in manual(reference=f"ODD-{len(key)}").items()}
    response = member.post("/sales/manual/new", dict(data, **{key: "5"}))
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    with app.app_context():
        quantities = db.session.scalars(select(SaleLine.quantity).join(Sale).where(Sale.doc_number == f"ODD-{len(key)}")).all()
        db.session.remove()
    assert quantities == [Decimal("1")]  # only the well-formed line; the odd key added nothing
