"""`partsemble sync` killed with SIGKILL at random moments, 3,000 sandbox documents deep: after
every kill the invariants hold (`partsemble check`), the dead run's lock is taken over (at once
when it died on this host, once SYNC_LOCK_STALE_AFTER has passed when it looks like another
host's), and the next sync converges to exactly the state of a sync that was never interrupted.

A moment is a point of the run's own progress (documents staged while fetching, or applied),
drawn at random and watched in the database, not a time: on a loaded machine the kills land
where they would on an idle one, and every trial kills."""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.pool import NullPool

from partsemble import create_app
from partsemble.extensions import db
from partsemble.lots.check import find_violations
from partsemble.models.base import utcnow
from partsemble.models.sales import Sale
from partsemble.models.sync import SyncInbox, SyncLock, SyncRun
from partsemble.sandbox import SandboxCompany
from tests.conftest import fresh_database
from tests.reliability.conftest import qbo_config
from tests.reliability.live_server import point_at_sandbox
from tests.reliability.processes import PARTSEMBLE, Databases, child_environment, gunicorn, run_cli
from tests.reliability.world import Company, LedgerState, read_state, stock_the_shelves, store_connection

pytestmark = pytest.mark.slow

KILLS = 20
STALE_AFTER = "4"
FRESH_FOR_A_START = "3600"  # the refused start must see the foreign holder fresh, however slowly it starts
WATCH_EVERY = 0.02  # seconds between looks at the run's progress
PAGE_SIZE = 200
SYNC_TIMEOUT = 900  # a whole sync of 3,000 documents, on a machine as loaded as CI's can be
_FOREIGN_LOCK = threading.Lock()  # the first two kills that leave the lock held make it look like another host's


@dataclass
class Trial:
    seed: int
    phase: str  # "fetch" (documents staged) or "apply" (documents applied)
    at: int  # documents of that phase done when the kill is due
    killed: bool
    applied_at_kill: int = 0
    held_lock: bool = False
    takeover: str = ""
    differences: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # what `partsemble check` finds right after the kill

    def line(self) -> str:
        what = f"killed at {self.at} documents {self.phase}" if self.killed else f"finished before {self.at} documents {self.phase}"
        return (
            f"seed {self.seed:>3}: {what}; sales stored at the kill {self.applied_at_kill}; lock held: {self.held_lock}; "
            f"next sync: {self.takeover}; differences from the uninterrupted sync: {len(self.differences)}"
        )


@pytest.fixture
def crash_world(database_template: str, company_factory: Callable[[int, int], Company], tmp_path: Path) -> Iterator[dict[str, Any]]:
    company = company_factory(3000, 5)
    sandbox_url = company.copy_to(tmp_path)
    databases = Databases(database_template, tmp_path)
    # Kills are the faults here: the sandbox answers slowly on a loaded machine, and that must not
    # look like a broken connection (the fault suites use the short timeouts).
    # Pages of 200 documents (an installation reads 1,000; the fault suites 40): fifteen pages still
    # give the fetch-phase kills fifteen places to land, and each of the suite's 40-odd syncs of
    # 3,000 documents costs about a third less CPU than in pages of 40 (9.5 s instead of 13.5 s measured).
    config = qbo_config(
        tmp_path,
        databases.start,
        sandbox_url,
        SYNC_LOCK_STALE_AFTER=STALE_AFTER,
        QBO_CONNECT_TIMEOUT="10",
        QBO_READ_TIMEOUT="60",
        QBO_PAGE_SIZE=PAGE_SIZE,
    )
    # The sandbox answers from processes of its own, so the test process only watches.
    host_env = child_environment(
        config, fresh_database(database_template, tmp_path), tmp_path / "instance", SANDBOX="1", DEMO="1", SANDBOX_DATABASE_URL=sandbox_url
    )
    sandbox = SandboxCompany.open(sandbox_url)
    try:
        with gunicorn(host_env, workers=2, log=tmp_path / "sandbox-gunicorn.log") as base:
            point_at_sandbox(config, base)
            starting = create_app(config)
            stock_the_shelves(starting, company)
            store_connection(starting, sandbox, company.start)
            dispose(starting)  # a PostgreSQL template must have no open connection
            yield {"config": config, "databases": databases, "tmp": tmp_path, "foreign": [2]}
    finally:
        sandbox.close()
        databases.close()


def app_on(world: dict[str, Any], url: str) -> Flask:
    return create_app(dict(world["config"], SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=str(world["tmp"] / "instance")))


def dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def uninterrupted(world: dict[str, Any]) -> tuple[LedgerState, float]:
    url = world["databases"].copy()
    env = child_environment(world["config"], url, world["tmp"] / "instance")
    started = time.monotonic()
    done = run_cli(["sync", "--json"], env, timeout=SYNC_TIMEOUT)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert run_cli(["check"], env).returncode == 0
    app = app_on(world, url)
    try:
        return read_state(app), took
    finally:
        dispose(app)
        world["databases"].drop(url)


PROGRESS = sa.text(
    "SELECT r.processed, (SELECT count(*) FROM sync_inbox i WHERE i.run_id = r.id) "
    "FROM sync_runs r WHERE r.status = 'running' ORDER BY r.id DESC LIMIT 1"
)


