"""Starting a sync: the one entry point for Sync Now, Retry, item linking, the connect callback and the CLI.

Every way in raises one error root, SyncNotStarted (SyncBusy, SyncNotReady, TokenKeyProblem,
SourceUnavailable), whose words are the message to show; callers catch the root only.
The source is opened by a function the caller passes (partsemble.connections.source.open_source):
the sync package does not reach up into connections.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from partsemble.connectors.base import SalesSource
from partsemble.connectors.errors import ConnectorError
from partsemble.models.sales import CHANNEL_NAMES
from partsemble.models.sync import FailedDocument
from partsemble.sync.errors import SourceUnavailable
from partsemble.sync.items import RefreshResult, refresh_items
from partsemble.sync.preview import Preview, preview_channels
from partsemble.sync.service import SyncRequest, channels_to_sync, connection_for_sync, run_channels, settings_from, web_retry_budget
from partsemble.sync.summary import SyncSummary


class SourceOpener(Protocol):
    """How to reach the connected company (connections.source.open_source).

    Raises:
        SyncNotReady: nothing is connected. TokenKeyProblem: the stored tokens cannot be read.
    """

    def __call__(self, config: Mapping[str, Any], *, retry_budget: Decimal | None = None, channel: str = "qbo") -> SalesSource: ...


def sync_now(
    session: Session,
    config: Mapping[str, Any],
    open_source: SourceOpener,
    *,
    trigger: str,
    user_id: int | None = None,
    user_email: str = "",
    only_failed: bool = False,
    item_ids: Iterable[str] | None = None,
    channel: str | None = None,
) -> SyncSummary:
    """Run one sync of every active channel to its summary: everything new (Sync Now) or only the
    failed documents (Retry).

    The web ("web" trigger) is bounded by SYNC_TIME_LIMIT; the CLI is not. With `item_ids`
    (and only_failed), only the documents waiting on one of those items are retried; with
    `channel`, only that channel is read (an item Id means something in its own channel only).

    Raises:
        SyncNotStarted: SyncNotReady, TokenKeyProblem or SyncBusy; nothing was written.
    """
    settings = settings_from(config, time_limited=trigger != "cli")
    if channel is None:
        plan = channels_to_sync(session)  # the clearest words first: not connected, expired, no initial date
        ready, not_synced = plan.ready, plan.not_synced
    else:
        connection_for_sync(session, channel)  # its own words when that channel cannot sync
        ready, not_synced = (channel,), ()
    sources = {c: open_source(config, retry_budget=web_retry_budget(settings), channel=c) for c in ready}
    request = SyncRequest(
        user_id, user_email, trigger, only_failed=only_failed, item_ids=None if item_ids is None else tuple(dict.fromkeys(item_ids))
    )
    return run_channels(session, sources, request, settings, not_synced=not_synced)


def preview_now(session: Session, config: Mapping[str, Any], open_source: SourceOpener) -> Preview:
    """What Sync Now would do in every active channel, without changing anything.

    Raises:
        SyncNotStarted: SyncNotReady, TokenKeyProblem, SyncBusy, or SourceUnavailable when a source
            did not answer properly. PreviewBusy: another preview is running.
    """
    plan = channels_to_sync(session)
    sources = {channel: open_source(config, channel=channel) for channel in plan.ready}
    try:
        return preview_channels(session, sources)
    except ConnectorError as exc:
        session.rollback()
        names = " or ".join(CHANNEL_NAMES[channel] for channel in plan.ready)
        raise SourceUnavailable(f"{names} did not answer properly ({exc.message}). Try again in a minute.") from exc


def retry_waiting(
    session: Session,
    config: Mapping[str, Any],
    open_source: SourceOpener,
    item_ids: Iterable[str],
    *,
    user_id: int | None = None,
    user_email: str = "",
    channel: str = "qbo",
) -> SyncSummary | None:
    """Retry, in one sync run of their channel, every failed document waiting on any of these items
    of that channel (just linked, created or marked not tracked). None when no document waits on
    them: no run is started.

    Raises:
        SyncNotStarted: as sync_now; the documents stay failed and the next sync retries them.
    """
    wanted = tuple(dict.fromkeys(item_ids))
    waiting = select(FailedDocument.id).where(FailedDocument.source == channel, FailedDocument.item_external_id.in_(wanted)).limit(1)
    if not wanted or session.scalar(waiting) is None:
        return None
    return sync_now(
        session,
        config,
        open_source,
        trigger="web",
        user_id=user_id,
        user_email=user_email,
        only_failed=True,
        item_ids=wanted,
        channel=channel,
    )


def refresh_item_list(session: Session, config: Mapping[str, Any], open_source: SourceOpener, channel: str = "qbo") -> RefreshResult:
    """Copy a channel's item list from its connected company, and commit.

    Raises:
        SyncNotStarted: SyncNotReady, TokenKeyProblem, or SourceUnavailable when the accounting
        system did not answer; nothing was written.
    """
    source = open_source(config, channel=channel)
    try:
        return refresh_items(session, source, channel)
    except ConnectorError as exc:
        session.rollback()
        raise SourceUnavailable(f"{CHANNEL_NAMES[channel]} did not answer properly ({exc.message}). Try again in a minute.") from exc
