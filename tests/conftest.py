"""Shared fixtures: an app on an empty database per test (SQLite by default, PostgreSQL
when PARTSEMBLE_TEST_DATABASE_URL is set), users of each role, and a logged-in client.
Each worker keeps one database and one engine for its tests and empties it before each
(WorkerDatabase); the app itself is made anew for every test.

Every test that used the database ends with `partsemble check`: the invariants of
the ledger and the sales must hold after every scenario.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, session
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import generate_csrf
from hypothesis import settings
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy.pool import NullPool
from werkzeug.routing import Rule

from partsemble import MIGRATIONS_DIR, bind_migrations, create_app
from partsemble.ops.runtime import tune_garbage_collector
from partsemble.sandbox import SandboxCompany
from partsemble.sandbox.seed import SeedSummary
from tests.scratch import END_SESSIONS, scratch_database

PG_URL = os.environ.get("PARTSEMBLE_TEST_DATABASE_URL", "")

# Two hypothesis profiles, chosen by HYPOTHESIS_PROFILE, else by CI. `ci` (CI=true): the properties
# draw the same examples every run, so a submission is judged on examples that were seen passing.
# `dev`: each run explores new ones (and finds new bugs). Neither has a deadline: a deadline times
# the machine, not the code, and fails examples at random under parallel workers or a loaded box.
# Example counts stay with each property (its @settings), the same in both.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
PASSWORD = "correct horse battery"
tune_garbage_collector()  # as the app's own processes do (partsemble/ops/runtime.py): 15-19 % less CPU here


class SharedTemplateCode(BytecodeCache):
    """Compiled templates kept for every app of the process. The suite makes an app per test, and
    each would compile every template it renders again; Jinja reuses code only for unchanged source."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": SharedTemplateCode()}


# create_app spends nine tenths of its time compiling URL builders: werkzeug writes Python source
# for each rule and compiles it, for every app, and the suite makes an app per test. A builder
# depends only on the rule's text, parts and default names (a rule with a default for one of its
# variables is compiled as usual), and reads the rule it is bound to when called: the function
# compiled for the first app is bound to the same rule of each later one.
_BUILDERS: dict[tuple[object, ...], Callable[..., tuple[str, str]]] = {}
_compile_builder = Rule._compile_builder


def _kept_builder(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
    defaults = self.defaults or {}
    if any(is_dynamic and data in defaults for is_dynamic, data in self._trace):
        return _compile_builder(self, append_unknown)
    key = (self.rule, append_unknown, tuple(self._trace), tuple(defaults))
    if key not in _BUILDERS:
        _BUILDERS[key] = _compile_builder(self, append_unknown)
    return _BUILDERS[key]


Rule._compile_builder = _kept_builder  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "no_invariant_check: the test breaks invariants on purpose")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The long tests (marked slow) first: under `make test`'s parallel workers one of them starts
    at once and the short ones fill the other cores around it, instead of it starting last.

    xdist's worksteal cuts this list into one contiguous chunk per worker and steals from a chunk's
    end, so the first worker runs the slow tests one after another. Spreading them (the crash suite
    and the entry-order property started together, one per worker) was measured slower on 2 cores
    (2026-12-02: 772 s against 558 s): the crash suite runs two syncs, their sandbox and its
    watcher at once and wants both cores; beside the single-threaded property both took twice as
    long. Three workers instead of two: 770 s."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# One pbkdf2 round instead of scrypt (about 0.1 s of CPU a hash, 1,400 of them a run): the suite
# tests what is done with a hash, not its cost. Installations always use scrypt
# (tests/web/test_password_hashing.py proves the default).
TEST_PASSWORD_HASH = "pbkdf2:sha256:1"


def base_config(tmp: Path, url: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH,
        "SECRET_KEY": "partsemble-tests-only-Vq3h8ZkP0xLr2mN9sTbW4yEa7Cd1",
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(tmp / "instance"),
        "SANDBOX_DATABASE_URL": "sqlite:///" + str(tmp / "instance" / "sandbox.db"),
        "QBO_BACKOFF_BASE": "0",
        "QBO_RETRY_BUDGET": "5",
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_LOCKOUT_SECONDS": 900,
    }


