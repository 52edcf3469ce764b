"""Sync Now: one run from lock to summary. The web button and the CLI both call run_sync."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
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
    Forbidden,
    RateLimited,
    ReconnectRequired,
)
from partsemble.models.base import utcnow
from partsemble.models.sales import CHANNEL_NAMES
from partsemble.models.settings import read_preferences
from partsemble.models.sync import Connection, SyncRun, SyncRunChannel
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


CHANNEL_ORDER = ("qbo", "xero")  # a run syncs its channels in this order, each to its end


def connection_for_sync(session: Session, channel: str = "qbo") -> Connection:
    """The connection a channel's sync reads from.

    Raises:
        SyncNotReady: with the words to show the user.
    """
    name = CHANNEL_NAMES[channel]
    connection = session.scalar(select(Connection).where(Connection.provider == channel))
    if connection is None or connection.status == "disconnected":
        raise SyncNotReady(f"{name} is not connected. An admin can connect it in Settings.")
    if connection.status == "expired":
        raise SyncNotReady(f"{name} connection expired - Reconnect in Settings to sync again. Your data is kept.")
    if not connection.active:
        raise SyncNotReady(
            f"{name} is deactivated in Settings > Sales channels, so there is nothing to sync. "
            "Reactivate it there: the next sync continues where it stopped."
        )
    if connection.initial_sync_date is None:
        raise SyncNotReady(f"Set the initial sync date of {name} in Settings before the first sync.")
    return connection


@dataclass(frozen=True)
class ChannelPlan:
    """The channels Sync Now reads, in order, and why any other connected channel is left out."""

    ready: tuple[str, ...]
    not_synced: tuple[str, ...] = ()  # the words for a connected channel that cannot sync now (expired, no date)


def channels_to_sync(session: Session) -> ChannelPlan:
    """Every active connected channel that can sync, in CHANNEL_ORDER.

    A deactivated channel is left out without a word (the user switched it off); an expired one, or
    one without an initial sync date, is left out with its reason, which the run's message repeats.

    Raises:
        SyncNotReady: no channel can sync; the words of the first channel that is connected at all
            (QuickBooks' when nothing is).
    """
    connected = {
        c.provider: c for c in session.scalars(select(Connection).where(Connection.status != "disconnected")) if c.provider in CHANNEL_ORDER
    }
    ready: list[str] = []
    refused: list[tuple[str, SyncNotReady]] = []
    for channel in CHANNEL_ORDER:
        if channel not in connected:
            continue
        try:
            connection_for_sync(session, channel)
        except SyncNotReady as exc:
            refused.append((channel, exc))
            continue
        ready.append(channel)
    if not ready:
        raise refused[0][1] if refused else SyncNotReady(f"{CHANNEL_NAMES['qbo']} is not connected. An admin can connect it in Settings.")
    return ChannelPlan(tuple(ready), tuple(str(exc) for channel, exc in refused if connected[channel].active))


def start_run(
    session: Session,
    request: SyncRequest,
    settings: SyncSettings,
    clock: Callable[[], datetime] = utcnow,
    channels: tuple[str, ...] = ("qbo",),
) -> int:
    """Record a run and take the lock, in one commit.

    Raises:
        SyncBusy: another sync is running; nothing was written.
        SyncNotReady: a channel to sync cannot.
    """
    for channel in channels:
        connection_for_sync(session, channel)
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
            interrupted = (
                "Interrupted: the process running this sync stopped before it finished. What it finished is kept; the next sync continued."
            )
            session.execute(
                update(SyncRun)
                .where(SyncRun.id == dead, SyncRun.status == "running")
                .values(status="failed", finished_at=now, message=interrupted)
            )
            session.execute(
                update(SyncRunChannel)
                .where(SyncRunChannel.run_id == dead, SyncRunChannel.status == "running")
                .values(status="failed", message=interrupted)
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
    channel: str = "qbo",
) -> SyncSummary:
    """One run of one channel's source; see run_channels.

    Raises:
        SyncBusy, SyncNotReady: the run could not start (nothing written).
    """
    return run_channels(session, {channel: source}, request, settings, clock, run_id)


def run_channels(
    session: Session,
    sources: Mapping[str, SalesSource],
    request: SyncRequest,
    settings: SyncSettings,
    clock: Callable[[], datetime] = utcnow,
    run_id: int | None = None,
    not_synced: Sequence[str] = (),
) -> SyncSummary:
    """Pull what changed in each channel, apply it document by document, and record the outcome.

    Channels are read one after the other under one lock, each to its end: fetched, applied in
    date order, its cursor moved. Sales of a channel dated before what another channel brought
    are re-costed as for any fact that arrives late, so the order of the channels changes no
    number. Per-document failures are recorded and the run goes on; a channel whose source fails
    (refused, limited, down) stops with a message and the next channel still runs; the time limit
    or a lost lock stops the whole run cleanly.

    Raises:
        SyncBusy, SyncNotReady: the run could not start (nothing written).
    """
    if run_id is None:
        run_id = start_run(session, request, settings, clock, tuple(sources))
    started = time.monotonic_ns()  # integer nanoseconds
    deadline = started + settings.time_limit // timedelta(microseconds=1) * 1000 if settings.time_limit else None
    progress = Progress()
    results: list[ChannelResult] = []
    try:
        for channel, source in sources.items():
            step = _ChannelStep(session, channel, source, request, settings, clock, run_id, deadline)
            results.append(step.run(progress, fetched_before=sum(r.fetched for r in results)))
        failed = [r for r in results if not r.succeeded]
        _finish(session, run_id, "failed" if failed else "succeeded", _run_message(results, not_synced), progress, clock)
    except TimeLimitReached:
        message = (
            f"Stopped after {(time.monotonic_ns() - started) // 1_000_000_000} s so the server stays responsive. "
            f"{progress.processed} documents were finished and are kept; press Sync Now again to continue."
        )
        _finish(session, run_id, "failed", message, progress, clock)
    except lock.LockLost:
        session.rollback()
        log.warning("sync run %s lost its lock", run_id)
        _finish(session, run_id, "failed", "Stopped: this sync looked stalled and another one took over.", progress, clock, release=False)
    except BaseException:
        session.rollback()
        log.exception("sync run %s failed", run_id)
        _finish(
            session, run_id, "failed", "The sync stopped because of an internal error (logged). What it finished is kept.", progress, clock
        )
        raise
    return summarize(session, run_id)


@dataclass(frozen=True)
class ChannelResult:
    channel: str
    succeeded: bool
    message: str
    fetched: int


@dataclass
class _ChannelStep:
    """One channel of a run: read its changes, apply them, move its cursor; one row of sync_run_channels."""

    session: Session
    channel: str
    source: SalesSource
    request: SyncRequest
    settings: SyncSettings
    clock: Callable[[], datetime]
    run_id: int
    deadline: int | None  # a time.monotonic_ns() reading

    def run(self, progress: Progress, fetched_before: int) -> ChannelResult:
        """Raises: TimeLimitReached, LockLost, and anything unexpected: the whole run stops."""
        session, channel = self.session, self.channel
        inbox = Inbox(session, self.run_id, channel)
        before = progress.copy()
        try:
            connection = connection_for_sync(session, channel)
            since, not_before, restock = connection.synced_through, connection.initial_sync_date, connection.restock_credit_memos
            assert not_before is not None
            window = backfill_window(connection.synced_from, not_before)
            mark = self._fetch(inbox, since, not_before, window, fetched_before)
            progress.skipped += inbox.unchanged
            progress.processed += inbox.unchanged
            Processor(session, self.source, self.run_id, self.request.user_id, restock, self.clock, self.deadline, channel).run(
                inbox, progress
            )
            # A failed document without an Id can only be met again in the changes it came in: the mark
            # stays where it is until that document reads, so every sync reads those changes again.
            held = self.request.only_failed or mark is None or bool(unkeyed_failures(session, channel))
            done = progress.since(before)
            message = _success_message(done, inbox.read)
            _close_channel(
                session,
                self.run_id,
                channel,
                "succeeded",
                message,
                done,
                inbox.read,
                new_mark=None if held else mark - self.settings.overlap,
                read_from=None if held else not_before,
            )
            return ChannelResult(channel, True, message, inbox.read)
        except TimeLimitReached:
            done = progress.since(before)
            message = f"Stopped at the time limit; {done.processed} documents were finished and are kept. Press Sync Now again to continue."
            _close_channel(session, self.run_id, channel, "failed", message, done, inbox.read)
            raise
        except ConnectorError as exc:
            session.rollback()
            log.warning("sync run %s: %s stopped: %s (tid=%s)", self.run_id, channel, type(exc).__name__, exc.tid)
            if isinstance(exc, (ReconnectRequired, Forbidden)):  # only a person reconnecting mends either
                _mark_expired(session, channel, forbidden=isinstance(exc, Forbidden))
            message = _connector_message(exc, progress.since(before).processed, CHANNEL_NAMES[channel], read_preferences(session).zone)
            _close_channel(session, self.run_id, channel, "failed", message, progress.since(before), inbox.read)
            return ChannelResult(channel, False, message, inbox.read)

    def _fetch(
        self, inbox: Inbox, since: datetime | None, not_before: date, backfill: tuple[date, date] | None, fetched_before: int
    ) -> datetime | None:
        session, source, request, run_id = self.session, self.source, self.request, self.run_id

        def in_time() -> None:
            # Reading is bounded by the time limit too: a slow upstream must not hold a web worker.
            if self.deadline is not None and time.monotonic_ns() > self.deadline:
                raise TimeLimitReached()

        def counted() -> None:
            in_time()
            run = session.get(SyncRun, run_id)
            assert run is not None
            run.fetched = fetched_before + inbox.read
            lock.heartbeat(session, run_id, self.clock())
            run.heartbeat_at = self.clock()

        with write_transaction(session):
            session.add(
                SyncRunChannel(run_id=run_id, source=self.channel, status="running", window_start=None if request.only_failed else since)
            )
        mark = None
        if not request.only_failed:
            wanted, deleted_since = deletions_wanted(session, since, run_id, self.settings.overlap, self.channel)
            mark = stage_changes(session, source, inbox, since, not_before, counted) or self.clock()
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
            row = _channel_row(session, run_id, self.channel)
            assert row is not None  # added above
            row.window_end = mark
        return mark


def _channel_row(session: Session, run_id: int, channel: str) -> SyncRunChannel | None:
    return session.scalar(select(SyncRunChannel).where(SyncRunChannel.run_id == run_id, SyncRunChannel.source == channel))


def _close_channel(
    session: Session,
    run_id: int,
    channel: str,
    status: str,
    message: str,
    done: Progress | None = None,
    fetched: int | None = None,
    new_mark: datetime | None = None,
    read_from: date | None = None,
) -> None:
    """Record how a channel's part of the run ended and, when it read everything, move its cursor: one commit."""
    session.rollback()
    with write_transaction(session):
        row = _channel_row(session, run_id, channel)
        if row is None:  # it stopped before it recorded its window
            row = SyncRunChannel(run_id=run_id, source=channel, status=status)
            session.add(row)
        row.status, row.message = status, message
        if done is not None:
            row.created, row.updated, row.voided, row.skipped = done.created, done.updated, done.voided, done.skipped
            row.errors, row.processed, row.recosted = done.errors, done.processed, done.recosted
        if fetched is not None:
            row.fetched = fetched
        if new_mark is not None:
            connection = session.scalar(select(Connection).where(Connection.provider == channel))
            if connection is not None:
                connection.synced_through = new_mark
                if read_from is not None and (connection.synced_from is None or read_from < connection.synced_from):
                    connection.synced_from = read_from
        Inbox(session, run_id, channel).clear()


def _run_message(results: list[ChannelResult], not_synced: Sequence[str]) -> str:
    """One channel: its own message. Several: the failures first (their words name their channel),
    then each finished channel's ("QuickBooks finished: ..."); then the connected channels not synced."""
    if len(results) == 1:
        parts = [results[0].message]
    else:
        parts = [r.message for r in results if not r.succeeded]
        parts += [f"{CHANNEL_NAMES[r.channel]} {r.message[:1].lower()}{r.message[1:]}" for r in results if r.succeeded]
    parts += [f"Not synced: {reason}" for reason in not_synced]
    return " ".join(parts)


def _finish(
    session: Session,
    run_id: int,
    status: str,
    message: str,
    progress: Progress,
    clock: Callable[[], datetime],
    release: bool = True,
) -> None:
    session.rollback()
    with write_transaction(session):
        now = clock()
        run = session.get(SyncRun, run_id)
        assert run is not None
        progress.write(run, now)
        run.status, run.message, run.finished_at = status, message, now
        session.execute(
            update(SyncRunChannel)
            .where(SyncRunChannel.run_id == run_id, SyncRunChannel.status == "running")
            .values(status="failed", message=message)
        )
        Inbox(session, run_id).clear()
        if release:
            lock.release(session, run_id)


def _mark_expired(session: Session, channel: str, forbidden: bool = False) -> None:
    """The channel needs a person to reconnect it; later syncs leave it out with that reason until then."""
    name = CHANNEL_NAMES[channel]
    why = f"{name} refused access to the organisation" if forbidden else f"{name} refused to renew access"
    with write_transaction(session):
        session.execute(
            update(Connection)
            .where(Connection.provider == channel)
            .values(status="expired", status_message=f"{why}. Reconnect to sync again; your data is kept.")
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
    if isinstance(exc, Forbidden):
        return (
            f"{channel} refused access to the connected organisation: it was disconnected in {channel}, or a permission "
            f"is missing. Reconnect {channel} in Settings." + kept
        )
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
