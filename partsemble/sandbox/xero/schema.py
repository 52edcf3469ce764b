"""The Xero face's own tables and fixed facts: its organisations, grants, connections and calls.

The sandbox makes its tables on first use and has no migrations, so a database made before
the Xero face gets the two new document columns added in place (`add_missing_columns`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Index, Integer, String, Text, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from partsemble.sandbox.store import SandboxBase

SYSTEMS = ("qbo", "xero")
# Only these may be set by hand; AUTHORISED, PAID, VOIDED and DELETED follow from the document itself.
MANUAL_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")


@dataclass(frozen=True)
class Organisation:
    tenant_id: str
    name: str
    holds_documents: bool


# The demo company is one organisation; Xero's own empty demo organisation sits beside it so a
# client has to choose from a list, as a Xero user with two organisations makes it.
DEMO_ORGANISATION = Organisation("5e1d4a9c-7b3f-4c2e-9a61-3d8f0b2c7e15", "Juniper & Wick Co.", True)
EMPTY_ORGANISATION = Organisation("a2c47f10-9e5b-4d38-b1f6-84e0c3d95a27", "Demo Company (Global)", False)
ORGANISATIONS = (DEMO_ORGANISATION, EMPTY_ORGANISATION)
BY_TENANT = {org.tenant_id: org for org in ORGANISATIONS}


class XeroGrant(SandboxBase):
    """One approval on the consent page: the scopes asked for; revoking it ends its tokens and connections."""

    __tablename__ = "sandbox_xero_grant"
    grant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)


class XeroConnection(SandboxBase):
    """An organisation connected to an app: one live connection per (app, organisation)."""

    __tablename__ = "sandbox_xero_connection"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(200), index=True)
    grant_id: Mapped[str] = mapped_column(String(32), index=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[int] = mapped_column(BigInteger)
    deleted_at: Mapped[int | None] = mapped_column(BigInteger)


class XeroCall(SandboxBase):
    """One API call counted against an organisation's minute and day limits."""

    __tablename__ = "sandbox_xero_call"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(36))
    at: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (Index(None, "tenant_id", "at"), Index(None, "at"))


_NEW_COLUMNS = (("system", "VARCHAR(4) NOT NULL DEFAULT 'qbo'"), ("xero_status", "VARCHAR(10)"))


def add_missing_columns(conn: Connection) -> None:
    """Give a sandbox database made before the Xero face its document columns (every document stays QBO's) and index."""
    present = {column["name"] for column in inspect(conn).get_columns("sandbox_object")}
    for name, definition in _NEW_COLUMNS:
        if name not in present:
            conn.exec_driver_sql(f"ALTER TABLE sandbox_object ADD COLUMN {name} {definition}")
    # The Xero face pages through one system's documents in UpdatedDateUTC order from this index.
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_sandbox_object_entity_system_last_updated_time ON sandbox_object (entity, system, last_updated_time)"
    )
