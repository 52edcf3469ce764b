"""Sales channels: the Manual channel, always there, and one per accounting connection.

A connection's channel can be deactivated: Sync Now skips it, its sales, items, failures and cursor
(synced_through, synced_from) stay as they are, and reactivating it resumes from that cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from partsemble.connections.providers import PROVIDERS, connection_of
from partsemble.models.sales import CHANNEL_NAMES, Sale
from partsemble.models.sync import Connection
from partsemble.models.transactions import AnySession, write_transaction
from partsemble.validation import InputError


@dataclass(frozen=True)
class Channel:
    key: str  # the source of its sales: manual, qbo, xero
    name: str
    account: str  # the company or organisation connected ("" for Manual)
    status: str  # connected, expired, disconnected; "always" for Manual
    active: bool
    initial_sync_date: date | None
    synced_through: datetime | None
    sales: int

    @property
    def can_toggle(self) -> bool:
        return self.key != "manual"


def list_channels(session: AnySession) -> list[Channel]:
    """Manual first, then each connection ever made, in the order of PROVIDERS."""
    counts = dict(session.execute(select(Sale.source, func.count()).group_by(Sale.source)).tuples().all())
    channels = [Channel("manual", CHANNEL_NAMES["manual"], "", "always", True, None, None, counts.get("manual", 0))]
    for provider in PROVIDERS.values():
        connection = connection_of(session, provider)
        if connection is None:
            continue
        channels.append(
            Channel(
                provider.key,
                provider.name,
                connection.company_name,
                connection.status,
                connection.active,
                connection.initial_sync_date,
                connection.synced_through,
                counts.get(provider.key, 0),
            )
        )
    return channels


def set_active(session: AnySession, key: str, active: bool) -> Connection:
    """Deactivate or reactivate a connection's channel; its data and cursor stay. Commits.

    Raises:
        InputError: Manual (always active) or a channel never connected.
    """
    provider = PROVIDERS.get(key)
    if provider is None:
        raise InputError(f"Channel {key!r} cannot be switched off: the Manual channel is always there.", "channel")
    with write_transaction(session):
        connection = connection_of(session, provider)
        if connection is None:
            raise InputError(f"{provider.name} was never connected: connect it in Settings → Connections first.", "channel")
        connection.active = active
    return connection
