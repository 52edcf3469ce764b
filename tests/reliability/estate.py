"""One of everything a route can name, and the people who visit: shared by the role table and the route walks."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from flask import Flask

from partsemble.extensions import db
from partsemble.sandbox import REALM_ID, ItemDraft, LineInput, SandboxCompany
from tests import factories
from tests.conftest import CSRF_META, Browser

ROLES = ("anonymous", "viewer", "member", "admin")

VALUES = {
    "product_id": "1",
    "lot_id": "1",
    "sale_id": "1",
    "run_id": "1",
    "external_id": "7",
    "rule_id": "1",
    "entity": "invoice",
    "doc_id": "1",
    "item_id": "1",
    "realm": REALM_ID,
    "entity_name": "invoice",
    "object_id": "1",
    "company_id": REALM_ID,
    "path_name": "invoice",
    "filename": "app.css",
    "user_id": "?",
    "provider": "qbo",
    "collection": "Invoices",
    "connection_id": "1",
}


def concrete(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: VALUES[m.group(1)], rule)


def routes(app: Flask) -> dict[tuple[str, str], str]:
    """Every rule by (endpoint, method). An endpoint's later rules (an item's Xero pages beside its
    QuickBooks ones) are named by the defaults they give the view, "items.link[source=xero]", so each
    rule is walked and written down."""
    found: dict[tuple[str, str], str] = {}
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            key = (rule.endpoint, method)
            if key in found:
                key = (rule.endpoint + "[" + ",".join(f"{k}={v}" for k, v in sorted((rule.defaults or {}).items())) + "]", method)
            assert key not in found, f"two rules of {rule.endpoint} give its view the same defaults"
            found[key] = rule.rule
    return found


def build_estate(app: Flask, sandbox: SandboxCompany) -> Flask:
    """One of everything a route can name: product 1, lot 1, manual sale 1, sync run 1, item 7 (QuickBooks and Xero), a user to edit, sandbox invoice 1."""
    from partsemble.auth.services import create_user
    from partsemble.models.catalog import AccountingItem
    from partsemble.models.sync import Connection, SyncRun
    from partsemble.sales.manual import ManualLine, ManualSaleInput, create_manual_sale

    with app.app_context():
        good = factories.product("CND-A", "Candle A")
        factories.product("WICK", "Wick", kind="component")
        factories.lot(good, "20", "4.5", date(2026, 1, 1), "L1")
        db.session.add(AccountingItem(source="qbo", external_id="7", name="Soap", item_type="Inventory"))
        db.session.add(AccountingItem(source="xero", external_id="7", name="Soap (Xero)", item_type="Inventory"))  # the same Id
        # Disconnected: no route may reach out to QuickBooks from this test.
        db.session.add(Connection(provider="qbo", realm_id="1", status="disconnected", initial_sync_date=date(2026, 1, 1)))
        db.session.add(SyncRun(started_by="ana@example.com", trigger="web", status="succeeded"))
        db.session.commit()
        sale = create_manual_sale(
            db.session, ManualSaleInput(date(2026, 1, 2), "M-1", "Walk-in", "", (ManualLine(good.id, Decimal(1), Decimal(10)),)), None
        )
        assert (good.id, sale.id) == (1, 1)
        VALUES["user_id"] = str(create_user(db.session, "target@example.com", "long enough pw", "viewer").id)  # the one a route edits
        db.session.remove()
    customer = sandbox.create_customer("Acme")["Id"]
    item = sandbox.create_item(ItemDraft("Candle", "Inventory", "CND"))["Id"]
    sandbox.create_document("Invoice", customer_id=customer, txn_date=date(2026, 1, 5), lines=[LineInput(item, Decimal(1))])
    sandbox.add_fault("query", "slow", ordinals=[999])  # rule 1, never firing
    return app


def browser(app: Flask, role: str) -> Browser:
    person = Browser(app.test_client())
    if role == "anonymous":
        person.csrf = CSRF_META.search(person.get("/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    else:
        person.login(f"{role}@example.com")
    return person
