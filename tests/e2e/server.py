"""A real Partsemble server for the browser tests: its own process, port, instance directory and database.

The server is set up the way `make demo` sets it up (`partsemble db upgrade`, `partsemble demo`,
`partsemble run --with-threads`), with the embedded sandbox (its QuickBooks and Xero faces) on the same host. Migrating
and loading the demo happen once per session into a template (`seed_template`); each server starts
from a copy of it (SQLite files copied, or `CREATE DATABASE ... TEMPLATE` on PostgreSQL). The test
reads the server's database directly, read-only, to check what the pages claim.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.scratch import create_database, drop_database

SECRET_KEY = "partsemble-e2e-only-Vq3h8ZkP0xLr2mN9sTbW4yEa7Cd1"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "partsemble-demo"  # partsemble.demo.DEMO_PASSWORD
# A ceiling, not a wait: start() returns as soon as the server answers. Under parallel workers on a
# loaded 2-core machine importing the app alone took over 30 s.
STARTUP_TIMEOUT = 120.0
PORT_ATTEMPTS = 5


class PortTaken(RuntimeError):
    """The port picked for a server was bound by another process first (parallel test workers)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def partsemble_executable() -> str:
    beside = Path(sys.executable).with_name("partsemble")
    found = str(beside) if beside.exists() else shutil.which("partsemble")
    if not found:
        raise RuntimeError("the `partsemble` console script is not installed (pip install -e .)")
    return found


def server_environment(base: str, instance: Path, database_url: str) -> dict[str, str]:
    """The environment of `make demo` (DEMO_ENV), pointed at this server's port and files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARTSEMBLE_", "FLASK_"))}
    env.update(
        {
            "PARTSEMBLE_SECRET_KEY": SECRET_KEY,
            "PARTSEMBLE_INSTANCE_PATH": str(instance),
            "PARTSEMBLE_DATABASE_URL": database_url,
            "PARTSEMBLE_SANDBOX": "1",
            "PARTSEMBLE_DEMO": "1",
            "PARTSEMBLE_QBO_CLIENT_ID": "demo-client",
            "PARTSEMBLE_QBO_CLIENT_SECRET": "demo-secret",
            "PARTSEMBLE_QBO_API_BASE": f"{base}/sandbox/v3",
            "PARTSEMBLE_QBO_AUTH_URL": f"{base}/sandbox/oauth2/authorize",
            "PARTSEMBLE_QBO_TOKEN_URL": f"{base}/sandbox/oauth2/tokens/bearer",
            "PARTSEMBLE_QBO_REVOKE_URL": f"{base}/sandbox/oauth2/tokens/revoke",
            "PARTSEMBLE_QBO_APP_URL": f"{base}/sandbox/app",
            "PARTSEMBLE_QBO_REDIRECT_URI": f"{base}/connections/qbo/callback",
            # The sandbox's Xero face, as `make demo` points the app at it.
            "PARTSEMBLE_XERO_CLIENT_ID": "demo-xero-client",
            "PARTSEMBLE_XERO_CLIENT_SECRET": "demo-xero-secret",
            "PARTSEMBLE_XERO_API_BASE": f"{base}/sandbox/xero/api.xro/2.0",
            "PARTSEMBLE_XERO_AUTH_URL": f"{base}/sandbox/xero/identity/connect/authorize",
            "PARTSEMBLE_XERO_TOKEN_URL": f"{base}/sandbox/xero/identity/connect/token",
            "PARTSEMBLE_XERO_REVOKE_URL": f"{base}/sandbox/xero/identity/connect/revocation",
            "PARTSEMBLE_XERO_CONNECTIONS_URL": f"{base}/sandbox/xero/connections",
            "PARTSEMBLE_XERO_REDIRECT_URI": f"{base}/connections/xero/callback",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class ScratchDatabase:
    """The server's database: a SQLite file in the instance directory, or a new PostgreSQL database."""

    url: str
    on_postgres: bool = False

    @classmethod
    def create(cls, instance: Path, postgres_server: str, like: ScratchDatabase | None = None) -> ScratchDatabase:
        """A new database, empty or a copy of `like` (a SQLite file copy, or a PostgreSQL template)."""
        if not postgres_server:
            path = instance / "partsemble.db"
            if like is not None:
                shutil.copyfile(sa.make_url(like.url).database or "", path)
            return cls("sqlite:///" + str(path))
        template = sa.make_url(like.url).database if like is not None else None
        return cls(create_database(postgres_server, "partsemble_e2e", template), on_postgres=True)

    def drop(self) -> None:
        if self.on_postgres:
            drop_database(self.url)

    def read_only_engine(self) -> sa.Engine:
        url = sa.make_url(self.url)
        if url.get_backend_name() == "sqlite":
            return sa.create_engine(f"sqlite:///file:{url.database}?mode=ro&uri=true", poolclass=NullPool)
        return sa.create_engine(url, poolclass=NullPool, connect_args={"options": "-c default_transaction_read_only=on"})