def _migrate(url: str, tmp: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(tmp, url))
    bind_migrations(app)
    with app.app_context():
        upgrade(directory=MIGRATIONS_DIR)
        from partsemble.extensions import db

        db.engine.dispose()
    forget_engine(url)


# One engine per worker for the worker's test database, kept from test to test: SQLAlchemy caches
# each statement's compiled form on its engine, and an app made with a fresh engine per test
# compiled every statement again (a third of a small test's time). create_app asks Flask-SQLAlchemy
# for an engine; for a URL registered here it gets the kept one.
_SHARED_URLS: set[str] = set()
_ENGINES: dict[tuple[str, str], sa.Engine] = {}
_make_engine = SQLAlchemy._make_engine


def _kept_engine(self: SQLAlchemy, bind_key: str | None, options: dict[str, Any], app: Flask) -> sa.Engine:
    url = sa.make_url(options["url"]).render_as_string(hide_password=False)
    if url not in _SHARED_URLS:
        return _make_engine(self, bind_key, options, app)
    key = (url, repr(sorted((k, v) for k, v in options.items() if k != "url")))
    if key not in _ENGINES:
        _ENGINES[key] = _make_engine(self, bind_key, options, app)
    return _ENGINES[key]


SQLAlchemy._make_engine = _kept_engine  # type: ignore[method-assign]


def kept_engines(url: str) -> list[sa.Engine]:
    return [engine for (kept, _), engine in _ENGINES.items() if kept == url]


def forget_engine(url: str) -> None:
    """Dispose and drop the kept engines of `url` (a database about to be dropped)."""
    _SHARED_URLS.discard(url)
    for key in [key for key in _ENGINES if key[0] == url]:
        _ENGINES.pop(key).dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated empty database: a SQLite file to copy, or a scratch PostgreSQL database (one per
    xdist worker, as every session fixture), which is also the worker's test database."""
    tmp = tmp_path_factory.mktemp("template")
    if not PG_URL:
        url = "sqlite:///" + str(tmp / "template.db")
        _migrate(url, tmp)
        yield url
        return
    with scratch_database(PG_URL, "partsemble_test") as url:
        _migrate(url, tmp)
        try:
            yield url
        finally:
            forget_engine(url)


def fresh_database(template: str, tmp: Path) -> str:
    """A database of its own for a test that needs one beside the worker's (a SQLite copy of the
    template; on PostgreSQL the template itself, emptied by whoever used it)."""
    if template.startswith("sqlite"):
        source = Path(sa.make_url(template).database or "")
        target = tmp / f"db-{uuid.uuid4().hex[:8]}.db"
        shutil.copy(source, target)
        return "sqlite:///" + str(target)
    return template


def truncate_all(app: Flask) -> None:
    """Empty the app's PostgreSQL database (a SQLite copy is thrown away instead)."""
    from partsemble.extensions import db

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            _truncate(db.engine)


# Every sequence of the schema back to its start, as TRUNCATE ... RESTART IDENTITY leaves them.
RESTART_SEQUENCES = (
    "SELECT setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass, start_value, false) "
    "FROM pg_sequences WHERE schemaname = current_schema()"
)
# Tables with triggers of their own (stock_transactions refuses DELETE: the ledger is append-only).
WITH_TRIGGERS = (
    "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
)
# Tables the planner has counted (ANALYZE, VACUUM or autovacuum since they were made or truncated):
# DELETE would leave the count, TRUNCATE forgets it as a new table would (test_sync_service checks it).
COUNTED = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'r' AND c.reltuples >= 0 AND n.nspname = current_schema()"
)


