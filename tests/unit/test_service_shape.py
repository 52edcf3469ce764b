"""One service shape (STYLE.md habit 13), checked in the source: views parse, call once, render;
they never query, commit or roll back, and services write through `write_transaction`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "partsemble"
VIEWS = sorted([*PACKAGE.glob("*/views.py"), *PACKAGE.glob("*/*_views.py")])

TRANSACTION_CALLS = {"commit", "rollback", "flush", "begin", "begin_nested"}
QUERY_BUILDERS = {"select", "update", "delete", "insert", "text", "exists", "begin_write", "write_transaction"}

# Modules that still begin a write by hand, and why (everything else uses write_transaction).
HAND_WRITTEN_WRITES = {
    # The engine and the context manager themselves.
    "models/engine.py": "defines begin_write",
    "models/transactions.py": "write_transaction is begin_write + commit/rollback",
    # serialize(): a write that holds advisory locks on PostgreSQL; called inside write_transaction.
    # login_locks(): locks taken before a transaction that mostly only reads (logins must not wait for writers).
    "auth/locks.py": "the lock helpers begin the transaction their locks live in",
    # The sync's document loop: documents applied in batches under one write lock with a savepoint
    # each (crash-safety and throughput); a preview applies everything and always rolls back.
    "sync/preview.py": "a preview applies in a transaction it always rolls back",
    "sync/process.py": "documents applied in batches, a savepoint each, committed together",
}


def _problems(path: Path, root: Path = PACKAGE) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TRANSACTION_CALLS:
            found.append(f"{where} calls .{node.func.attr}()")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in QUERY_BUILDERS:
            found.append(f"{where} calls {node.func.id}()")
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "session"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "db"
        ):
            found.append(f"{where} uses db.session.{node.attr} (a view passes db.session to a service, nothing more)")
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            found.append(f"{where} imports from sqlalchemy")
        if isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "sqlalchemy" for alias in node.names):
            found.append(f"{where} imports sqlalchemy")
    return found


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_view_never_queries_commits_or_rolls_back(path: Path) -> None:
    assert _problems(path) == []


def test_every_views_module_is_checked() -> None:
    assert len(VIEWS) >= 10 and PACKAGE / "sales" / "manual_views.py" in VIEWS


def test_the_guard_catches_a_view_that_queries_and_rolls_back(tmp_path: Path) -> None:
    bad = tmp_path / "partsemble" / "things" / "views.py"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "from sqlalchemy import select\n\ndef page():\n    thing = db.session.get(Thing, 1)\n"
        "    db.session.rollback()\n    return select(Thing)\n"
    )
    problems = _problems(bad, tmp_path)
    assert {p.split(" ", 1)[1] for p in problems} == {
        "imports from sqlalchemy",
        "uses db.session.get (a view passes db.session to a service, nothing more)",
        "calls .rollback()",
        "uses db.session.rollback (a view passes db.session to a service, nothing more)",
        "calls select()",
    }


def test_only_the_listed_modules_begin_a_write_by_hand() -> None:
    """A service writes `with write_transaction(session):`; a new hand-written begin_write needs a reason here."""
    beginning = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "begin_write":
                beginning.add(str(path.relative_to(PACKAGE)))
    assert beginning <= set(HAND_WRITTEN_WRITES), sorted(beginning - set(HAND_WRITTEN_WRITES))


# Where the request's db.session may be named: the web edge hands it to services and queries,
# which take the session as their first argument (STYLE.md habit 13). Everything else gets one.
SESSION_EDGE = {
    "auth/loader.py": "Flask-Login's user loader runs per request, before any view",
    "auth/login_time.py": "writes a login's time for the login view, or from its own thread",
    "web/errors.py": "the error handler rolls back what a failed request left open",
    "web/filters.py": "template filters read the display settings once per request",
    "connections/source.py": "the factory sync_now calls with the configuration only",
    "cli_commands.py": "command-line entry points are an edge like views",
    "demo.py": "the demo loader is a command-line entry point",
}


def _names_db_session(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr == "session" and isinstance(node.value, ast.Name) and node.value.id == "db":
            return True
    return False


def test_queries_and_services_take_the_session_they_are_given() -> None:
    naming = set()
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if path in VIEWS or relative.parts[0] == "sandbox":  # the sandbox is its own app with its own database
            continue
        if _names_db_session(path):
            naming.add(str(relative))
    assert naming <= set(SESSION_EDGE), sorted(naming - set(SESSION_EDGE))
    assert set(SESSION_EDGE) <= naming, sorted(set(SESSION_EDGE) - naming)  # the list holds no stale excuse


def test_the_session_guard_sees_db_session_in_a_query_module(tmp_path: Path) -> None:
    query = tmp_path / "queries.py"
    query.write_text("def totals():\n    return db.session.scalar(q)\n")
    assert _names_db_session(query)
    query.write_text("def totals(session):\n    return session.scalar(q)\n")
    assert not _names_db_session(query)
