"""Access tokens for the QBO and Xero clients, refreshed before they expire and after a 401.

Only one refresh runs at a time per connection, across processes: the row is
locked (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) while the token
endpoint is asked, and a worker that waited re-reads the row and uses the
tokens the other one stored, instead of spending the same refresh token twice. Xero's refresh
token rotates on every refresh: the new one is stored in the same transaction that asked for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import requests
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from partsemble.connections.tokens import TokenCipher
from partsemble.connectors.errors import ReconnectRequired
from partsemble.connectors.qbo import oauth
from partsemble.connectors.qbo.retry import Timeouts
from partsemble.connectors.transport import TokenSet
from partsemble.models.base import utcnow
from partsemble.models.sync import Connection

log = logging.getLogger(__name__)
MARGIN = timedelta(minutes=5)


class RefreshTokens(Protocol):
    """A connector's `oauth.refresh` (QBO's and Xero's take the same arguments)."""

    def __call__(
        self, session: requests.Session, *, token_url: str, client_id: str, client_secret: str, refresh_token: str, timeouts: Timeouts
    ) -> TokenSet: ...


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_secret: str = field(repr=False)
    token_url: str
    revoke_url: str
    timeouts: Timeouts = Timeouts()


@dataclass
class StoredTokens:
    """A TokenProvider backed by the connections row."""

    engine: Engine
    cipher: TokenCipher
    client: OAuthClient
    http: requests.Session
    connection_id: int
    clock: Callable[[], datetime] = utcnow
    refresh_tokens: RefreshTokens = oauth.refresh
    provider_name: str = "QuickBooks"  # in the messages people read
    _access: str = field(default="", repr=False)
    _expires: datetime | None = None

    def access_token(self) -> str:
        if self._access and self._expires and self._expires - MARGIN > self.clock():
            return self._access
        token, expires = self._read()
        if expires is None or expires - MARGIN <= self.clock():
            token, expires = self._refresh(rejected=token)
        self._access, self._expires = token, expires
        return token

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        token, expires = self._refresh(rejected=rejected_token, force=True)
        self._access, self._expires = token, expires
        return token

    def _read(self) -> tuple[str, datetime | None]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(Connection.access_token_enc, Connection.access_expires_at, Connection.status).where(
                    Connection.id == self.connection_id
                )
            ).one()
        if row.status != "connected":
            raise ReconnectRequired(f"{self.provider_name} is not connected")
        return self.cipher.decrypt(row.access_token_enc), row.access_expires_at

    def _refresh(self, rejected: str, force: bool = False) -> tuple[str, datetime]:
        """Refresh under the row lock, unless another worker already did.

        Raises:
            ReconnectRequired: the refresh token is dead; the connection is marked expired.
        """
        refused: ReconnectRequired | None = None
        with self.engine.connect() as conn:
            conn = conn.execution_options(partsemble_write=True)  # BEGIN IMMEDIATE on SQLite
            with conn.begin():
                row = conn.execute(
                    select(Connection.access_token_enc, Connection.refresh_token_enc, Connection.access_expires_at, Connection.status)
                    .where(Connection.id == self.connection_id)
                    .with_for_update()
                ).one()
                if row.status != "connected":
                    raise ReconnectRequired(f"{self.provider_name} connection expired")
                current = self.cipher.decrypt(row.access_token_enc)
                fresh_enough = row.access_expires_at is not None and row.access_expires_at - MARGIN > self.clock()
                if fresh_enough and (not force or current != rejected):
                    return current, row.access_expires_at  # still good, or another worker refreshed while we waited
                try:
                    granted = self.refresh_tokens(
                        self.http,
                        token_url=self.client.token_url,
                        client_id=self.client.client_id,
                        client_secret=self.client.client_secret,
                        refresh_token=self.cipher.decrypt(row.refresh_token_enc),
                        timeouts=self.client.timeouts,
                    )
                except ReconnectRequired as exc:
                    refused = exc
                    conn.execute(
                        update(Connection)
                        .where(Connection.id == self.connection_id)
                        .values(
                            status="expired",
                            status_message=f"{self.provider_name} refused to renew access (the authorization ended). "
                            "Reconnect; your data is kept.",
                        )
                    )
                    log.warning("%s refresh token refused: connection %s marked expired", self.provider_name, self.connection_id)
                else:
                    conn.execute(
                        update(Connection)
                        .where(Connection.id == self.connection_id)
                        .values(
                            access_token_enc=self.cipher.encrypt(granted.access_token),
                            refresh_token_enc=self.cipher.encrypt(granted.refresh_token),
                            access_expires_at=granted.expires_at,
                            refresh_expires_at=granted.refresh_expires_at,
                            last_refreshed_at=self.clock(),
                        )
                    )
                    log.info("%s access token refreshed for connection %s", self.provider_name, self.connection_id)
        if refused is not None:
            raise refused
        return granted.access_token, granted.expires_at
