"""The SalesSource a sync reads from, built from a channel's stored connection and the settings."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import requests

from partsemble.connections import providers
from partsemble.connections.refresh import OAuthClient, StoredTokens
from partsemble.connections.services import current_connection, timeouts
from partsemble.connections.tokens import TokenCipher, TokenKeyError
from partsemble.connectors import xero
from partsemble.connectors.base import SalesSource
from partsemble.connectors.qbo.client import build_source
from partsemble.connectors.qbo.retry import RetryPolicy
from partsemble.extensions import db
from partsemble.sync.errors import SyncNotReady, TokenKeyProblem


def retry_policy(config: Mapping[str, Any], budget: Decimal | None = None) -> RetryPolicy:
    configured = Decimal(config["QBO_RETRY_BUDGET"])
    return RetryPolicy(
        max_retries=int(config["QBO_MAX_RETRIES"]),
        budget=configured if budget is None else min(configured, budget),
        backoff_base=Decimal(config["QBO_BACKOFF_BASE"]),
    )


def open_source(config: Mapping[str, Any], *, retry_budget: Decimal | None = None, channel: str = "qbo") -> SalesSource:
    """The connected company of a channel as a SalesSource (tests may inject one through
    SALES_SOURCE_FACTORIES, a factory per channel, or SALES_SOURCE_FACTORY for any channel).

    `retry_budget` caps the time spent retrying one request (a web sync passes its time limit).

    Raises:
        SyncNotReady: nothing is connected.
        TokenKeyProblem: the stored tokens cannot be decrypted with the configured keys.
    """
    factories = config.get("SALES_SOURCE_FACTORIES") or {}  # per channel
    if channel in factories:
        return factories[channel]()
    factory = config.get("SALES_SOURCE_FACTORY")
    if factory is not None:
        return factory()
    if channel == providers.XERO.key:
        return _open_xero(config, retry_policy(config, retry_budget))
    connection = current_connection(db.session)
    if connection is None or not connection.realm_id or connection.status == "disconnected":
        raise SyncNotReady("QuickBooks is not connected. An admin can connect it in Settings.")
    cipher = TokenCipher(config)
    try:  # now, not at the first request: a run must not start (and be recorded) only to fail on the key
        cipher.decrypt(connection.access_token_enc)
        cipher.decrypt(connection.refresh_token_enc)
    except TokenKeyError as exc:
        raise TokenKeyProblem(str(exc)) from None
    http = requests.Session()
    tokens = StoredTokens(
        engine=db.engine,
        cipher=cipher,
        client=OAuthClient(
            config["QBO_CLIENT_ID"], config["QBO_CLIENT_SECRET"], config["QBO_TOKEN_URL"], config["QBO_REVOKE_URL"], timeouts(config)
        ),
        http=http,
        connection_id=connection.id,
    )
    return build_source(
        http,
        api_base=config["QBO_API_BASE"],
        realm_id=connection.realm_id,
        tokens=tokens,
        timeouts=timeouts(config),
        retry=retry_policy(config, retry_budget),
        page_size=int(config["QBO_PAGE_SIZE"]),
    )


def _open_xero(config: Mapping[str, Any], retry: RetryPolicy) -> SalesSource:
    connection = providers.connection_of(db.session, providers.XERO)
    if connection is None or not connection.realm_id or connection.status == "disconnected":
        raise SyncNotReady("Xero is not connected. An admin can connect it in Settings.")
    cipher = TokenCipher(config)
    try:
        cipher.decrypt(connection.access_token_enc)
        cipher.decrypt(connection.refresh_token_enc)
    except TokenKeyError as exc:
        raise TokenKeyProblem(str(exc)) from None
    http = requests.Session()
    return xero.build_source(
        http,
        tenant_id=connection.realm_id,
        tokens=providers.stored_tokens(db.engine, config, providers.XERO, connection.id, http),
        api_base=config["XERO_API_BASE"],
        timeouts=timeouts(config),
        retry=retry,
    )
