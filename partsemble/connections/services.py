"""Connecting, reconnecting and disconnecting QuickBooks Online; connection settings."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import date
from typing import Any

import requests
from sqlalchemy import exists, select

from partsemble.connections import providers
from partsemble.connections.tokens import TokenCipher
from partsemble.connectors.errors import ConnectorError
from partsemble.connectors.qbo import oauth
from partsemble.connectors.qbo.client import build_source
from partsemble.connectors.qbo.retry import Timeouts
from partsemble.models.sales import CHANNEL_NAMES
from partsemble.models.sync import Connection, SyncRunChannel
from partsemble.models.transactions import AnySession, write_transaction
from partsemble.validation import InputError

log = logging.getLogger(__name__)


class ConnectError(Exception):
    """Connecting failed; the message is for the user."""


def current_connection(session: AnySession) -> Connection | None:
    return providers.connection_of(session, providers.QBO)


def timeouts(config: Mapping[str, Any]) -> Timeouts:
    return providers.timeouts(config)


def new_state() -> str:
    return secrets.token_urlsafe(32)


def authorize_url(config: Mapping[str, Any], redirect_uri: str, state: str) -> str:
    return oauth.authorize_url(config["QBO_AUTH_URL"], config["QBO_CLIENT_ID"], redirect_uri, state)


def complete_connect(
    session: AnySession,
    config: Mapping[str, Any],
    http: requests.Session,
    *,
    code: str,
    realm_id: str,
    redirect_uri: str,
    initial_sync_date: date,
    user_id: int,
) -> Connection:
    """Trade the code for tokens, read the company name, store everything encrypted, and commit.

    Raises:
        ConnectError: the code was refused, QBO failed, or the company differs from the one whose data is stored.
    """
    refusal = providers.other_account_refusal(session, providers.QBO, realm_id)
    if refusal:
        raise ConnectError(refusal)
    try:
        granted = providers.exchange_code(config, providers.QBO, http, code=code, redirect_uri=redirect_uri)
        company = build_source(
            http,
            api_base=config["QBO_API_BASE"],
            realm_id=realm_id,
            tokens=providers.FixedTokens(granted.access_token),
            timeouts=timeouts(config),
        ).company_name()
    except ConnectorError as exc:
        log.warning("QBO connect failed: %s (intuit_tid=%s)", type(exc).__name__, exc.tid)
        raise ConnectError(f"QuickBooks did not accept the connection ({exc.message}). Try connecting again.") from None
    return providers.save_granted(
        session,
        config,
        providers.QBO,
        account_id=realm_id,
        account_name=company,
        granted=granted,
        user_id=user_id,
        initial_sync_date=initial_sync_date,
    )


def disconnect(session: AnySession, config: Mapping[str, Any], http: requests.Session) -> None:
    """Revoke the refresh token (best effort) and forget the tokens; all data stays. Commits."""
    providers.disconnect(session, config, providers.QBO, http)


def save_settings(session: AnySession, initial_sync_date: object, restock: bool, provider: str = "qbo") -> Connection:
    """Change a channel's initial sync date and its restock setting. Commits.

    The date may move earlier at any time (the next sync reads the older documents and costs them
    in date order); later only before the channel's first sync, since what is already synced would
    be left outside the window.

    Raises:
        InputError: the channel is not connected, a bad date, or a later date after it has synced.
    """
    from partsemble.validation import parse_date

    name = CHANNEL_NAMES[provider]
    day = parse_date(initial_sync_date, "initial_sync_date", "Initial sync date", not_after=date.today())
    with write_transaction(session):
        connection = session.scalar(select(Connection).where(Connection.provider == provider))
        if connection is None:
            raise InputError(f"Connect {name} first.", "initial_sync_date")
        current = connection.initial_sync_date
        if current is not None and day > current and has_synced(session, provider):
            raise InputError(
                f"The initial sync date can only move earlier now that {name} has synced: sales from "
                f"{current.isoformat()} on are already synced and costed. Choose {current.isoformat()} or an earlier day.",
                "initial_sync_date",
            )
        connection.initial_sync_date = day
        connection.restock_credit_memos = restock
    return connection


def has_synced(session: AnySession, provider: str = "qbo") -> bool:
    """Whether a sync has read the channel (and so may have applied documents from its initial sync date on)."""
    return bool(session.scalar(select(exists().where(SyncRunChannel.source == provider))))


def suggested_initial_sync_date(today: date) -> date:
    """The start of the current year: a year's sales to cost, without years of history to read."""
    return date(today.year, 1, 1)


def rotate_token_key(session: AnySession, config: Mapping[str, Any]) -> bool:
    """Re-encrypt every connection's stored tokens (QuickBooks and Xero) with the current PARTSEMBLE_TOKEN_KEY. Commits."""
    with write_transaction(session):
        connections = [c for c in session.scalars(select(Connection).order_by(Connection.id)) if c.refresh_token_enc]
        if not connections:
            return False  # nothing was written: the commit ends a transaction that only read
        cipher = TokenCipher(config)
        for connection in connections:
            connection.access_token_enc = cipher.rotate(connection.access_token_enc)
            connection.refresh_token_enc = cipher.rotate(connection.refresh_token_enc)
    return True
