"""README's "Running it for real", run as written: config init, db upgrade, the first admin,
doctor, then gunicorn with README's exact options serving wsgi:app, where the admin signs in."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.reliability.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PASSWORD = "a long admin password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"')


def production_commands() -> list[list[str]]:
    """The `.venv/bin/...` commands of README's first block under "Running it for real", in order."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Running it for real") :]
    block = section[section.index("```sh") + len("```sh") :]
    block = block[: block.index("```")]
    commands = []
    for line in block.splitlines():
        line = line.split("  #", 1)[0].strip()
        if line.startswith(".venv/bin/") and "pip install" not in line:
            words = shlex.split(line)
            commands.append([str(VENV_BIN / words[0].removeprefix(".venv/bin/")), *words[1:]])
    return commands


def test_readme_lists_the_commands_this_test_runs() -> None:
    names = [" ".join([Path(c[0]).name, *c[1:3]]) for c in production_commands()]
    assert names == ["partsemble config init", "partsemble db upgrade", "partsemble users create", "partsemble doctor", "gunicorn -w 3"]


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    # README's commands run in the checkout; only the instance folder is moved, so the test
    # never touches the checkout's own instance/ (where `make demo` keeps its files).
    return {"PATH": os.environ.get("PATH", ""), "PARTSEMBLE_INSTANCE_PATH": str(tmp_path / "instance")}


@pytest.fixture
def served(environment: dict[str, str], tmp_path: Path) -> Iterator[str]:
    *setup, serve = production_commands()
    for command in setup:
        stdin = PASSWORD + "\n" if "--password-stdin" in command else None
        done = subprocess.run(command, cwd=ROOT, env=environment, input=stdin, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    port = free_port()
    log = tmp_path / "gunicorn.log"
    # README's options, plus a free port instead of :8000 and no control socket (one per user
    # by default: another gunicorn running on this machine must not collide with this one).
    with log.open("w") as out:
        server = subprocess.Popen(
            [*serve, "--bind", f"127.0.0.1:{port}", "--no-control-socket"], cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, "gunicorn exited:\n" + log.read_text()[-3000:]
            try:
                requests.get(f"{base}/login", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):
                # Not listening yet, or a worker still importing on a busy machine: wait for the deadline.
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def test_gunicorn_as_readme_says_serves_wsgi_app_and_the_admin_signs_in(served: str, environment: dict[str, str]) -> None:
    session = requests.Session()
    page = session.get(f"{served}/login", timeout=10)
    token = next(filter(None, CSRF.search(page.text).groups()))  # type: ignore[union-attr]
    answer = session.post(
        f"{served}/login", data={"email": "you@example.com", "password": PASSWORD, "csrf_token": token}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302, answer.text[:500]
    # Three workers share the file's secret key: the session cookie one signed opens on all of them.
    for _ in range(6):
        home = session.get(f"{served}/", timeout=10)
        assert home.status_code == 200 and "you@example.com" in home.text and "/login" not in home.url
    instance = Path(environment["PARTSEMBLE_INSTANCE_PATH"])
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in instance.iterdir() if not p.name.endswith(("-wal", "-shm"))} == {
        "partsemble.env": "0o600",
        "partsemble.db": "0o600",
        "partsemble.db.login-locks": "0o700",
    }
    # The login locks beside the database (auth/locks.py) are the owner's alone, like the database.
    locks = list((instance / "partsemble.db.login-locks").iterdir())
    assert locks and {oct(p.stat().st_mode & 0o777) for p in locks} == {"0o600"}