@dataclass
class LiveServer:
    """One running server. `url` has no trailing slash."""

    url: str
    instance: Path
    env: dict[str, str]
    database: ScratchDatabase
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _engine: sa.Engine | None = field(default=None, repr=False)

    # -- process -----------------------------------------------------------------------------
    def cli(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `partsemble <args>` in the server's environment (same database, same sandbox)."""
        return run_cli(self.env, *args, stdin=stdin, check=check)

    def start(self) -> None:
        """Start the server and wait until it answers.

        Raises:
            PortTaken: another process bound the port between free_port() and the server's bind.
        """
        port = self.url.rsplit(":", 1)[1]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [partsemble_executable(), "run", "--host", "127.0.0.1", "--port", port, "--with-threads"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "Address already in use" in self.log(tail=1_000):
                    raise PortTaken(self.url)
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log()}")
            if "Running on" not in self.log(tail=1_000):
                time.sleep(0.05)  # not bound yet: another process on the port must not be taken for this one
                continue
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)  # polling a socket: there is no event to wait for
        raise RuntimeError(f"the server did not answer on {self.url} within {STARTUP_TIMEOUT}s:\n{self.log()}")

    def stop(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def log(self, tail: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-tail:])
        except OSError:
            return "(no log)"

    # -- database, read-only -----------------------------------------------------------------
    def violations(self) -> list[str]:
        """What `partsemble check` finds in the server's database: its own function (find_violations),
        run in this process, which has the app imported already; a CLI process per test spent most of
        its CPU importing it. The CLI itself is tested in tests/ops."""
        from partsemble import create_app
        from partsemble.extensions import db
        from partsemble.lots.check import find_violations

        app = create_app(
            {"TESTING": True, "SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URI": self.database.url, "INSTANCE_PATH": str(self.instance)}
        )
        with app.app_context():
            try:
                return find_violations(db.session)
            finally:
                db.session.remove()
                db.engine.dispose()

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = self.database.read_only_engine()
        return self._engine

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> Sequence[sa.Row[Any]]:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()

    def one(self, sql: str, **params: Any) -> sa.Row[Any]:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).one()

    @contextmanager
    def sandbox(self) -> Iterator[sa.Connection]:
        """The sandbox company's own database (the fake QuickBooks), read-only."""
        path = self.instance / "sandbox.db"
        engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", poolclass=NullPool)
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()


def run_cli(env: Mapping[str, str], *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [partsemble_executable(), *args], env=dict(env), input=stdin, capture_output=True, text=True, timeout=120, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(f"partsemble {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@dataclass(frozen=True)
class Template:
    """A migrated database with the demo business, and the seeded sandbox company beside it."""

    instance: Path
    database: ScratchDatabase
    postgres_server: str


def seed_template(tmp: Path, postgres_server: str) -> Template:
    instance = tmp / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    database = ScratchDatabase.create(instance, postgres_server)
    env = server_environment("http://127.0.0.1:9", instance, database.url)
    try:
        run_cli(env, "db", "upgrade")
        demo = run_cli(env, "demo")
        assert "Sandbox QuickBooks company seeded." in demo.stdout, demo.stdout
    except BaseException:
        database.drop()
        raise
    return Template(instance, database, postgres_server)


def start_server(tmp: Path, template: Template, extra_env: Mapping[str, str] | None = None) -> LiveServer:
    instance = tmp / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template.instance / "sandbox.db", instance / "sandbox.db")
    database = ScratchDatabase.create(instance, template.postgres_server, like=template.database)
    try:
        # A free port is free only until someone binds it: under parallel workers another server
        # can take it first, and then this one starts again on another.
        for attempt in range(PORT_ATTEMPTS):
            url = f"http://127.0.0.1:{free_port()}"
            env = server_environment(url, instance, database.url) | dict(extra_env or {})
            server = LiveServer(url=url, instance=instance, env=env, database=database, log_path=tmp / "server.log")
            try:
                server.start()
                return server
            except PortTaken:
                server.stop()
                if attempt == PORT_ATTEMPTS - 1:
                    raise
            except BaseException:
                server.stop()
                raise
    except BaseException:
        database.drop()
        raise
    raise AssertionError("unreachable: the last attempt returns or raises")
