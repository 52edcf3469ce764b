"""Xero's identity server in the sandbox: codes, tokens that rotate with a grace period,
revocation, and the organisations an app is connected to.

Tokens live in the sandbox's token table (hashed) under their own kinds, so a Xero token
never opens the QBO face nor a QBO token the Xero one. An access token lasts 30 minutes; a
refresh token 60 days, and it rotates: every refresh returns a new one, and the one spent
keeps working for GRACE_SECONDS after its first use, then answers invalid_grant. Refresh
tokens come only with the offline_access scope. Revoking a refresh token ends its grant:
its tokens are refused and its organisations disconnected.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from partsemble.sandbox.clock import SECOND, now_us
from partsemble.sandbox.store import StoredToken
from partsemble.sandbox.tokens import InvalidGrant, store_token, token_hash
from partsemble.sandbox.xero.schema import BY_TENANT, ORGANISATIONS, XeroConnection, XeroGrant

ACCESS_LIFETIME = 1800
REFRESH_LIFETIME = 60 * 86_400
CODE_LIFETIME = 300
GRACE_SECONDS = 1800
CODE, ACCESS, REFRESH = "xcode", "xaccess", "xrefresh"


@dataclass(frozen=True)
class XeroTokens:
    access_token: str
    refresh_token: str | None
    expires_in: int
    scope: str

    def as_json(self) -> dict[str, object]:
        """The token endpoint's answer, as Xero's identity server spells it."""
        body: dict[str, object] = {"access_token": self.access_token, "expires_in": self.expires_in, "token_type": "Bearer"}
        if self.refresh_token:
            body["refresh_token"] = self.refresh_token
        body["scope"] = self.scope
        return body


@dataclass(frozen=True)
class AccessCheck:
    """What an access token opens: None when unknown; `expired` past its 30 minutes."""

    grant_id: str
    client_id: str
    expires_at: int
    expired: bool
    revoked: bool


def new_grant(conn: Connection, client_id: str, scope: str, tenant_ids: list[str]) -> str:
    """Record an approval and connect the organisations chosen; returns the grant id.

    An organisation already connected to this app keeps its connection id, now under this grant.
    """
    grant_id = secrets.token_hex(16)
    now = now_us()
    conn.execute(insert(XeroGrant).values(grant_id=grant_id, client_id=client_id, scope=scope, created_at=now))
    for tenant_id in tenant_ids:
        if tenant_id not in BY_TENANT:
            raise ValueError(f"no organisation has tenant id {tenant_id}")
        moved = conn.execute(
            update(XeroConnection)
            .where(XeroConnection.client_id == client_id, XeroConnection.tenant_id == tenant_id, XeroConnection.deleted_at.is_(None))
            .values(grant_id=grant_id)
        ).rowcount
        if not moved:
            conn.execute(
                insert(XeroConnection).values(
                    id=str(uuid.uuid4()), client_id=client_id, grant_id=grant_id, tenant_id=tenant_id, created_at=now
                )
            )
    return grant_id


def issue_code(conn: Connection, grant_id: str, client_id: str, redirect_uri: str) -> str:
    code = secrets.token_urlsafe(32)
    store_token(conn, code, CODE, grant_id, client_id, CODE_LIFETIME, redirect_uri)
    return code


def _scope(conn: Connection, grant_id: str) -> str:
    return conn.execute(select(XeroGrant.scope).where(XeroGrant.grant_id == grant_id)).scalar_one()


def issue_tokens(conn: Connection, grant_id: str, client_id: str, access_lifetime: int = ACCESS_LIFETIME) -> XeroTokens:
    scope = _scope(conn, grant_id)
    access = "eyJxero." + secrets.token_urlsafe(48)
    store_token(conn, access, ACCESS, grant_id, client_id, access_lifetime)
    refresh = None
    if "offline_access" in scope.split():
        refresh = secrets.token_urlsafe(32)
        store_token(conn, refresh, REFRESH, grant_id, client_id, REFRESH_LIFETIME)
    return XeroTokens(access, refresh, access_lifetime, scope)


def _grant_revoked(conn: Connection, grant_id: str) -> bool:
    return conn.execute(select(XeroGrant.revoked_at).where(XeroGrant.grant_id == grant_id)).scalar_one_or_none() is not None


def exchange_code(conn: Connection, code: str, client_id: str, redirect_uri: str, access_lifetime: int = ACCESS_LIFETIME) -> XeroTokens:
    """Tokens for an authorization code, spent once.

    Raises:
        InvalidGrant: the code is unknown, spent, expired, another client's, or redirect_uri differs.
    """
    now = now_us()
    spent = conn.execute(
        update(StoredToken)
        .where(
            StoredToken.hash == token_hash(code),
            StoredToken.kind == CODE,
            StoredToken.client_id == client_id,
            StoredToken.used_at.is_(None),
            StoredToken.expires_at > now,
        )
        .values(used_at=now)
    ).rowcount
    row = conn.execute(select(StoredToken.grant_id, StoredToken.redirect_uri).where(StoredToken.hash == token_hash(code))).one_or_none()
    if spent != 1 or row is None or row.redirect_uri != redirect_uri or _grant_revoked(conn, row.grant_id):
        raise InvalidGrant("code")
    return issue_tokens(conn, row.grant_id, client_id, access_lifetime)


def refresh(conn: Connection, refresh_token: str, client_id: str, access_lifetime: int = ACCESS_LIFETIME) -> XeroTokens:
    """A new access token and a new refresh token. The one given stays good for GRACE_SECONDS
    after its first use (a client that lost the answer can try again), then invalid_grant.

    Raises:
        InvalidGrant: unknown, another client's, expired, revoked, or spent longer than the grace ago.
    """
    now = now_us()
    digest = token_hash(refresh_token)
    conn.execute(
        update(StoredToken)
        .where(StoredToken.hash == digest, StoredToken.kind == REFRESH, StoredToken.used_at.is_(None))
        .values(used_at=now)
    )
    row: Any = conn.execute(
        select(StoredToken.grant_id, StoredToken.client_id, StoredToken.used_at, StoredToken.expires_at, StoredToken.revoked_at).where(
            StoredToken.hash == digest, StoredToken.kind == REFRESH
        )
    ).one_or_none()
    if (
        row is None
        or row.client_id != client_id
        or row.revoked_at is not None
        or row.expires_at <= now
        or now - row.used_at > GRACE_SECONDS * SECOND
        or _grant_revoked(conn, row.grant_id)
    ):
        raise InvalidGrant("refresh_token")
    return issue_tokens(conn, row.grant_id, client_id, access_lifetime)


def revoke(conn: Connection, token: str, client_id: str) -> None:
    """End the grant of a refresh token: its tokens are refused and its organisations disconnected.
    An unknown token (or another client's) changes nothing, as RFC 7009 asks."""
    row = conn.execute(
        select(StoredToken.grant_id).where(
            StoredToken.hash == token_hash(token), StoredToken.kind == REFRESH, StoredToken.client_id == client_id
        )
    ).one_or_none()
    if row is None:
        return
    now = now_us()
    conn.execute(update(XeroGrant).where(XeroGrant.grant_id == row.grant_id, XeroGrant.revoked_at.is_(None)).values(revoked_at=now))
    conn.execute(update(StoredToken).where(StoredToken.grant_id == row.grant_id, StoredToken.revoked_at.is_(None)).values(revoked_at=now))
    conn.execute(
        update(XeroConnection).where(XeroConnection.grant_id == row.grant_id, XeroConnection.deleted_at.is_(None)).values(deleted_at=now)
    )


def check_access(conn: Connection, token: str) -> AccessCheck | None:
    """What an access token is, or None when it was never issued here."""
    row = conn.execute(
        select(StoredToken.grant_id, StoredToken.client_id, StoredToken.expires_at, StoredToken.revoked_at).where(
            StoredToken.hash == token_hash(token), StoredToken.kind == ACCESS
        )
    ).one_or_none()
    if row is None:
        return None
    return AccessCheck(row.grant_id, row.client_id, row.expires_at, row.expires_at <= now_us(), row.revoked_at is not None)


def connections(conn: Connection, client_id: str) -> list[Any]:
    """The live connections of an app, oldest first (those made together in the consent page's order)."""
    rows = conn.execute(
        select(XeroConnection.id, XeroConnection.tenant_id, XeroConnection.created_at).where(
            XeroConnection.client_id == client_id, XeroConnection.deleted_at.is_(None)
        )
    ).all()
    order = {org.tenant_id: index for index, org in enumerate(ORGANISATIONS)}
    return sorted(rows, key=lambda row: (row.created_at, order.get(row.tenant_id, len(order))))


def is_connected(conn: Connection, client_id: str, tenant_id: str) -> bool:
    found = conn.execute(
        select(XeroConnection.id).where(
            XeroConnection.client_id == client_id, XeroConnection.tenant_id == tenant_id, XeroConnection.deleted_at.is_(None)
        )
    ).first()
    return found is not None


def disconnect(conn: Connection, client_id: str, connection_id: str) -> bool:
    """Delete one of the app's connections; False when it has no such live connection."""
    return bool(
        conn.execute(
            update(XeroConnection)
            .where(XeroConnection.id == connection_id, XeroConnection.client_id == client_id, XeroConnection.deleted_at.is_(None))
            .values(deleted_at=now_us())
        ).rowcount
    )


def age_tokens(conn: Connection, seconds: int) -> None:
    """Move every Xero token's times `seconds` into the past, as if that much time went by."""
    shift = seconds * SECOND
    kinds = (CODE, ACCESS, REFRESH)
    conn.execute(
        update(StoredToken)
        .where(StoredToken.kind.in_(kinds))
        .values(created_at=StoredToken.created_at - shift, expires_at=StoredToken.expires_at - shift)
    )
    conn.execute(
        update(StoredToken).where(StoredToken.kind.in_(kinds), StoredToken.used_at.is_not(None)).values(used_at=StoredToken.used_at - shift)
    )
