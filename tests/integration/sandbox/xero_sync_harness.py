"""Harness for the full sync against the sandbox's Xero face over HTTP: the app of
tests/integration/sandbox_app.live_sandbox with a stored Xero connection beside its QuickBooks one,
Xero's item list read from the sandbox and linked to the products its QuickBooks items are linked
to, Sync Now as the CLI runs it, Xero's call limits spent on purpose, an organisation disconnected
from the Xero side, and the synced book as plain comparable rows.

Imported by its full name (tests.integration.sandbox.xero_sync_harness): it has no bare-name imports.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from partsemble.connections.source import open_source
from partsemble.connections.tokens import TokenCipher
from partsemble.connectors.transport import TokenSet
from partsemble.extensions import db
from partsemble.lots.check import find_violations
from partsemble.models.base import utcnow
from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.inventory import Lot
from partsemble.models.sales import Sale
from partsemble.models.sync import Connection
from partsemble.sandbox import SandboxCompany
from partsemble.sandbox.clock import SECOND, now_us
from partsemble.sandbox.store import writing
from partsemble.sandbox.xero import identity
from partsemble.sandbox.xero.schema import DEMO_ORGANISATION, XeroCall, XeroConnection
from partsemble.sync.start import refresh_item_list, sync_now
from partsemble.sync.summary import SyncSummary
from tests.integration.sandbox_app import Live

XERO_CLIENT_ID = "xero-test-client"
XERO_CLIENT_SECRET = "xero-test-secret"
# What live_sandbox needs to let the app and the sandbox's Xero face trust each other.
XERO_APP_CONFIG: dict[str, Any] = {"XERO_CLIENT_ID": XERO_CLIENT_ID, "XERO_CLIENT_SECRET": XERO_CLIENT_SECRET}
TENANT = DEMO_ORGANISATION.tenant_id


def point_at_xero_face(live: Live) -> str:
    """Point the app's XERO_* addresses at the live sandbox's Xero face; its base URL."""
    xero = live.app.config["QBO_API_BASE"].removesuffix("/v3") + "/xero"
    live.app.config.update(
        XERO_API_BASE=xero + "/api.xro/2.0",
        XERO_AUTH_URL=xero + "/identity/connect/authorize",
        XERO_TOKEN_URL=xero + "/identity/connect/token",
        XERO_REVOKE_URL=xero + "/identity/connect/revocation",
        XERO_CONNECTIONS_URL=xero + "/connections",
    )
    return xero


def granted(live: Live) -> TokenSet:
    """A fresh Xero grant to the demo organisation (as the consent page gives), as a TokenSet."""
    tokens = live.company.issue_xero_tokens(XERO_CLIENT_ID)
    assert tokens.refresh_token is not None
    now = utcnow()
    return TokenSet(tokens.access_token, tokens.refresh_token, now + timedelta(seconds=tokens.expires_in), now + timedelta(days=60))


def connect_xero(live: Live, initial_sync_date: date | None = None, *, link: bool = True) -> None:
    """Store a Xero connection to the demo organisation (tokens encrypted, as the connect callback
    stores them), read Xero's item list over HTTP, and link every Xero item to the product its
    QuickBooks namesake is linked to (with `link`)."""
    point_at_xero_face(live)
    with live.app.app_context():
        db.session.add(
            Connection(
                provider="xero",
                realm_id=TENANT,
                company_name=DEMO_ORGANISATION.name,
                status="connected",
                initial_sync_date=initial_sync_date or live.today - timedelta(days=120),
            )
        )
        db.session.commit()
        store_grant(db.session, live.app.config, granted(live))
        refresh_item_list(db.session, live.app.config, open_source, "xero")
        if link:
            link_like_quickbooks(db.session)
        db.session.remove()


def store_grant(session: Session, config: Mapping[str, Any], grant: TokenSet) -> None:
    """Put a grant in the Xero connection (a reconnect): connected again, tokens encrypted, cursor kept."""
    cipher = TokenCipher(config)
    connection = session.scalar(select(Connection).where(Connection.provider == "xero"))
    assert connection is not None
    connection.status, connection.status_message = "connected", ""
    connection.access_token_enc = cipher.encrypt(grant.access_token)
    connection.refresh_token_enc = cipher.encrypt(grant.refresh_token)
    connection.access_expires_at, connection.refresh_expires_at = grant.expires_at, grant.refresh_expires_at
    session.commit()


def link_like_quickbooks(session: Session) -> int:
    """Each Xero item linked to the product of the QuickBooks item of the same name; how many."""
    linked = dict(
        session.execute(
            select(AccountingItem.name, AccountingItem.product_id).where(
                AccountingItem.source == "qbo", AccountingItem.product_id.is_not(None)
            )
        )
        .tuples()
        .all()
    )
    count = 0
    for item in session.scalars(select(AccountingItem).where(AccountingItem.source == "xero")):
        if item.name in linked:
            item.product_id = linked[item.name]
            count += 1
    session.commit()
    return count


def sync(live: Live) -> SyncSummary:
    """Sync Now as the CLI runs it (every active channel, QuickBooks then Xero); the ledger must stay consistent."""
    with live.app.app_context():
        summary = sync_now(db.session, live.app.config, open_source, trigger="cli", user_email="cli@example.com")
        db.session.rollback()
        problems = find_violations(db.session)
        assert problems == [], problems[:5]
        db.session.remove()
    return summary


def connection_row(live: Live, provider: str) -> Connection:
    with live.app.app_context():
        row = db.session.scalar(select(Connection).where(Connection.provider == provider))
        assert row is not None
        db.session.expunge(row)
        db.session.remove()
    return row


def spend_xero_calls(company: SandboxCompany, count: int, seconds_ago: int, tenant_id: str = TENANT) -> None:
    """Count `count` calls against the organisation's limits as made `seconds_ago` (another app of
    the organisation's, say): they leave the minute window `60 - seconds_ago` seconds from now."""
    at = now_us() - seconds_ago * SECOND
    with writing(company.engine) as conn:
        conn.execute(insert(XeroCall), [{"tenant_id": tenant_id, "at": at + n} for n in range(count)])


