"""The accounting systems a connection (a sales channel) can be made to, and what they share.

A provider names its connector's OAuth functions and its settings' prefix; everything else (tokens
encrypted at rest, one refresher at a time, one company per provider and installation, disconnect)
is written once here for both.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import requests
from sqlalchemy import exists, select
from sqlalchemy.engine import Engine

from partsemble.connections.refresh import OAuthClient, RefreshTokens, StoredTokens
from partsemble.connections.tokens import TokenCipher
from partsemble.connectors.qbo import oauth as qbo_oauth
from partsemble.connectors.retry import Timeouts
from partsemble.connectors.transport import TokenSet
from partsemble.connectors.xero import oauth as xero_oauth
from partsemble.models.base import utcnow
from partsemble.models.catalog import AccountingItem
from partsemble.models.sales import Sale
from partsemble.models.sync import Connection
from partsemble.models.transactions import AnySession, write_transaction

log = logging.getLogger(__name__)


class ExchangeCode(Protocol):
    def __call__(
        self,
        session: requests.Session,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        code: str,
        redirect_uri: str,
        timeouts: Timeouts,
    ) -> TokenSet: ...


class Revoke(Protocol):
    def __call__(
        self, session: requests.Session, *, revoke_url: str, client_id: str, client_secret: str, token: str, timeouts: Timeouts
    ) -> bool: ...


@dataclass(frozen=True)
class Provider:
    key: str  # Connection.provider and the source of its sales and items
    name: str  # in what people read
    account: str  # what one connection reaches: a QuickBooks company, a Xero organisation
    prefix: str  # of its settings: QBO_CLIENT_ID, XERO_CLIENT_ID, ...
    exchange_code: ExchangeCode
    refresh: RefreshTokens
    revoke: Revoke

    def setting(self, config: Mapping[str, Any], name: str) -> Any:
        return config[self.prefix + name]

    def configured(self, config: Mapping[str, Any]) -> bool:
        return bool(self.setting(config, "CLIENT_ID") and self.setting(config, "CLIENT_SECRET"))


QBO = Provider("qbo", "QuickBooks", "company", "QBO_", qbo_oauth.exchange_code, qbo_oauth.refresh, qbo_oauth.revoke)
XERO = Provider("xero", "Xero", "organisation", "XERO_", xero_oauth.exchange_code, xero_oauth.refresh, xero_oauth.revoke)
PROVIDERS = {provider.key: provider for provider in (QBO, XERO)}
CHANNEL_NAMES = {"manual": "Manual", **{provider.key: provider.name for provider in PROVIDERS.values()}}


@dataclass
class FixedTokens:
    """Tokens just granted, for the reads right after connecting (nothing is stored yet)."""

    token: str

    def access_token(self) -> str:
        return self.token

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        return self.token


def timeouts(config: Mapping[str, Any]) -> Timeouts:
    """Every accounting call's timeouts (the QBO_ settings serve Xero too)."""
    from decimal import Decimal

    return Timeouts(connect=Decimal(config["QBO_CONNECT_TIMEOUT"]), read=Decimal(config["QBO_READ_TIMEOUT"]))


def connection_of(session: AnySession, provider: Provider) -> Connection | None:
    return session.scalar(select(Connection).where(Connection.provider == provider.key))


def oauth_client(config: Mapping[str, Any], provider: Provider) -> OAuthClient:
    return OAuthClient(
        provider.setting(config, "CLIENT_ID"),
        provider.setting(config, "CLIENT_SECRET"),
        provider.setting(config, "TOKEN_URL"),
        provider.setting(config, "REVOKE_URL"),
        timeouts(config),
    )


def stored_tokens(
    engine: Engine, config: Mapping[str, Any], provider: Provider, connection_id: int, http: requests.Session
) -> StoredTokens:
    """The TokenProvider of one stored connection: refreshed under its row lock by the provider's oauth.refresh."""
    return StoredTokens(
        engine=engine,
        cipher=TokenCipher(config),
        client=oauth_client(config, provider),
        http=http,
        connection_id=connection_id,
        refresh_tokens=provider.refresh,
        provider_name=provider.name,
    )


