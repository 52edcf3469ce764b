"""The app with its QuickBooks sandbox served over real HTTP on 127.0.0.1, connected and ready to sync."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from partsemble import create_app
from partsemble.connections.source import open_source
from partsemble.connections.tokens import TokenCipher
from partsemble.connectors.base import SalesSource
from partsemble.demo import link_sandbox_items, load_demo
from partsemble.extensions import db
from partsemble.lots.check import find_violations
from partsemble.lots.services import LotInput, receive_lot
from partsemble.models.base import utcnow
from partsemble.models.catalog import AccountingItem
from partsemble.models.sync import Connection
from partsemble.products.services import ProductInput, create_product
from partsemble.sandbox import REALM_ID, SandboxCompany
from partsemble.sandbox.clock import local_date, now_us
from partsemble.sandbox.seed import SeedSummary
from partsemble.sync.service import SyncRequest, SyncSettings, run_sync
from partsemble.sync.summary import SyncSummary
from tests.conftest import DemoCompanies


@dataclass
class Live:
    app: Flask
    company: SandboxCompany
    today: date
    seeded: SeedSummary | None = None  # what the demo company holds, when it was asked for

    def source(self) -> SalesSource:
        with self.app.app_context():
            return open_source(self.app.config)

    def sync(self, source: SalesSource | None = None, settings: SyncSettings = SyncSettings()) -> SyncSummary:
        """One sync from the CLI's entry point; the stock ledger must stay consistent."""
        with self.app.app_context():
            summary = run_sync(db.session, source or open_source(self.app.config), SyncRequest(trigger="cli"), settings)
            problems = find_violations(db.session)
            assert problems == [], problems[:5]
            db.session.remove()
        return summary


@contextmanager
def live_sandbox(
    app_config: dict[str, Any], initial_sync_date: date | None = None, *, demo: DemoCompanies | None = None, **config: Any
) -> Iterator[Live]:
    """The sandbox company served by the app, and a connection to it (tokens issued, no browser).
    Empty, or with `demo` the demo company (copied from the worker's seeded one) with Partsemble
    holding the demo's products, lots and item links (partsemble.demo, as `partsemble demo` loads)."""
    app_config.update(SANDBOX=True, QBO_CLIENT_ID="test-client", QBO_CLIENT_SECRET="test-secret", QBO_MAX_RETRIES=2, **config)
    today = local_date(now_us())
    seeded = demo.copy_to(str(app_config["SANDBOX_DATABASE_URL"]), today) if demo else None
    app = create_app(app_config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}/sandbox"
    app.config.update(
        QBO_API_BASE=base + "/v3", QBO_TOKEN_URL=base + "/oauth2/tokens/bearer", QBO_REVOKE_URL=base + "/oauth2/tokens/revoke"
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    company = SandboxCompany.open(app.config["SANDBOX_DATABASE_URL"])
    try:
        pair = company.issue_tokens("test-client")
        cipher = TokenCipher(app.config)
        with app.app_context():
            if demo:
                load_demo(today)
                link_sandbox_items()
            db.session.add(
                Connection(
                    provider="qbo",
                    realm_id=REALM_ID,
                    company_name="Juniper & Wick Co.",
                    status="connected",
                    access_token_enc=cipher.encrypt(pair.access_token),
                    refresh_token_enc=cipher.encrypt(pair.refresh_token),
                    access_expires_at=utcnow() + timedelta(hours=1),
                    initial_sync_date=initial_sync_date or today - timedelta(days=120),
                )
            )
            db.session.commit()
            db.session.remove()
        yield Live(app, company, today, seeded)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        company.close()
        with app.app_context():
            db.session.remove()


def stock_and_link(live: Live, items: dict[str, str], received: date, quantity: str = "10000", unit_cost: str = "2.50") -> dict[str, int]:
    """A finished good per accounting item id (name given), one big lot each, and the item linked to it."""
    made: dict[str, int] = {}
    with live.app.app_context():
        for item_id, name in items.items():
            product = create_product(db.session, ProductInput(f"{name} ({item_id})", f"FG-{item_id}", "finished_good", "each"))
            receive_lot(db.session, LotInput(product.id, f"L-{item_id}", received, Decimal(quantity), Decimal(unit_cost)), None)
            made[item_id] = product.id
        for item_id, name in items.items():  # the services commit: links go in after them, in one commit
            db.session.add(
                AccountingItem(source="qbo", external_id=item_id, name=name, sku=None, item_type="Inventory", product_id=made[item_id])
            )
        db.session.commit()
        db.session.remove()
    return made