def disconnect_in_xero(company: SandboxCompany, tenant_id: str = TENANT, client_id: str = XERO_CLIENT_ID) -> None:
    """The organisation disconnects the app in Xero (Settings > Connected apps): its connection ends;
    the tokens stay good, but every call for that organisation is refused with 403."""
    with writing(company.engine) as conn:
        (connection_id,) = conn.execute(
            select(XeroConnection.id).where(
                XeroConnection.tenant_id == tenant_id, XeroConnection.client_id == client_id, XeroConnection.deleted_at.is_(None)
            )
        ).one()
        assert identity.disconnect(conn, client_id, connection_id)


@dataclass(frozen=True)
class Book:
    """The synced book as plain rows, keyed by what stays the same from one database to another."""

    # (channel, type, id): status, date, revenue, cost, margin, shortage, and each line with its draws and return lot
    sales: dict[tuple[str, str, str], tuple[Any, ...]]
    lots: dict[tuple[str, str, date, Decimal], Decimal]  # (sku, source, received, unit cost): quantity left
    stock: dict[str, Decimal]  # sku: on hand


def read_book(live: Live) -> Book:
    """Everything a sync wrote that a person reads: each sale and its lines, the lots left, the stock."""
    with live.app.app_context():
        session = db.session
        sku = dict(session.execute(select(Product.id, Product.sku)).tuples().all())
        sales: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        for sale in session.scalars(select(Sale).order_by(Sale.id)):
            key = (sale.source, sale.external_type, sale.external_id)
            lines = tuple(
                (
                    line.position,
                    line.kind,
                    sku.get(line.product_id or 0, ""),
                    line.quantity,
                    line.revenue,
                    line.cost,
                    line.margin,
                    line.shortage_quantity,
                    line.no_cost_basis,
                    None if line.return_lot is None else (line.return_lot.quantity_received, line.return_lot.unit_cost),
                    tuple(sorted((c.lot.received_date, c.lot.source, c.unit_cost, c.quantity, c.settled) for c in line.consumptions)),
                )
                for line in sale.lines
            )
            sales[key] = (sale.status, sale.txn_date, sale.revenue, sale.cost, sale.margin, sale.shortage, lines)
        lots: dict[tuple[str, str, date, Decimal], Decimal] = {}
        for lot in session.scalars(select(Lot)):
            kept = (sku[lot.product_id], lot.source, lot.received_date, lot.unit_cost)
            lots[kept] = lots.get(kept, Decimal(0)) + lot.quantity_remaining
        stock = dict(session.execute(select(Product.sku, Product.stock_on_hand)).tuples().all())
        session.remove()
    return Book(sales, lots, stock)


def next_second() -> None:
    """Wait for the next whole second. The sandbox stamps a change to the second (QuickBooks' LastUpdatedTime
    has no more) and its Xero face shows that stamp as UpdatedDateUTC, where Xero itself gives milliseconds;
    the sync takes a Xero document's UpdatedDateUTC as its version, so a change made within the second of
    the version already read would read as that version. A test changes a document read before only after this."""
    time.sleep(1.01 - time.time() % 1)


@contextmanager
def quiet_xero_limits(company: SandboxCompany) -> Iterator[None]:
    """Xero's call limits raised out of reach for a block (a test about something else), then Xero's own again."""
    company.set_xero_limits(per_minute=100_000, per_day=1_000_000)
    try:
        yield
    finally:
        company.set_xero_limits()
