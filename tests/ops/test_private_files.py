"""The files the app creates (SQLite database and its WAL files, env file, backups) are owner-only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from partsemble import create_app


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def umask(value: int) -> Iterator[None]:
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize("sandbox", [False, True])
def test_a_new_sqlite_database_and_its_wal_files_are_owner_only_whatever_the_umask(tmp_path, sandbox) -> None:  # type: ignore[no-untyped-def]
    from partsemble.extensions import db

    instance = tmp_path / "instance"
    database = instance / "partsemble.db"
    sandbox_db = instance / "sandbox.db"
    with umask(0o022):  # the usual default, which would make them 0644
        app = create_app(
            {
                "TESTING": True,
                "INSTANCE_PATH": str(instance),
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                "SANDBOX": sandbox,
                "SANDBOX_DATABASE_URL": f"sqlite:///{sandbox_db}",
            }
        )
        with app.app_context():
            with db.engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            wal_files = [Path(str(database) + suffix) for suffix in ("-wal", "-shm")]
            assert all(p.exists() for p in wal_files)  # WAL mode, connection open: both exist now
            assert [mode(p) for p in [database, *wal_files]] == [0o600, 0o600, 0o600]
            db.engine.dispose()
    assert mode(instance) == 0o700
    assert sandbox_db.exists() is sandbox and (not sandbox or mode(sandbox_db) == 0o600)


def test_an_existing_database_keeps_the_mode_its_admin_gave_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = tmp_path / "shared.db"
    database.write_bytes(b"")
    database.chmod(0o640)
    create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    assert mode(database) == 0o640