def _truncate(engine: sa.Engine) -> None:
    """Every table of the schema emptied and its ids restarted, as TRUNCATE ... RESTART IDENTITY
    of them all would leave it. DELETE, children first, on the few rows a test leaves takes
    milliseconds, where TRUNCATE (a new file for each table, flushed to disk) took about a third
    of a second per test. TRUNCATE is kept for a table whose triggers refuse DELETE, when it holds
    rows, and for a table the planner has counted, so that no statistics outlive the rows."""
    from partsemble.extensions import db

    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    for attempt in range(2):
        try:
            with engine.begin() as conn:
                # A connection a test left open in a transaction would hold its rows forever.
                conn.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
                guarded = set(conn.exec_driver_sql(WITH_TRIGGERS).scalars()) & set(tables)
                counted = set(conn.exec_driver_sql(COUNTED).scalars()) & set(tables)
                holding = {name for name in guarded if conn.exec_driver_sql(f'SELECT EXISTS (SELECT FROM "{name}")').scalar()}
                truncated = sorted(holding | counted)
                if truncated:
                    conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{name}"' for name in truncated) + " CASCADE")
                for name in tables:
                    if name not in guarded and name not in counted:
                        conn.exec_driver_sql(f'DELETE FROM "{name}"')
                conn.exec_driver_sql(RESTART_SEQUENCES)
            return
        except sa.exc.OperationalError:
            if attempt:
                raise
            with engine.connect() as conn:  # end whoever holds the lock, then once more
                conn.exec_driver_sql(END_SESSIONS, (engine.url.database,))
                conn.commit()
            engine.dispose()


class WorkerDatabase:
    """The database of this worker's tests: one URL and one kept engine for all of them, made
    empty again before each test by the fastest exact means, not by migrations. SQLite: the
    migrated template's file copied over it (its pooled connections closed first). PostgreSQL:
    every table emptied and its ids restarted (_truncate; the schema is left as migrated).
    tests/integration/test_migrations.py and tests/ops run the real migrations."""

    def __init__(self, template: str, directory: Path) -> None:
        self.template = template
        if template.startswith("sqlite"):
            self.source = Path(sa.make_url(template).database or "")
            self.path: Path | None = directory / "worker.db"
            self.url = "sqlite:///" + str(self.path)
        else:
            self.path = None
            self.url = template
        _SHARED_URLS.add(self.url)

    def fresh(self) -> str:
        """The URL of the database, as empty as the migrated template."""
        if self.path is None:
            engines = kept_engines(self.url)
            if engines:
                _truncate(engines[0])
            else:
                engine = sa.create_engine(self.url, poolclass=NullPool)
                try:
                    _truncate(engine)
                finally:
                    engine.dispose()
            return self.url
        # Connections to the old file go; the compiled statements stay with the engine.
        replace_sqlite_file(self.path, self.source, kept_engines(self.url))
        return self.url


def replace_sqlite_file(target: Path, source: Path, engines: Iterable[sa.Engine] = ()) -> None:
    """Make the SQLite database `target` a copy of `source` (a checkpointed file), after closing
    the pooled connections of `engines` to it. Copied beside it and renamed over it: a connection
    someone leaked keeps the old file, never a half-written one; the old file's WAL goes with it."""
    for engine in engines:
        engine.dispose()
    for stale in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        stale.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    copy = target.with_name(f"{target.name}.{uuid.uuid4().hex[:8]}")
    shutil.copyfile(source, copy)
    os.replace(copy, target)