def exchange_code(config: Mapping[str, Any], provider: Provider, http: requests.Session, *, code: str, redirect_uri: str) -> TokenSet:
    """Raises ConnectorError: the code was refused or the token endpoint failed."""
    client = oauth_client(config, provider)
    return provider.exchange_code(
        http,
        token_url=client.token_url,
        client_id=client.client_id,
        client_secret=client.client_secret,
        code=code,
        redirect_uri=redirect_uri,
        timeouts=client.timeouts,
    )


def holds_data(session: AnySession, provider: Provider) -> bool:
    return bool(
        session.scalar(select(exists().where(Sale.source == provider.key)))
        or session.scalar(select(exists().where(AccountingItem.source == provider.key)))
    )


def other_account_refusal(session: AnySession, provider: Provider, account_id: str) -> str | None:
    """Why connecting `account_id` must be refused (the data of another one is stored), or None."""
    existing = connection_of(session, provider)
    if existing is None or not existing.realm_id or existing.realm_id == account_id or not holds_data(session, provider):
        return None
    return (
        f"This installation holds the data of {existing.company_name or f'another {provider.account}'} "
        f"({provider.name} {provider.account} {existing.realm_id}). Partsemble keeps one {provider.account} per installation, "
        f"so connecting a different {provider.account} is refused. Reconnect to the same {provider.account}, or use a new installation."
    )


def save_granted(
    session: AnySession,
    config: Mapping[str, Any],
    provider: Provider,
    *,
    account_id: str,
    account_name: str,
    granted: TokenSet,
    user_id: int,
    initial_sync_date: date,
) -> Connection:
    """Store a connection's granted tokens encrypted, its account and who connected it; commit.

    The initial sync date is set only while nothing has been synced from the channel: its cursor stays.
    """
    cipher = TokenCipher(config)
    with write_transaction(session):
        connection = connection_of(session, provider)
        if connection is None:
            connection = Connection(provider=provider.key)
            session.add(connection)
        connection.realm_id = account_id
        connection.company_name = account_name[:255]
        connection.status = "connected"
        connection.status_message = ""
        connection.access_token_enc = cipher.encrypt(granted.access_token)
        connection.refresh_token_enc = cipher.encrypt(granted.refresh_token)
        connection.access_expires_at = granted.expires_at
        connection.refresh_expires_at = granted.refresh_expires_at
        connection.connected_at = utcnow()
        connection.connected_by_id = user_id
        if connection.synced_through is None:
            connection.initial_sync_date = initial_sync_date
    return connection


def disconnect(session: AnySession, config: Mapping[str, Any], provider: Provider, http: requests.Session) -> None:
    """Revoke the refresh token (best effort; at Xero that ends the organisation's connection too) and
    forget the tokens; all data and the cursor stay. Commits."""
    connection = connection_of(session, provider)
    if connection is None:
        return
    cipher = TokenCipher(config)
    try:
        refresh_token = cipher.decrypt(connection.refresh_token_enc)
    except Exception:  # a key problem must not stop a disconnect
        refresh_token = ""
    if refresh_token:
        client = oauth_client(config, provider)
        provider.revoke(
            http,
            revoke_url=client.revoke_url,
            client_id=client.client_id,
            client_secret=client.client_secret,
            token=refresh_token,
            timeouts=client.timeouts,
        )
    with write_transaction(session):
        connection = connection_of(session, provider)
        assert connection is not None
        connection.status = "disconnected"
        connection.access_token_enc = connection.refresh_token_enc = ""
        connection.access_expires_at = connection.refresh_expires_at = None
        connection.status_message = "Disconnected. Your data is kept; connect again to sync."
