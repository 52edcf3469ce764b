"""Connecting a Xero organisation: the code traded for tokens, the organisations listed
(`/connections`), one chosen when the authorization covers several.

Between the callback and the choice the grant waits in the browser's session, encrypted with the
token key: the session cookie is signed, not secret. Only the refresh token waits there (a
cookie holds 4 kB, a Xero access token alone 1.5 kB): the first sync trades it for an access token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import requests

from partsemble.connections import providers
from partsemble.connections.providers import XERO
from partsemble.connections.services import ConnectError
from partsemble.connections.tokens import TokenCipher, TokenKeyError
from partsemble.connectors.errors import ConnectorError
from partsemble.connectors.transport import TokenSet
from partsemble.connectors.xero import oauth
from partsemble.connectors.xero.http import XeroHttp
from partsemble.connectors.xero.tenants import Tenant, list_tenants
from partsemble.models.base import utcnow
from partsemble.models.sync import Connection
from partsemble.models.transactions import AnySession

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Grant:
    """A Xero authorization waiting for its organisation to be chosen."""

    refresh_token: str
    refresh_expires_at: datetime
    organisations: tuple[Tenant, ...]

    def organisation(self, tenant_id: str) -> Tenant | None:
        return next((t for t in self.organisations if t.tenant_id == tenant_id), None)


def authorize_url(config: Mapping[str, Any], redirect_uri: str, state: str) -> str:
    return oauth.authorize_url(config["XERO_AUTH_URL"], config["XERO_CLIENT_ID"], redirect_uri, state, scopes=config["XERO_SCOPES"])


def grant_from_code(config: Mapping[str, Any], http: requests.Session, *, code: str, redirect_uri: str) -> Grant:
    """Trade the callback's code for tokens and list the organisations they reach.

    Raises:
        ConnectError: the code was refused, Xero failed, or no organisation was chosen on Xero's page.
    """
    try:
        granted = providers.exchange_code(config, XERO, http, code=code, redirect_uri=redirect_uri)
        xero = XeroHttp(http, tokens=providers.FixedTokens(granted.access_token), tenant_id=None, timeouts=providers.timeouts(config))
        tenants = list_tenants(xero, config["XERO_CONNECTIONS_URL"])
    except ConnectorError as exc:
        log.warning("Xero connect failed: %s (correlation id %s)", type(exc).__name__, exc.tid)
        raise ConnectError(f"Xero did not accept the connection ({exc.message}). Try connecting again.") from None
    # Practice-manager tenants hold no sales; an organisation is what sells.
    organisations = tuple(t for t in tenants if t.type.upper() in ("ORGANISATION", ""))
    if not organisations:
        raise ConnectError("The Xero authorization reaches no organisation. Connect again and choose your organisation on Xero's page.")
    return Grant(granted.refresh_token, granted.refresh_expires_at, organisations)


def complete(
    session: AnySession, config: Mapping[str, Any], grant: Grant, tenant_id: str, *, initial_sync_date: date, user_id: int
) -> Connection:
    """Store the chosen organisation's connection, tokens encrypted; commit.

    Raises:
        ConnectError: the organisation is not one of the grant's, or another one's data is stored.
    """
    organisation = grant.organisation(tenant_id)
    if organisation is None:
        raise ConnectError("Choose one of the organisations listed.")
    refusal = providers.other_account_refusal(session, XERO, organisation.tenant_id)
    if refusal:
        raise ConnectError(refusal)
    # No access token yet: expired as stored, so the first call refreshes (and rotates) under the row lock.
    tokens = TokenSet("", grant.refresh_token, utcnow(), grant.refresh_expires_at)
    return providers.save_granted(
        session,
        config,
        XERO,
        account_id=organisation.tenant_id,
        account_name=organisation.name or "Xero organisation",
        granted=tokens,
        user_id=user_id,
        initial_sync_date=initial_sync_date,
    )


def seal(config: Mapping[str, Any], grant: Grant) -> str:
    """The grant as a string for the browser's session, the refresh token encrypted with it."""
    body = {
        "refresh_token": grant.refresh_token,
        "refresh_expires_at": grant.refresh_expires_at.isoformat(),
        "organisations": [[t.connection_id, t.tenant_id, t.name, t.type] for t in grant.organisations],
    }
    return TokenCipher(config).encrypt(json.dumps(body))


def unseal(config: Mapping[str, Any], sealed: object) -> Grant | None:
    """The grant `seal` wrote, or None when there is none or it cannot be opened (another key)."""
    if not isinstance(sealed, str) or not sealed:
        return None
    try:
        body = json.loads(TokenCipher(config).decrypt(sealed))
        return Grant(
            body["refresh_token"],
            datetime.fromisoformat(body["refresh_expires_at"]),
            tuple(Tenant(*row) for row in body["organisations"]),
        )
    except (TokenKeyError, ValueError, KeyError, TypeError):
        return None