def kill_at(child: subprocess.Popen[bytes], url: str, phase: str, at: int) -> bool:
    """SIGKILL the sync once its run has staged (fetch) or applied (apply) `at` documents; False
    when it finished first. The deadline is the run's own progress, read in its database."""
    watcher = sa.create_engine(url, poolclass=NullPool)
    try:
        while child.poll() is None:
            with watcher.connect() as conn:
                row = conn.execute(PROGRESS).first()
            applied, staged = (row[0], row[1]) if row else (0, 0)
            if (applied >= at) if phase == "apply" else (staged >= at or applied > 0):
                child.send_signal(signal.SIGKILL)
                child.wait(timeout=10)
                return True
            time.sleep(WATCH_EVERY)  # polling a database another process writes: no event reaches us
        return False
    finally:
        watcher.dispose()


def one_trial(world: dict[str, Any], reference: LedgerState, seed: int, documents: int) -> Trial:
    rng = random.Random(seed)
    url = world["databases"].copy()
    env = child_environment(world["config"], url, world["tmp"] / "instance")
    phase = "fetch" if rng.random() < 0.3 else "apply"
    trial = Trial(seed, phase, rng.randrange(int(documents * 0.95)), killed=False)
    child = subprocess.Popen([PARTSEMBLE, "sync", "--json"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        trial.killed = kill_at(child, url, trial.phase, trial.at)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
    app = app_on(world, url)
    try:
        with app.app_context():
            # `partsemble check`'s own function, run here: a CLI process per trial spent most of its
            # CPU importing the app (the CLI itself is tested in tests/ops and by uninterrupted()).
            trial.problems = tuple(find_violations(db.session))
            holder = db.session.execute(select(SyncLock.run_id, SyncLock.holder)).first()
            trial.held_lock = bool(holder and holder.run_id)
            trial.applied_at_kill = db.session.scalar(select(func.count(Sale.id))) or 0
            foreign = trial.held_lock and _take_a_foreign_turn(world)
            if foreign:
                pretend_another_host_holds_the_lock()
            db.session.remove()
        if foreign:
            # Refused while the holder's heartbeat is fresh: the start sees it so whatever its speed.
            refused = run_cli(["sync", "--json"], env | {"PARTSEMBLE_SYNC_LOCK_STALE_AFTER": FRESH_FOR_A_START})
            assert refused.returncode == 2 and "already running" in refused.stdout, refused.stdout + refused.stderr
            with app.app_context():
                let_the_foreign_heartbeat_go_stale()
                db.session.remove()
        resumed = run_cli(["sync", "--json"], env, timeout=SYNC_TIMEOUT)
        assert resumed.returncode == 0 and '"outcome": "succeeded"' in resumed.stdout, resumed.stdout + resumed.stderr
        trial.takeover = (
            f"refused while the foreign holder was fresh, took over once SYNC_LOCK_STALE_AFTER={STALE_AFTER}s had passed"
            if foreign
            else "took the dead run's lock at once"
            if trial.held_lock
            else "lock was free"
        )
        with app.app_context():
            if trial.held_lock:
                dead = db.session.get(SyncRun, holder.run_id)
                assert dead is not None and dead.status == "failed" and dead.message.startswith("Interrupted"), dead and dead.message
            assert db.session.scalar(select(SyncLock.run_id)) is None
            assert db.session.scalar(select(func.count(SyncInbox.id))) == 0  # nothing a dead run staged is left behind
            db.session.remove()
        trial.differences = tuple(read_state(app).differences(reference))
    finally:
        dispose(app)
        world["databases"].drop(url)
    return trial


def _take_a_foreign_turn(world: dict[str, Any]) -> bool:
    with _FOREIGN_LOCK:
        if world["foreign"][0] > 0:
            world["foreign"][0] -= 1
            return True
    return False


def pretend_another_host_holds_the_lock() -> None:
    """The dead holder now looks like another host's that beat just now: only staleness frees it."""
    db.session.execute(update(SyncLock).values(holder="cli|elsewhere.example:1", heartbeat_at=utcnow()))
    db.session.commit()


def let_the_foreign_heartbeat_go_stale() -> None:
    """Its last beat now lies further back than SYNC_LOCK_STALE_AFTER, as if that long had passed (no waiting)."""
    beat = utcnow() - timedelta(seconds=float(STALE_AFTER) + 1)
    db.session.execute(update(SyncLock).values(heartbeat_at=beat))
    db.session.commit()


def test_sigkill_at_random_moments_never_breaks_the_ledger_and_the_next_sync_converges(crash_world, capsys) -> None:  # type: ignore[no-untyped-def]
    reference, took = uninterrupted(crash_world)
    assert len(reference.sales) > 2500
    trials: list[Trial] = []
    seeds = iter(range(1, 200))
    with ThreadPoolExecutor(max_workers=2) as pool:  # two trials at a time, each on its own database
        while sum(t.killed for t in trials) < KILLS and len(trials) < 2 * KILLS:
            batch = [next(seeds) for _ in range(2)]
            trials += pool.map(lambda s: one_trial(crash_world, reference, s, len(reference.sales)), batch)
    with capsys.disabled():
        print(f"\nuninterrupted CLI sync of 3,000 documents: {took:.1f}s")
        for trial in trials:
            print(trial.line())
    for trial in trials:
        assert trial.problems == (), (trial.seed, trial.problems)
        assert trial.differences == (), (trial.seed, trial.differences)
    assert sum(t.killed for t in trials) >= KILLS
