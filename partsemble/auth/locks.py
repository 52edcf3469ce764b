"""Serializing the user rules that span rows, the same way on SQLite and PostgreSQL.

SQLite has one writer at a time: `begin_write` (BEGIN IMMEDIATE) already makes a
read-check-write sequence atomic. PostgreSQL runs transactions side by side, so two
logins could both count four failures and both check a password, and two admins
could each demote the other. There the same sequences take transaction-scoped
advisory locks, named by what they protect, released at commit or rollback.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session, scoped_session

from partsemble.models.engine import begin_write, is_sqlite

# Creating, changing and deactivating users: the last-admin rule and unique emails.
USERS = "partsemble:users"


def login_key(part: str, value: str) -> str:
    return f"partsemble:login:{part}:{value}"


def serialize(session: Session | scoped_session[Session], *names: str) -> None:
    """Begin a write transaction that holds the named locks until it ends.

    Locks are taken in sorted order, so two callers that share names cannot deadlock.
    """
    begin_write(session)
    if is_sqlite(session):
        return
    for name in sorted(set(names)):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": name})
