"""Partsemble in other processes: the CLI and gunicorn, configured through the environment
exactly as an installation would be, and databases made for them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from tests.conftest import PG_URL, _migrate, fresh_database
from tests.scratch import create_database, drop_database

VENV_BIN = Path(sys.executable).parent
PARTSEMBLE = str(VENV_BIN / "partsemble")
GUNICORN = str(VENV_BIN / "gunicorn")

# App settings that go to a child process, by their environment names.
_PASSED = (
    "SECRET_KEY",
    "QBO_CLIENT_ID",
    "QBO_CLIENT_SECRET",
    "QBO_API_BASE",
    "QBO_AUTH_URL",
    "QBO_TOKEN_URL",
    "QBO_REVOKE_URL",
    "QBO_APP_URL",
    "QBO_CONNECT_TIMEOUT",
    "QBO_READ_TIMEOUT",
    "QBO_MAX_RETRIES",
    "QBO_RETRY_BUDGET",
    "QBO_BACKOFF_BASE",
    "QBO_PAGE_SIZE",
    "SYNC_TIME_LIMIT",
    "SYNC_LOCK_STALE_AFTER",
    "LOGIN_MAX_FAILURES",
    "LOGIN_LOCKOUT_SECONDS",
)


def child_environment(config: Mapping[str, Any], database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process running the app with `config`'s settings on `database_url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTSEMBLE_")}
    for key in _PASSED:
        if config.get(key) not in (None, ""):
            env[f"PARTSEMBLE_{key}"] = str(config[key])
    env.update(PARTSEMBLE_DATABASE_URL=database_url, PARTSEMBLE_INSTANCE_PATH=str(instance), PYTHONUNBUFFERED="1")
    env.update({f"PARTSEMBLE_{k}": v for k, v in extra.items()})
    return env


def run_cli(args: list[str], env: Mapping[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PARTSEMBLE, *args], env=dict(env), capture_output=True, text=True, timeout=timeout, check=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT_ATTEMPTS = 5
STARTUP_TIMEOUT = 120  # a ceiling, not a wait: gunicorn is used as soon as it answers


@contextmanager
def gunicorn(env: Mapping[str, str], workers: int, log: Path) -> Iterator[str]:
    """The app under gunicorn (sync workers) on a free port; yields its base URL once it answers."""
    for attempt in range(PORT_ATTEMPTS):
        server, base = _start_gunicorn(env, workers, log)
        if server is not None:
            break
        if attempt == PORT_ATTEMPTS - 1:
            raise RuntimeError("gunicorn found every port it was given taken:\n" + log.read_text()[-3000:])
    try:
        yield base
    finally:
        _stop(server)


def _start_gunicorn(env: Mapping[str, str], workers: int, log: Path) -> tuple[subprocess.Popen[bytes] | None, str]:
    """gunicorn started and answering; (None, url) when another process bound its port first
    (a free port is free only until someone binds it: parallel test workers start servers too)."""
    port = free_port()
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                GUNICORN,
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                # One control socket per user by default: another gunicorn running meanwhile must not collide with this one.
                "--no-control-socket",
                "partsemble:create_app()",
            ],
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            said = log.read_text()
            if "Connection in use" in said:
                _stop(server)
                return None, base
            if server.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + said[-3000:])
            if "Listening at" not in said:  # not bound yet: whoever else answers on the port is not this server
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not bind its port:\n" + said[-3000:])
                time.sleep(0.05)
                continue
            try:
                requests.get(f"{base}/login", timeout=5)
                return server, base
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    except BaseException:
        _stop(server)
        raise


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=5)


class ScratchDatabases:
    """PostgreSQL databases made for one test (from a template database when given) and dropped after it."""

    def __init__(self) -> None:
        self.made: list[str] = []
        self._lock = threading.Lock()

    def create(self, template: str | None = None) -> str:
        with self._lock:
            url = create_database(PG_URL, "partsemble_rel", template)
            self.made.append(url)
        return url

    def drop(self, url: str) -> None:
        with self._lock:
            drop_database(url)
            if url in self.made:
                self.made.remove(url)

    def close(self) -> None:
        for url in list(self.made):
            self.drop(url)


class Databases:
    """The stocked starting database, and a fresh copy of it for every run."""

    def __init__(self, template: str, tmp: Path) -> None:
        self.tmp = tmp
        self.scratch = ScratchDatabases() if PG_URL else None
        self.start = self.scratch.create() if self.scratch else fresh_database(template, tmp)
        if self.scratch:
            _migrate(self.start, tmp)

    def copy(self) -> str:
        if self.scratch is None:
            return fresh_database(self.start, self.tmp)
        return self.scratch.create(template=sa.make_url(self.start).database)

    def drop(self, url: str) -> None:
        if self.scratch is None:
            Path(sa.make_url(url).database or "").unlink(missing_ok=True)
        else:
            self.scratch.drop(url)

    def close(self) -> None:
        if self.scratch is not None:
            self.scratch.close()
