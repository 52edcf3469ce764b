"""README's cron line works as written: `cd /srv/partsemble && .venv/bin/partsemble sync --json`
from an empty environment, with every setting in the checkout's instance/partsemble.env.

The checkout is a copy of partsemble/ and migrations/ in a temporary folder, so its
instance/ is the test's own; `python -c` in that folder imports the copy first, as the
console script of a checkout's own venv would import that checkout.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from partsemble import create_app
from partsemble.demo import link_sandbox_items, load_demo
from partsemble.extensions import db
from partsemble.sandbox import SandboxCompany
from tests.conftest import PG_URL
from tests.integration.sandbox.sandbox_harness import company_today, make_app, serving
from tests.reliability.world import CLIENT_ID, CLIENT_SECRET, store_connection
from tests.scratch import scratch_database

ROOT = Path(__file__).resolve().parents[2]
CLI = "from partsemble.cli import main; main()"


def partsemble(checkout: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # env={}: not even PATH or HOME, less than cron gives.
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], cwd=checkout, env={}, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    target = tmp_path / "srv" / "partsemble"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "partsemble", target / "partsemble", ignore=ignore)
    shutil.copytree(ROOT / "migrations", target / "migrations", ignore=ignore)
    return target


@pytest.fixture
def database_setting() -> Iterator[str]:
    """The env file's PARTSEMBLE_DATABASE_URL line: none on SQLite (the instance's own file), a scratch database on PostgreSQL."""
    if not PG_URL:
        yield ""
        return
    with scratch_database(PG_URL, "partsemble_cron") as url:
        yield f"PARTSEMBLE_DATABASE_URL={url}\n"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[SandboxCompany, str]]:
    url = "sqlite:///" + str(tmp_path / "qbo-company.db")
    company = SandboxCompany.open(url)
    company.seed_demo(company_today())
    try:
        with serving(make_app(url, QBO_CLIENT_ID=CLIENT_ID, QBO_CLIENT_SECRET=CLIENT_SECRET)) as base:
            yield company, base
    finally:
        company.close()


def test_the_cron_line_syncs_from_an_empty_environment_with_only_the_env_file(checkout, sandbox, database_setting) -> None:  # type: ignore[no-untyped-def]
    company, base = sandbox
    made = partsemble(checkout, "config", "init")
    assert made.returncode == 0, made.stderr
    env_file = checkout / "instance" / "partsemble.env"
    assert env_file.read_text().count("PARTSEMBLE_SECRET_KEY=") == 1  # written by the copy, in its own instance/
    with env_file.open("a") as settings:
        settings.write(database_setting)
        settings.write(f"PARTSEMBLE_QBO_CLIENT_ID={CLIENT_ID}\nPARTSEMBLE_QBO_CLIENT_SECRET={CLIENT_SECRET}\n")
        for name, path in (
            ("API_BASE", "v3"),
            ("AUTH_URL", "oauth2/authorize"),
            ("TOKEN_URL", "oauth2/tokens/bearer"),
            ("REVOKE_URL", "oauth2/tokens/revoke"),
            ("APP_URL", "app"),
        ):
            settings.write(f"PARTSEMBLE_QBO_{name}={base}/sandbox/{path}\n")
    upgraded = partsemble(checkout, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr

    # The demo business, its item links and a stored connection, written by an app that finds
    # the same file through the same instance folder (the tokens are encrypted with its key).
    app = create_app({"INSTANCE_PATH": str(checkout / "instance")})
    assert app.config["ENV_FILE"] == str(env_file)
    with app.app_context():
        load_demo(company_today())
        link_sandbox_items()
        db.session.remove()
    store_connection(app, company, company_today() - timedelta(days=200))
    with app.app_context():
        db.engine.dispose()

    synced = partsemble(checkout, "sync", "--json")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    summary = json.loads(synced.stdout)
    assert summary["outcome"] == "succeeded" and summary["created"] > 100, summary
    # The demo leaves Lavender Soap unlinked on purpose: those documents wait, the rest synced.
    assert {error["code"] for error in summary["errors"]} == {"item_not_linked"}
    checked = partsemble(checkout, "check")
    assert checked.returncode == 0 and "All invariants hold." in checked.stdout, checked.stdout

    env_file.rename(env_file.with_name("elsewhere.env"))
    without = partsemble(checkout, "sync", "--json")
    assert without.returncode == 1 and "PARTSEMBLE_SECRET_KEY is not set" in without.stderr
