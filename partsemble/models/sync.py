"""The accounting connection, sync runs, their problems and the sync lock."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partsemble.models.base import Money, UTCDateTime, db, utcnow

CONNECTION_STATUSES = ("connected", "expired", "disconnected")


class Connection(db.Model):
    """One accounting connection (QuickBooks company or Xero organisation): a sales channel, one per provider."""

    __tablename__ = "connections"
    __table_args__ = (CheckConstraint("status IN ('connected', 'expired', 'disconnected')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16), default="qbo", unique=True)
    # QuickBooks' realm id, or Xero's tenant id (a GUID).
    realm_id: Mapped[str] = mapped_column(String(64), default="")
    company_name: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="disconnected")
    # Fernet tokens (see partsemble.connections.tokens); never the plain text.
    access_token_enc: Mapped[str] = mapped_column(Text, default="")
    refresh_token_enc: Mapped[str] = mapped_column(Text, default="")
    access_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    initial_sync_date: Mapped[date | None] = mapped_column(Date)
    restock_credit_memos: Mapped[bool] = mapped_column(default=True)
    connected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    connected_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Everything changed upstream before this instant (server clock) has been applied.
    synced_through: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Every document dated on or after this day has been read (the initial sync date of the last
    # finished sync). An initial sync date moved earlier than it is backfilled by the next sync.
    synced_from: Mapped[date | None] = mapped_column(Date)
    status_message: Mapped[str] = mapped_column(Text, default="")
    # A deactivated channel is skipped by Sync Now; its data and its cursor stay for when it is reactivated.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())


RUN_STATUSES = ("running", "succeeded", "failed")


class RunCounts:
    """What a run did to documents: counted per run, and per channel of the run (sync.process.Progress)."""

    fetched: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    voided: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)


class SyncRun(RunCounts, db.Model):
    __tablename__ = "sync_runs"
    __table_args__ = (CheckConstraint("status IN ('running', 'succeeded', 'failed')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_by: Mapped[str] = mapped_column(String(254), default="")
    trigger: Mapped[str] = mapped_column(String(8), default="web")
    status: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Sales whose cost changed because this run brought facts dated before them.
    recosted: Mapped[int] = mapped_column(default=0, server_default="0")
    message: Mapped[str] = mapped_column(Text, default="")

    problems: Mapped[list[SyncError]] = relationship(back_populates="run", cascade="all, delete-orphan", order_by="SyncError.id")
    channels: Mapped[list[SyncRunChannel]] = relationship(back_populates="run", cascade="all, delete-orphan", order_by="SyncRunChannel.id")

    @property
    def duration_seconds(self) -> int | None:
        if self.finished_at is None:
            return None
        return int((self.finished_at - self.started_at).total_seconds())


CHANNEL_RUN_STATUSES = ("running", "succeeded", "failed")


class SyncRunChannel(RunCounts, db.Model):
    """What one run did in one channel (QuickBooks, Xero): its counts, outcome and the window it read.

    A run syncs every active channel in turn; the run's own counts are the sums of these rows.
    """

    __tablename__ = "sync_run_channels"
    __table_args__ = (
        UniqueConstraint("run_id", "source"),
        CheckConstraint("status IN ('running', 'succeeded', 'failed')", name="status"),
        Index("ix_sync_run_channels_source_window_end", "source", "window_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")
    # The source's changes read: after window_start (None: from the start), up to the source's clock
    # at its first answer (window_end), which bounds what a run that stopped part way may have applied.
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recosted: Mapped[int] = mapped_column(default=0)

    run: Mapped[SyncRun] = relationship(back_populates="channels")


class SyncError(db.Model):
    """One document that failed in one run."""

    __tablename__ = "sync_errors"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="qbo", server_default="qbo")
    external_type: Mapped[str] = mapped_column(String(24))
    external_id: Mapped[str] = mapped_column(String(64))
    doc_number: Mapped[str] = mapped_column(String(64), default="")
    customer_name: Mapped[str] = mapped_column(String(255), default="")
    txn_date: Mapped[date | None] = mapped_column(Date)
    code: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    item_external_id: Mapped[str] = mapped_column(String(64), default="")
    item_name: Mapped[str] = mapped_column(String(255), default="")

    run: Mapped[SyncRun] = relationship(back_populates="problems")


class FailedDocument(db.Model):
    """A document that failed and has not been applied since: retried on every sync."""

    __tablename__ = "failed_documents"
    __table_args__ = (
        UniqueConstraint("source", "external_type", "external_id"),
        Index("ix_failed_documents_item_external_id", "item_external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="qbo")
    external_type: Mapped[str] = mapped_column(String(24))
    external_id: Mapped[str] = mapped_column(String(64))
    doc_number: Mapped[str] = mapped_column(String(64), default="")
    customer_name: Mapped[str] = mapped_column(String(255), default="")
    txn_date: Mapped[date | None] = mapped_column(Date)
    code: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    item_external_id: Mapped[str] = mapped_column(String(64), default="")
    item_name: Mapped[str] = mapped_column(String(255), default="")
    # What the document would add to revenue (home currency, negative for a credit memo): its tracked
    # lines, and those waiting for their item to be linked, less their share of the discounts
    # (domain.sale_plan.waiting_revenue). None when the document could not be read.
    revenue: Mapped[Decimal | None] = mapped_column(Money())
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=1)


class SyncLock(db.Model):
    """A single row: who is syncing now. Taken and released by conditional UPDATEs."""

    __tablename__ = "sync_lock"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))
    holder: Mapped[str] = mapped_column(String(254), default="")
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SyncInbox(db.Model):
    """Documents fetched by a run, waiting to be applied in transaction-date order.

    Pages are streamed in here as they arrive, so a sync of any size holds one
    page in memory; rows are removed when the run ends.
    """

    __tablename__ = "sync_inbox"
    __table_args__ = (
        UniqueConstraint("run_id", "doc_type", "doc_id"),
        Index("ix_sync_inbox_run_id_order", "run_id", "txn_date", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # document, problem, deletion
    doc_type: Mapped[str] = mapped_column(String(24))
    doc_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32), default="")
    txn_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payload: Mapped[str] = mapped_column(Text)
