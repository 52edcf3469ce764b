"""What a run did, for the Sales page, the CLI and scripts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from partsemble.models.sales import CHANNEL_NAMES
from partsemble.models.sync import SyncError, SyncRun, SyncRunChannel


@dataclass(frozen=True)
class Problem:
    type: str
    external_id: str
    number: str
    customer: str
    txn_date: date | None
    code: str
    message: str
    item_id: str
    item_name: str
    channel: str = "qbo"

    def as_json(self) -> dict[str, str]:
        return {
            "channel": self.channel,
            "type": self.type,
            "number": self.number,
            "customer": self.customer,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class ChannelSummary:
    """What a run did in one channel."""

    channel: str
    outcome: str  # running, succeeded, failed
    fetched: int
    created: int
    updated: int
    voided: int
    skipped: int
    errors: int
    recosted: int
    message: str

    @property
    def name(self) -> str:
        return CHANNEL_NAMES[self.channel]

    def as_json(self) -> dict[str, object]:
        return {
            "outcome": "succeeded" if self.outcome == "succeeded" else "failed",
            "fetched": self.fetched,
            "created": self.created,
            "updated": self.updated,
            "voided": self.voided,
            "skipped": self.skipped,
            "errors": self.errors,
            "recosted": self.recosted,
            "message": self.message,
        }


@dataclass(frozen=True)
class SyncSummary:
    run_id: int
    outcome: str  # running, succeeded, failed
    created: int
    updated: int
    voided: int
    skipped: int
    fetched: int
    processed: int
    message: str
    started_at: datetime
    finished_at: datetime | None
    started_by: str
    problems: list[Problem] = field(default_factory=list)
    recosted: int = 0  # earlier sales whose cost changed because this run brought facts dated before them
    channels: list[ChannelSummary] = field(default_factory=list)  # in the order they were synced

    @property
    def errors(self) -> int:
        return len(self.problems)

    @property
    def outcome_words(self) -> str:
        return outcome_words(self.outcome, self.errors, self.message)

    def as_json(self) -> dict[str, object]:
        return {
            "created": self.created,
            "updated": self.updated,
            "voided": self.voided,
            "skipped": self.skipped,
            "recosted": self.recosted,
            "errors": [p.as_json() for p in self.problems],
            "outcome": "succeeded" if self.outcome == "succeeded" else "failed",
            "outcome_words": self.outcome_words,
            "message": self.message,
            "run_id": self.run_id,
            "channels": {c.channel: c.as_json() for c in self.channels},
        }


def outcome_words(status: str, errors: int, message: str = "") -> str:
    """A run's outcome as every screen and the CLI say it: "Finished", "Finished with N problems"
    (documents that failed and wait for a fix), or "Stopped: <reason>" (the run did not finish)."""
    if status == "succeeded":
        return f"Finished with {errors} problem{'s' if errors != 1 else ''}" if errors else "Finished"
    if status == "running":
        return "Running"
    reason = stop_reason(message)
    return f"Stopped: {reason}" if reason else "Stopped"


def stop_reason(message: str) -> str:
    """The reason a run stopped: the first sentence of its message, without the words around it."""
    first = message.strip().split(". ", 1)[0].strip().rstrip(".")
    if first.startswith("Stopped after "):  # the web time limit
        return f"time limit reached {first.removeprefix('Stopped ').split(' so ', 1)[0]} (press Sync Now again to continue)"
    if first.startswith("The sync stopped because of "):
        return first.removeprefix("The sync stopped because of ")
    for prefix in ("Stopped: ", "Interrupted: "):
        first = first.removeprefix(prefix)
    return first


def summarize(session: Session, run_id: int) -> SyncSummary:
    run = session.get(SyncRun, run_id)
    assert run is not None
    problems = [
        Problem(
            e.external_type,
            e.external_id,
            e.doc_number,
            e.customer_name,
            e.txn_date,
            e.code,
            e.message,
            e.item_external_id,
            e.item_name,
            e.source,
        )
        for e in session.scalars(select(SyncError).where(SyncError.run_id == run_id).order_by(SyncError.id))
    ]
    channels = [
        ChannelSummary(c.source, c.status, c.fetched, c.created, c.updated, c.voided, c.skipped, c.errors, c.recosted, c.message)
        for c in session.scalars(select(SyncRunChannel).where(SyncRunChannel.run_id == run_id).order_by(SyncRunChannel.id))
    ]
    return SyncSummary(
        run.id,
        run.status,
        run.created,
        run.updated,
        run.voided,
        run.skipped,
        run.fetched,
        run.processed,
        run.message,
        run.started_at,
        run.finished_at,
        run.started_by,
        problems,
        run.recosted,
        channels,
    )


def last_run(session: Session) -> SyncRun | None:
    return session.scalar(select(SyncRun).order_by(SyncRun.id.desc()).limit(1))
