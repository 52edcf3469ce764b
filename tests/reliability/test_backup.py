"""`partsemble backup` during a running sync: the copy restores into a new instance where
`partsemble check` passes and the sales are exactly those committed when the backup ran,
and one more sync brings it to exactly the live database's state."""

from __future__ import annotations

import shutil
import stat
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event, select

from partsemble import create_app
from partsemble.extensions import db
from partsemble.models.sync import SyncRun
from partsemble.sandbox import SandboxCompany
from tests.conftest import PG_URL
from tests.reliability.conftest import qbo_config
from tests.reliability.history import change_upstream
from tests.reliability.live_server import point_at_sandbox
from tests.reliability.processes import child_environment, run_cli
from tests.reliability.world import Company, read_state

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="partsemble backup copies SQLite; PostgreSQL is pg_dump's job")

# A sync applies its documents in batches of up to 1,000, one transaction each. The second
# sync of the test (an edit, a void, a deletion, two new invoices) is held inside that
# transaction, at its first stock ledger row, while the backup runs: the copy is taken mid-run
# beside a write that is open, and must hold exactly the state before it.
LEDGER_WRITE = "INSERT INTO stock_transactions "


def scalar(app: Flask, query: Any) -> Any:
    with app.app_context():
        try:
            return db.session.scalar(query)
        finally:
            db.session.remove()


def sync_in_background(app: Flask) -> tuple[threading.Thread, dict[str, Any]]:
    from partsemble.connections.source import open_source
    from partsemble.sync.service import SyncRequest, run_sync, settings_from

    outcome: dict[str, Any] = {}

    def run() -> None:
        with app.app_context():
            try:
                summary = run_sync(
                    db.session, open_source(app.config), SyncRequest(trigger="cli"), settings_from(app.config, time_limited=False)
                )
                outcome["summary"] = summary
            except BaseException as exc:  # reported by the test, not lost in the thread
                outcome["error"] = exc
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name="sync-under-backup")
    return thread, outcome


def wait_for(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def run_to_the_end(app: Flask) -> None:
    thread, outcome = sync_in_background(app)
    thread.start()
    thread.join(timeout=180)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["summary"].outcome == "succeeded", outcome["summary"].message


def test_a_backup_taken_during_a_sync_restores_consistent_and_catches_up(
    app: Flask, stocked: Company, sandbox: SandboxCompany, live: str, sandbox_url: str, tmp_path: Path
) -> None:
    run_to_the_end(app)
    before_second_sync = read_state(app)
    change_upstream(sandbox, stocked)
    thread, outcome = sync_in_background(app)
    with app.app_context():
        engine = db.engine
    holding, released = threading.Event(), threading.Event()

    def hold_mid_write(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread() is thread and statement.lstrip().startswith(LEDGER_WRITE) and not holding.is_set():
            holding.set()
            released.wait(timeout=120)

    event.listen(engine, "before_cursor_execute", hold_mid_write)
    try:
        thread.start()
        wait_for(holding.is_set, "the second sync to write its first ledger row")
        backup = tmp_path / "backups" / "during-sync.db"
        backup.parent.mkdir()
        env = child_environment(app.config, app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path))
        made = run_cli(["backup", str(backup)], env)
        still_running = thread.is_alive()
    finally:
        released.set()
        thread.join(timeout=180)
        event.remove(engine, "before_cursor_execute", hold_mid_write)
    assert made.returncode == 0, made.stdout + made.stderr
    assert still_running, "the sync ended before the backup did: the test proved nothing"
    assert "error" not in outcome, outcome.get("error")
    assert outcome["summary"].outcome == "succeeded"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    live_state = read_state(app)

    # Restore as README says: the file becomes a new instance's partsemble.db, mode 0600.
    restored_dir = tmp_path / "restored"
    (restored_dir / "instance").mkdir(parents=True)
    database = restored_dir / "instance" / "partsemble.db"
    shutil.copy(backup, database)
    database.chmod(0o600)
    restored = create_app(qbo_config(restored_dir, f"sqlite:///{database}", sandbox_url, SYNC_LOCK_STALE_AFTER="1"))
    try:
        checked = restored.test_cli_runner().invoke(args=["check"])
        assert checked.exit_code == 0 and "All invariants hold." in checked.output, checked.output

        assert read_state(restored).differences(before_second_sync) == []
        assert before_second_sync.differences(live_state) != []  # the second sync did change things
        assert scalar(restored, select(SyncRun.status).order_by(SyncRun.id.desc()).limit(1)) == "running"

        # The backup's unfinished run holds the sync lock; once it is stale the next sync takes
        # it over and fetches what the backup missed, ending where the live database is.
        point_at_sandbox(restored.config, live)
        time.sleep(1.1)
        run_to_the_end(restored)
        assert read_state(restored).differences(live_state) == []
        assert restored.test_cli_runner().invoke(args=["check"]).exit_code == 0
    finally:
        with restored.app_context():
            db.engine.dispose()


def test_backup_refuses_to_overwrite_and_sends_postgresql_to_pg_dump(app: Flask, tmp_path: Path) -> None:
    existing = tmp_path / "taken.db"
    existing.write_bytes(b"an older backup")
    refused = app.test_cli_runner().invoke(args=["backup", str(existing)])
    assert refused.exit_code == 2 and "never overwrites" in refused.output
    assert existing.read_bytes() == b"an older backup"

    config = dict(app.config)
    postgres = create_app(
        {
            **{k: config[k] for k in ("TESTING", "SECRET_KEY")},
            "INSTANCE_PATH": str(tmp_path / "pg"),
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://partsemble@127.0.0.1:9/partsemble",
        }
    )
    answer = postgres.test_cli_runner().invoke(args=["backup", str(tmp_path / "pg.db")])
    assert answer.exit_code == 2 and "pg_dump" in answer.output
    assert not (tmp_path / "pg.db").exists()
    assert sa.make_url(postgres.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "postgresql"