class DemoCompanies:
    """The sandbox's demo company (SandboxCompany.seed_demo), seeded once per worker and day into a
    file of its own, and copied into the sandbox database of each test that wants it. Seeding is
    deterministic for a day (its stamps come from `today`, none later than now), so a copy holds
    exactly what seeding that database would."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.seeded: dict[date, tuple[Path, SeedSummary]] = {}

    def copy_to(self, url: str, today: date) -> SeedSummary:
        """Put the demo company in the (SQLite) sandbox database at `url`, before anything opens it."""
        if today not in self.seeded:
            path = self.directory / f"demo-{today.isoformat()}.db"
            template = SandboxCompany.open("sqlite:///" + str(path))
            try:
                summary = template.seed_demo(today)
            finally:
                template.close()  # the last connection checkpoints the WAL into the file
            self.seeded[today] = (path, summary)
        path, summary = self.seeded[today]
        replace_sqlite_file(Path(sa.make_url(url).database or ""), path)
        return summary


@pytest.fixture(scope="session")
def demo_companies(tmp_path_factory: pytest.TempPathFactory) -> DemoCompanies:
    return DemoCompanies(tmp_path_factory.mktemp("demo-companies"))


@pytest.fixture(scope="session")
def worker_database(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerDatabase]:
    database = WorkerDatabase(database_template, tmp_path_factory.mktemp("worker"))
    try:
        yield database
    finally:
        forget_engine(database.url)


@pytest.fixture
def db_url(worker_database: WorkerDatabase) -> str:
    return worker_database.fresh()


@pytest.fixture
def app_config(tmp_path: Path, db_url: str) -> dict[str, object]:
    return base_config(tmp_path, db_url)


@pytest.fixture
def app(app_config: dict[str, object], request: pytest.FixtureRequest) -> Iterator[Flask]:
    """The app on an empty database. No app context stays pushed: requests made with the
    test client must get their own, as in production (Flask-Login caches the user in g)."""
    app = create_app(app_config)
    yield app
    from partsemble.extensions import db
    from partsemble.lots.check import find_violations

    try:
        if not request.node.get_closest_marker("no_invariant_check"):
            with app.app_context():
                problems = find_violations(db.session)
            assert problems == [], "partsemble check failed:\n" + "\n".join(problems)
    finally:
        with app.app_context():
            db.session.remove()
            if sa.make_url(db.engine.url).render_as_string(hide_password=False) not in _SHARED_URLS:
                db.engine.dispose()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An application context for calling services directly."""
    from partsemble.extensions import db

    with app.app_context():
        yield app
        db.session.remove()


@dataclass(frozen=True)
class TestUser:
    id: int
    email: str
    role: str
    session_version: int = 1


@pytest.fixture
def users(app: Flask) -> dict[str, TestUser]:
    from partsemble.auth.services import create_user
    from partsemble.extensions import db

    made = {}
    with app.app_context():
        for role in ("admin", "member", "viewer"):
            user = create_user(db.session, f"{role}@example.com", PASSWORD, role, role.title())
            made[role] = TestUser(user.id, user.email, role, user.session_version)
        db.session.remove()
    return made


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Browser:
    """A test client that logs in and sends the CSRF token the way the pages do."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.csrf = ""

    def login(self, email: str, password: str = PASSWORD) -> None:
        page = self.client.get("/login")
        token = CSRF_META.search(page.get_data(as_text=True))
        assert token, "the login page carries a CSRF token"
        response = self.client.post("/login", data={"email": email, "password": password, "csrf_token": token.group(1)})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        self.refresh_token()

    def sign_in(self, user: TestUser) -> None:
        """Logged in as `user` the way a successful login leaves the session, without the login
        requests: for tests about something else (tests/web/test_auth.py goes through /login)."""
        with self.client.application.test_request_context():
            self.csrf = generate_csrf()
            raw = session["csrf_token"]
        with self.client.session_transaction() as cookie:
            cookie.clear()
            cookie.update({"_user_id": f"{user.id}:{user.session_version}", "_fresh": True, "csrf_token": raw})

    def refresh_token(self) -> None:
        page = self.client.get("/settings/")
        page = self.client.get(page.headers.get("Location", "/account/password")) if page.status_code == 302 else page
        token = CSRF_META.search(page.get_data(as_text=True))
        assert token
        self.csrf = token.group(1)

    def get(self, url: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict | None = None, *, htmx: bool = False, csrf: bool = True, **kw):  # type: ignore[no-untyped-def]
        data = dict(data or {})
        headers = dict(kw.pop("headers", {}) or {})
        if csrf:
            if htmx:
                headers["X-CSRFToken"] = self.csrf
            else:
                data.setdefault("csrf_token", self.csrf)
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(url, data=data, headers=headers, **kw)


@pytest.fixture
def browser_for(app: Flask, users: dict[str, TestUser]):  # type: ignore[no-untyped-def]
    def make(role: str | None) -> Browser:
        b = Browser(app.test_client())
        if role:
            b.sign_in(users[role])
        return b

    return make


@pytest.fixture
def member(browser_for) -> Browser:  # type: ignore[no-untyped-def]
    return browser_for("member")


@pytest.fixture
def admin(browser_for) -> Browser:  # type: ignore[no-untyped-def]
    return browser_for("admin")


@pytest.fixture
def viewer(browser_for) -> Browser:  # type: ignore[no-untyped-def]
    return browser_for("viewer")
