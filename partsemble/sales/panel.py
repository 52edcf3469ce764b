"""What the sync panel of the Sales page shows: the last run, open problems, the connection."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from partsemble.models.sync import Connection, FailedDocument, SyncRun
from partsemble.models.transactions import AnySession
from partsemble.sync import lock
from partsemble.sync.problems import open_problems
from partsemble.sync.service import CHANNEL_ORDER
from partsemble.sync.summary import SyncSummary, last_run, summarize


@dataclass(frozen=True)
class ProblemGroup:
    """Open problems with one fix: all documents waiting on one item, or one document alone."""

    code: str
    message: str
    source: str  # the channel of the documents (an item Id means something in its own channel only)
    item_id: str
    item_name: str
    documents: list[FailedDocument]

    @property
    def key(self) -> str:
        return f"item-{self.source}-{self.item_id}" if self.item_id else f"doc-{self.documents[0].id}"


def group_problems(problems: list[FailedDocument]) -> list[ProblemGroup]:
    groups: dict[tuple[str, str], ProblemGroup] = {}
    for problem in problems:
        if problem.item_external_id:
            key = (problem.code, problem.source, problem.item_external_id)
        else:
            key = (problem.code, problem.source, f"#{problem.id}")
        if key not in groups:
            groups[key] = ProblemGroup(problem.code, problem.message, problem.source, problem.item_external_id, problem.item_name, [])
        groups[key].documents.append(problem)
    return list(groups.values())


@dataclass(frozen=True)
class SyncPanel:
    summary: SyncSummary | None
    problems: list[FailedDocument]
    connections: list[Connection]  # every channel's connection that is not disconnected, QuickBooks first
    running: lock.Holder | None
    run_count: int
    notice: str = ""  # e.g. "A sync is already running (...)"
    notice_kind: str = "info"

    @property
    def problem_groups(self) -> list[ProblemGroup]:
        return group_problems(self.problems)

    @property
    def expired(self) -> list[Connection]:
        return [c for c in self.connections if c.status == "expired"]


def sync_panel(session: AnySession, notice: str = "", notice_kind: str = "info", run_id: int | None = None) -> SyncPanel:
    run = session.get(SyncRun, run_id) if run_id is not None else last_run(session)
    return SyncPanel(
        summary=summarize(session, run.id) if run is not None else None,
        problems=open_problems(session),
        connections=sorted(
            session.scalars(select(Connection).where(Connection.provider.in_(CHANNEL_ORDER), Connection.status != "disconnected")),
            key=lambda c: CHANNEL_ORDER.index(c.provider),
        ),
        running=lock.current_holder(session),
        run_count=session.scalar(select(func.count(SyncRun.id))) or 0,
        notice=notice,
        notice_kind=notice_kind,
    )


@dataclass(frozen=True)
class RunProgress:
    run: SyncRun | None

    @property
    def percent(self) -> int:
        if self.run is None or not self.run.fetched:
            return 0
        return min(100, int(self.run.processed * 100 / self.run.fetched))


def progress(session: AnySession) -> RunProgress:
    holder = lock.current_holder(session)
    run = session.get(SyncRun, holder.run_id) if holder and holder.run_id else None
    return RunProgress(run)
