"""OAuth codes and tokens of the sandbox: issued, exchanged, rotated, revoked, checked.

Only SHA-256 hashes are stored. Every token belongs to a grant (one user
approval); revoking any token of a grant revokes all of it, as Intuit does.
A refresh token works once: the UPDATE that spends it succeeds for exactly one
caller, so two workers refreshing with the same token get one new pair and one
`invalid_grant`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Row

from partsemble.sandbox.clock import SECOND, now_us
from partsemble.sandbox.store import StoredToken

CODE_LIFETIME = 300
REFRESH_LIFETIME = 8_726_400


class InvalidGrant(Exception):
    """The code or refresh token is unknown, spent, expired, revoked or not this client's."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    x_refresh_token_expires_in: int = REFRESH_LIFETIME

    def as_json(self) -> dict[str, object]:
        """The token endpoint's answer, as Intuit spells it."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "x_refresh_token_expires_in": self.x_refresh_token_expires_in,
        }


def token_hash(token: str) -> str:
    """What the table keeps of a token: its digest, never the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def store_token(
    conn: Connection, token: str, kind: str, grant_id: str, client_id: str, lifetime: int, redirect_uri: str | None = None
) -> None:
    """Keep a new token (as its digest) for `lifetime` seconds; both faces' codes and tokens share the table."""
    now = now_us()
    conn.execute(
        insert(StoredToken).values(
            hash=token_hash(token),
            kind=kind,
            grant_id=grant_id,
            client_id=client_id,
            redirect_uri=redirect_uri,
            created_at=now,
            expires_at=now + lifetime * SECOND,
        )
    )


def issue_code(conn: Connection, client_id: str, redirect_uri: str) -> str:
    """A new authorization code for an approval: single use, five minutes."""
    code = "AB" + secrets.token_urlsafe(30)
    store_token(conn, code, "code", secrets.token_hex(16), client_id, CODE_LIFETIME, redirect_uri)
    return code


def _issue_pair(conn: Connection, grant_id: str, client_id: str, access_lifetime: int) -> TokenPair:
    access = "eyJsandbox." + secrets.token_urlsafe(48)
    refresh = "AB11" + secrets.token_urlsafe(36)
    store_token(conn, access, "access", grant_id, client_id, access_lifetime)
    store_token(conn, refresh, "refresh", grant_id, client_id, REFRESH_LIFETIME)
    return TokenPair(access, refresh, access_lifetime)


def _spend(conn: Connection, token: str, kind: str, client_id: str) -> Row[Any]:
    """Mark a code or refresh token used, once; return its row.

    Raises:
        InvalidGrant: it is unknown, already used, expired, revoked or another client's.
    """
    now = now_us()
    spent = conn.execute(
        update(StoredToken)
        .where(
            StoredToken.hash == token_hash(token),
            StoredToken.kind == kind,
            StoredToken.client_id == client_id,
            StoredToken.used_at.is_(None),
            StoredToken.revoked_at.is_(None),
            StoredToken.expires_at > now,
        )
        .values(used_at=now)
    ).rowcount
    if spent != 1:
        raise InvalidGrant(kind)
    return conn.execute(select(*StoredToken.__table__.c).where(StoredToken.hash == token_hash(token))).one()


def exchange_code(conn: Connection, code: str, client_id: str, redirect_uri: str, access_lifetime: int) -> TokenPair:
    """Tokens for an authorization code, which is then spent.

    Raises:
        InvalidGrant: the code is not valid for this client, or redirect_uri differs from the authorize call.
    """
    row = _spend(conn, code, "code", client_id)
    if row.redirect_uri != redirect_uri:
        raise InvalidGrant("redirect_uri does not match")
    return _issue_pair(conn, row.grant_id, client_id, access_lifetime)


def refresh(conn: Connection, refresh_token: str, client_id: str, access_lifetime: int) -> TokenPair:
    """A new access token and a new refresh token; the old refresh token is spent.

    Raises:
        InvalidGrant: the refresh token was already used, revoked, expired, or is unknown.
    """
    row = _spend(conn, refresh_token, "refresh", client_id)
    return _issue_pair(conn, row.grant_id, client_id, access_lifetime)


def issue_pair(conn: Connection, client_id: str, access_lifetime: int) -> TokenPair:
    """A fresh grant without the browser dance (tests, demo loader)."""
    return _issue_pair(conn, secrets.token_hex(16), client_id, access_lifetime)


def revoke(conn: Connection, token: str) -> bool:
    """Revoke the grant the token belongs to; False when the token is unknown."""
    grant_id = conn.execute(select(StoredToken.grant_id).where(StoredToken.hash == token_hash(token))).scalar_one_or_none()
    if grant_id is None:
        return False
    conn.execute(update(StoredToken).where(StoredToken.grant_id == grant_id, StoredToken.revoked_at.is_(None)).values(revoked_at=now_us()))
    return True


def access_is_valid(conn: Connection, token: str) -> bool:
    """True when the access token was issued here, is not revoked and has not expired."""
    found = conn.execute(
        select(StoredToken.hash).where(
            StoredToken.hash == token_hash(token),
            StoredToken.kind == "access",
            StoredToken.revoked_at.is_(None),
            StoredToken.expires_at > now_us(),
        )
    ).scalar_one_or_none()
    return found is not None


def expire_access_tokens(conn: Connection) -> int:
    """Make every access token expired now; returns how many were live."""
    now = now_us()
    return conn.execute(
        update(StoredToken).where(StoredToken.kind == "access", StoredToken.expires_at > now).values(expires_at=now)
    ).rowcount
