"""Sync Now: one run from lock to summary. The web button and the CLI both call run_sync."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from partsemble.connectors.base import SalesSource
from partsemble.connectors.errors import (
    AuthError,
    BadRequest,
    ConnectorError,
    DailyLimitReached,
    RateLimited,
    ReconnectRequired,
)
from partsemble.models.base import utcnow
from partsemble.models.sales import CHANNEL_NAMES
from partsemble.models.settings import read_preferences
from partsemble.models.sync import Connection, SyncRun
from partsemble.models.transactions import write_transaction
from partsemble.sync import lock
from partsemble.sync.errors import SyncNotReady
from partsemble.sync.fetch import (
    backfill_window,
    close_unkeyed_failures,
    deletions_wanted,
    stage_backfill,
    stage_changes,
    stage_deletions,
    stage_failures,
    unkeyed_failures,
)
from partsemble.sync.inbox import Inbox, discard_all
from partsemble.sync.process import Processor, Progress, TimeLimitReached
from partsemble.sync.summary import SyncSummary, summarize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncSettings:
    time_limit: timedelta | None = None
    stale_after: timedelta = timedelta(minutes=5)
    overlap: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class SyncRequest:
    user_id: int | None = None
    user_email: str = ""
    trigger: str = "web"
    only_failed: bool = False  # re-read and retry only the documents that failed before
    item_ids: tuple[str, ...] | None = None  # with only_failed: only those waiting on one of these items


def connection_for_sync(session: Session) -> Connection:
    """The connection a sync reads from.

    Raises:
        SyncNotReady: with the words to show the user.
    """
    connection = session.scalar(select(Connection).where(Connection.provider == "qbo"))
    if connection is None or connection.status == "disconnected":
        raise SyncNotReady("QuickBooks is not connected. An admin can connect it in Settings.")
    if connection.status == "expired":
        raise SyncNotReady("QuickBooks connection expired - Reconnect in Settings to sync again. Your data is kept.")
    if not connection.active:
        raise SyncNotReady(
            "QuickBooks is deactivated in Settings > Sales channels, so there is nothing to sync. "
            "Reactivate it there: the next sync continues where it stopped."
        )
    if connection.initial_sync_date is None:
        raise SyncNotReady("Set the initial sync date in Settings before the first sync.")
    return connection


def start_run(session: Session, request: SyncRequest, settings: SyncSettings, clock: Callable[[], datetime] = utcnow) -> int:
    """Record a run and take the lock, in one commit.

    Raises:
        SyncBusy: another sync is running; nothing was written.
        SyncNotReady: nothing to sync from.
    """
    connection_for_sync(session)
    now = clock()
    with write_transaction(session):
        run = SyncRun(
            user_id=request.user_id,
            started_by=request.user_email[:254],
            trigger=request.trigger[:8],
            status="running",
            started_at=now,
            heartbeat_at=now,
        )
        session.add(run)
        session.flush()
        dead = lock.acquire(session, run, now, settings.stale_after)  # SyncBusy: nothing is written
        if dead is not None:
            session.execute(
                update(SyncRun)
                .where(SyncRun.id == dead, SyncRun.status == "running")
                .values(
                    status="failed",
                    finished_at=now,
                    message="Interrupted: the process running this sync stopped before it finished. What it finished is kept; the next sync continued.",
                )
            )
            discard_all(session, [dead])
        run_id = run.id
    return run_id


def run_sync(
    session: Session,
    source: SalesSource,
    request: SyncRequest,
    settings: SyncSettings,
    clock: Callable[[], datetime] = utcnow,
    run_id: int | None = None,
) -> SyncSummary:
    """Pull what changed, apply it document by document, and record the outcome.

    Per-document failures are recorded and the run goes on; a failure of the
    whole run (connection, time limit) stops it cleanly with a message.

    Raises:
        SyncBusy, SyncNotReady: the run could not start (nothing written).
    """
    if run_id is None:
        run_id = start_run(session, request, settings, clock)
    started = time.monotonic_ns()  # integer nanoseconds
    deadline = started + settings.time_limit // timedelta(microseconds=1) * 1000 if settings.time_limit else None
    inbox = Inbox(session, run_id)
    progress = Progress()
    channel = CHANNEL_NAMES["qbo"]  # the channel being read, named when its source fails
    try:
        connection = connection_for_sync(session)
        channel = CHANNEL_NAMES[connection.provider]
        since, not_before, restock = connection.synced_through, connection.initial_sync_date, connection.restock_credit_memos
        assert not_before is not None
        window = backfill_window(connection.synced_from, not_before)
        mark = _fetch(session, source, inbox, request, run_id, since, not_before, window, clock, deadline, settings.overlap)
        progress.skipped = progress.processed = inbox.unchanged
        Processor(session, source, run_id, request.user_id, restock, clock, deadline).run(inbox, progress)
        # A failed document without an Id can only be met again in the changes it came in: the mark
        # stays where it is until that document reads, so every sync reads those changes again.
        held = request.only_failed or mark is None or bool(unkeyed_failures(session))
        _finish(
            session,
            run_id,
            "succeeded",
            _success_message(progress, inbox.read),
            progress,
            clock,
            new_mark=None if held else mark - settings.overlap,
            read_from=None if held else not_before,
        )
    except TimeLimitReached:
        _finish(
            session,
            run_id,
            "failed",
            f"Stopped after {(time.monotonic_ns() - started) // 1_000_000_000} s so the server stays responsive. "
            f"{progress.processed} documents were finished and are kept; press Sync Now again to continue.",
            progress,
            clock,
        )
    except lock.LockLost:
        session.rollback()
        log.warning("sync run %s lost its lock", run_id)
        _finish(session, run_id, "failed", "Stopped: this sync looked stalled and another one took over.", progress, clock, release=False)
    except ConnectorError as exc:
        session.rollback()
        log.warning("sync run %s stopped: %s (intuit_tid=%s)", run_id, type(exc).__name__, exc.tid)
        if isinstance(exc, ReconnectRequired):
            _mark_expired(session)
        message = _connector_message(exc, progress.processed, channel, read_preferences(session).zone)
        _finish(session, run_id, "failed", message, progress, clock)
    except BaseException:
        session.rollback()
        log.exception("sync run %s failed", run_id)
        _finish(
            session, run_id, "failed", "The sync stopped because of an internal error (logged). What it finished is kept.", progress, clock
        )
        raise
    return summarize(session, run_id)


def _fetch(
    session: Session,
    source: SalesSource,
    inbox: Inbox,
    request: SyncRequest,
    run_id: int,
    since: datetime | None,
    not_before: date,
    backfill: tuple[date, date] | None,
    clock: Callable[[], datetime],
    deadline: int | None,
    overlap: timedelta,
) -> datetime | None:  # deadline: a time.monotonic_ns() reading
    def in_time() -> None:
        # Reading is bounded by the time limit too: a slow upstream must not hold a web worker.
        if deadline is not None and time.monotonic_ns() > deadline:
            raise TimeLimitReached()

    def counted() -> None:
        in_time()
        run = session.get(SyncRun, run_id)
        assert run is not None
        run.fetched = inbox.read
        lock.heartbeat(session, run_id, clock())
        run.heartbeat_at = clock()

    mark = None
    if not request.only_failed:
        with write_transaction(session):
            run = session.get(SyncRun, run_id)
            assert run is not None
            run.window_start = since
        wanted, deleted_since = deletions_wanted(session, since, run_id, overlap)
        mark = stage_changes(session, source, inbox, since, not_before, counted) or clock()
        if backfill is not None and since is not None:  # without `since` the changes above read everything
            stage_backfill(session, source, inbox, backfill, counted)
        close_unkeyed_failures(session, inbox)
        if wanted:
            in_time()
            stage_deletions(session, source, inbox, deleted_since, mark, not_before)  # the source's clock: CDC reach is its own
    in_time()
    stage_failures(session, source, inbox, request.item_ids)
    in_time()
    with write_transaction(session):
        counted()
        run = session.get(SyncRun, run_id)
        assert run is not None
        run.window_end = mark
    return mark


def _finish(
    session: Session,
    run_id: int,
    status: str,
    message: str,
    progress: Progress,
    clock: Callable[[], datetime],
    new_mark: datetime | None = None,
    release: bool = True,
    read_from: date | None = None,
) -> None:
    session.rollback()
    with write_transaction(session):
        now = clock()
        run = session.get(SyncRun, run_id)
        assert run is not None
        progress.write(run, now)
        run.status, run.message, run.finished_at = status, message, now
        if new_mark is not None:
            connection = session.scalar(select(Connection).where(Connection.provider == "qbo"))
            if connection is not None:
                connection.synced_through = new_mark
                if read_from is not None and (connection.synced_from is None or read_from < connection.synced_from):
                    connection.synced_from = read_from
        Inbox(session, run_id).clear()
        if release:
            lock.release(session, run_id)


def _mark_expired(session: Session) -> None:
    with write_transaction(session):
        session.execute(
            update(Connection)
            .where(Connection.provider == "qbo")
            .values(status="expired", status_message="QuickBooks refused to renew access. Reconnect to sync again; your data is kept.")
        )


def _success_message(progress: Progress, fetched: int) -> str:
    if progress.errors:
        return f"Finished: {fetched} documents read; {progress.errors} need your attention (see the list)."
    return f"Finished: {fetched} documents read, all applied or already up to date."


def _connector_message(exc: ConnectorError, finished: int, channel: str, zone: ZoneInfo) -> str:
    """Why a run stopped, naming the channel (QuickBooks, Xero) whose source failed; times in the book's zone."""
    kept = f" {finished} documents were finished before that and are kept; the next sync picks up where this one stopped."
    if isinstance(exc, ReconnectRequired):
        return f"{channel} connection expired - Reconnect in Settings. Your data is kept." + kept
    if isinstance(exc, AuthError):
        return f"{channel} refused our access. Reconnect {channel} in Settings." + kept
    if isinstance(exc, DailyLimitReached):
        resume = exc.resume_at.astimezone(zone)
        return f"{channel}'s daily limit of requests is used up: sync again after {resume:%H:%M} ({zone.key})." + kept
    if isinstance(exc, RateLimited):
        return f"{channel} is limiting how fast we may ask right now. Wait a minute and press Sync Now again." + kept
    if isinstance(exc, BadRequest):
        return (
            f"{channel} refused a request ({exc.message}). If that names something to fix in {channel}, fix it there; "
            f"otherwise the details (with {channel}'s reference) are in the server log." + kept
        )
    return f"{channel} did not answer properly ({exc.message}). Try again in a few minutes." + kept


def settings_from(config: dict | object, *, time_limited: bool) -> SyncSettings:  # type: ignore[type-arg]
    """SyncSettings from the app configuration; the web has a time limit, cron does not."""
    get = config.get  # type: ignore[attr-defined]
    limit = Decimal(get("SYNC_TIME_LIMIT", "240"))
    stale = Decimal(get("SYNC_LOCK_STALE_AFTER", "300"))
    return SyncSettings(
        time_limit=timedelta(milliseconds=int(limit * 1000)) if time_limited and limit > 0 else None,
        stale_after=timedelta(milliseconds=int(stale * 1000)),
    )


def web_retry_budget(settings: SyncSettings) -> Decimal | None:
    """Retrying one request may not outlast the web sync's time limit."""
    if settings.time_limit is None:
        return None
    return Decimal(settings.time_limit // timedelta(milliseconds=1)).scaleb(-3)
