"""`partsemble backup`: a consistent copy of a SQLite database, taken while the app runs."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from partsemble.ops.files import sqlite_path, write_private_file


class BackupError(RuntimeError):
    """No backup was written; the message says why and what to do instead."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    sales: int


def backup_database(database_uri: str, instance: str, target: Path) -> BackupResult:
    """Copy the SQLite database at `database_uri` to `target` (a new file, mode 0600), verified.

    SQLite's online backup copies every page in one step under a read transaction; in WAL
    mode that neither blocks the app's writers nor sees half of a sync's transaction, so the
    copy is the database as of one commit. The copy is checked with `PRAGMA integrity_check`
    and switched out of WAL mode, so it is one self-contained file.

    Raises:
        BackupError: the database is not SQLite (use pg_dump), it does not exist, the
            target exists, or the copy failed its integrity check.
    """
    source_path = sqlite_path(database_uri, instance)
    if source_path is None:
        backend = sa.make_url(database_uri).get_backend_name()
        if backend == "postgresql":
            raise BackupError(
                "The database is PostgreSQL: back it up with pg_dump, e.g. "
                "`pg_dump -Fc partsemble > partsemble-$(date +%F).dump` (README, Backup)."
            )
        raise BackupError(f"Only SQLite databases can be backed up by Partsemble itself, not {backend}.")
    if not source_path.is_file():
        raise BackupError(f"There is no database at {source_path}.")
    if target.exists():
        raise BackupError(f"{target} exists; choose a new name (a backup never overwrites a file).")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # Created 0600 before SQLite writes a page into it: the copy holds the whole business
    # and the encrypted tokens, like the original.
    write_private_file(partial, b"", exclusive=True)
    try:
        sales = _copy(source_path, partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(target, target.stat().st_size, sales)


def _copy(source_path: Path, target: Path) -> int:
    # Not opened with mode=ro: a read-only connection to a WAL database fails when the app is
    # stopped and its -shm file is gone. The backup only reads; it never writes the source.
    source = sqlite3.connect(source_path)
    destination = sqlite3.connect(target)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(destination)  # pages=-1: all at once, one snapshot
        destination.execute("PRAGMA journal_mode=DELETE")
        verdict = destination.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"The copy failed SQLite's integrity check ({verdict}); the database itself may be damaged.")
        return int(destination.execute("SELECT count(*) FROM sales").fetchone()[0])
    finally:
        destination.close()
        source.close()
