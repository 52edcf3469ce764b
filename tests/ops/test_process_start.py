"""What a Partsemble process sets up when it starts: the collector's thresholds, and Flask-Migrate
(with Alembic) only where migrations are run (partsemble.bind_migrations)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

from flask import Flask

from partsemble import bind_migrations, create_app
from partsemble.ops.runtime import THRESHOLDS
from tests.ops.test_doctor import STRONG_KEY

PYTHON = sys.executable
# Runs the console script in a child and prints what it imported and how its collector is set.
PROBE = """
import gc, json, sys
sys.argv = ["partsemble", *sys.argv[1:]]
from partsemble.cli import main
try:
    main()
except SystemExit as end:
    code = end.code
print(json.dumps({"code": code, "alembic": "alembic" in sys.modules, "thresholds": gc.get_threshold()}))
"""


def probe(tmp_path: Path, *args: str) -> dict[str, object]:
    env = {
        "PATH": "/usr/bin:/bin",
        "PARTSEMBLE_SECRET_KEY": STRONG_KEY,
        "PARTSEMBLE_DATABASE_URL": "sqlite:///" + str(tmp_path / "partsemble.db"),
        "PARTSEMBLE_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    done = subprocess.run([PYTHON, "-c", PROBE, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.strip(), done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]), output=done.stdout)


def test_a_command_other_than_db_never_imports_alembic_and_tunes_the_collector(tmp_path) -> None:  # type: ignore[no-untyped-def]
    started = probe(tmp_path, "routes")  # the whole app made, as for any command
    assert started["code"] in (0, None), started["output"]
    assert "/sales/sync" in str(started["output"])
    assert started["alembic"] is False
    assert tuple(started["thresholds"]) == THRESHOLDS  # type: ignore[arg-type]


def test_db_upgrade_binds_the_migrations_and_migrates(tmp_path) -> None:  # type: ignore[no-untyped-def]
    upgraded = probe(tmp_path, "db", "upgrade")
    assert upgraded["code"] in (0, None), upgraded["output"]
    assert upgraded["alembic"] is True
    listed = probe(tmp_path, "--help")
    assert "db" in str(listed["output"]).split("Commands:")[1].split(), listed["output"]
    current = probe(tmp_path, "db", "current")
    assert "0012_return_lot_notes (head)" in str(current["output"]), current["output"]


def test_bind_migrations_is_what_upgrade_needs_and_binds_once(app_config) -> None:  # type: ignore[no-untyped-def]
    app: Flask = create_app(app_config)
    assert "migrate" not in app.extensions
    bind_migrations(app)
    bound = app.extensions["migrate"]
    bind_migrations(app)
    assert app.extensions["migrate"] is bound
    assert bound.configure_args == {"compare_type": True, "render_as_batch": True}
    assert Path(bound.directory).name == "migrations"
    assert "db" in app.cli.commands


def test_the_suite_runs_with_the_apps_collector_thresholds() -> None:
    assert gc.get_threshold() == THRESHOLDS
