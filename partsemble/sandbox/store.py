"""The sandbox's own database: tables, engine, transactions, ids and the change clock.

It lives apart from Partsemble's database (its own DeclarativeBase and
metadata) and creates its tables on first use: it is a fake company, so there
are no migrations. On SQLite it runs in WAL mode with a busy timeout, and every
write transaction starts with BEGIN IMMEDIATE, so threads and several server
processes take turns instead of failing to upgrade a read lock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool

from partsemble.sandbox.clock import SECOND, now_us

REALM_ID = "9341453050071234"
COMPANY_NAME = "Juniper & Wick Co."
_WRITE = "sandbox_write"


class SandboxBase(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class StoredObject(SandboxBase):
    """One QBO object (document, item, customer) as the JSON QBO would return."""

    __tablename__ = "sandbox_object"
    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    id: Mapped[int] = mapped_column(Integer)
    sync_token: Mapped[int] = mapped_column(Integer)
    txn_date: Mapped[str | None] = mapped_column(String(10))
    create_time: Mapped[int] = mapped_column(BigInteger)
    last_updated_time: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(default=True)
    voided: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text)
    # The accounting system a document lives in ("qbo" or "xero"), and a Xero status set by hand
    # (DRAFT or SUBMITTED); name lists are shared by both.
    system: Mapped[str] = mapped_column(String(4), default="qbo", server_default="qbo")
    xero_status: Mapped[str | None] = mapped_column(String(10))
    __table_args__ = (
        UniqueConstraint("entity", "id"),
        Index(None, "entity", "last_updated_time"),
        Index(None, "entity", "txn_date"),
        Index(None, "entity", "create_time"),
        Index(None, "entity", "deleted_at"),
        Index(None, "entity", "system", "last_updated_time"),
    )


class Setting(SandboxBase):
    """Company facts and counters of the sandbox itself (realm, clock, id sequences)."""

    __tablename__ = "sandbox_setting"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class StoredToken(SandboxBase):
    """An OAuth code, access or refresh token, kept only as its SHA-256 hash."""

    __tablename__ = "sandbox_token"
    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    grant_id: Mapped[str] = mapped_column(String(32), index=True)
    client_id: Mapped[str] = mapped_column(String(200))
    redirect_uri: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)


class StoredFaultRule(SandboxBase):
    """One fault-injection rule shared by every server process."""

    __tablename__ = "sandbox_fault_rule"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(30))
    probability: Mapped[str | None] = mapped_column(String(20))
    ordinals: Mapped[str] = mapped_column(Text, default="")
    retry_after: Mapped[int] = mapped_column(Integer, default=60)
    delay: Mapped[str] = mapped_column(String(20), default="0")


class Counter(SandboxBase):
    __tablename__ = "sandbox_counter"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class LoggedRequest(SandboxBase):
    """One API request as the sandbox saw it (never a token or a secret)."""

    __tablename__ = "sandbox_request"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text)
    family: Mapped[str] = mapped_column(String(10))
    endpoint: Mapped[str] = mapped_column(String(60))
    ordinal: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[int] = mapped_column(Integer)
    fault: Mapped[str | None] = mapped_column(String(30))
    intuit_tid: Mapped[str] = mapped_column(String(60))
    minorversion: Mapped[str | None] = mapped_column(String(20))


class ClientFailure(SandboxBase):
    """Wrong HTTP Basic client credentials at the token or revoke endpoint, by address."""

    __tablename__ = "sandbox_client_failure"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[int] = mapped_column(BigInteger)


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _is_memory(url: str) -> bool:
    database = make_url(url).database
    return database in (None, "", ":memory:")


def _build_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if _is_memory(url):
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(parsed.database or "").resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Driver autocommit: we emit BEGIN ourselves so writers can BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        if not _is_memory(url):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def engine_for(url: str) -> Engine:
    """The process-wide engine of a sandbox database, its tables created on first use."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _build_engine(url)
            create_schema(engine)
            _engines[url] = engine
        return engine


def dispose_engine(url: str) -> None:
    """Close the pooled connections of a sandbox database and forget its engine."""
    with _engines_lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def _after_fork() -> None:
    # A forked worker must not share pooled SQLite connections with its parent.
    for engine in list(_engines.values()):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def create_schema(engine: Engine) -> None:
    """Create the tables and the company's fixed facts if they are missing."""
    from partsemble.sandbox.xero import schema as xero_schema  # its tables join the metadata

    with writing(engine) as conn:
        SandboxBase.metadata.create_all(conn)
        xero_schema.add_missing_columns(conn)
        for key, value in (("realm_id", REALM_ID), ("company_name", COMPANY_NAME), ("created_at", str(now_us()))):
            if get_setting(conn, key) is None:
                set_setting(conn, key, value)


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction holding SQLite's write lock from its first statement."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read transaction: one consistent snapshot for every statement in it."""
    with engine.connect() as conn, conn.begin():
        yield conn


def get_setting(conn: Connection, key: str) -> str | None:
    return conn.execute(select(Setting.value).where(Setting.key == key)).scalar_one_or_none()


def set_setting(conn: Connection, key: str, value: str) -> None:
    if conn.execute(update(Setting).where(Setting.key == key).values(value=value)).rowcount == 0:
        conn.execute(Setting.__table__.insert().values(key=key, value=value))


def next_stamp(conn: Connection, at: int | None = None) -> int:
    """The stamp of a change made now (or at `at`, never later than now), to the whole second.

    QBO writes times to the second, so changes within one second share a stamp,
    and its clock never runs ahead of real time: neither does this one, whatever
    `at` asks. The last stamp handed out is kept for `last_stamp`.
    """
    wall = now_us()
    stamp = min(wall if at is None else at, wall) // SECOND * SECOND
    if stamp > int(get_setting(conn, "clock") or 0):
        set_setting(conn, "clock", str(stamp))
    return stamp


def last_stamp(conn: Connection) -> int:
    """The latest change stamp so far (0 before any change)."""
    return int(get_setting(conn, "clock") or 0)


def note_stamp(conn: Connection, stamp: int) -> None:
    """Remember a stamp written by seeding or a bulk load as a change made.

    Raises:
        ValueError: the stamp lies in the future; the sandbox never dates a change ahead of real time.
    """
    if stamp > now_us():
        raise ValueError("a change cannot be stamped later than now")
    if stamp > last_stamp(conn):
        set_setting(conn, "clock", str(stamp))


def prices_include_tax(conn: Connection) -> bool:
    """The company's sales-form preference: are typed prices tax-inclusive (GlobalTaxCalculation)?"""
    return get_setting(conn, "pref:tax_inclusive") == "1"


def next_id(conn: Connection, sequence: str, count: int = 1) -> int:
    """Reserve `count` consecutive ids of a sequence and return the first."""
    key = f"seq:{sequence}"
    first = int(get_setting(conn, key) or 1)
    set_setting(conn, key, str(first + count))
    return first


def reserve_ids_through(conn: Connection, sequence: str, last_used: int) -> None:
    """Make the sequence hand out ids above `last_used` from now on."""
    key = f"seq:{sequence}"
    if int(get_setting(conn, key) or 1) <= last_used:
        set_setting(conn, key, str(last_used + 1))
