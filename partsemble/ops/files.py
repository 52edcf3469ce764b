"""Files the app creates hold secrets or the whole business: only their owner may read them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def sqlite_path(database_uri: str, instance: str) -> Path | None:
    """The file behind a SQLite URI (relative paths resolved as Flask-SQLAlchemy does); None otherwise."""
    url = sa.make_url(database_uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or url.database.startswith("file:"):
        return None
    path = Path(url.database)
    return path if path.is_absolute() else Path(instance) / path


def create_private_folder(path: Path) -> None:
    """Make `path` (and its parents) if missing; a folder made here is owner-only."""
    if not path.is_dir():
        path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)


def create_private_files(config: Mapping[str, Any], instance: str) -> None:
    """The instance folder and empty SQLite files, created owner-only before SQLite opens them.

    SQLite creates a missing database with the process umask (usually 0644, readable by
    every user on the server) and gives its -wal and -shm files the database file's own
    mode, so creating the empty file 0600 first is enough for all three. Existing files
    are left as they are: the admin may have chosen otherwise, and `partsemble doctor`
    reports a database others can read.
    """
    create_private_folder(Path(instance))
    uris = [config.get("SQLALCHEMY_DATABASE_URI") or ""]
    if config.get("SANDBOX"):
        uris.append(config.get("SANDBOX_DATABASE_URL") or "")
    for uri in filter(None, uris):
        path = sqlite_path(uri, instance)
        if path is not None and not path.exists():
            create_private_folder(path.parent)
            write_private_file(path, b"", exclusive=True)


def write_private_file(path: Path, content: bytes, *, exclusive: bool) -> None:
    """Write `content` to a file created 0600 (never briefly readable by others).

    Raises:
        FileExistsError: `exclusive` and the file exists.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out:
        os.fchmod(fd, PRIVATE_FILE)  # O_CREAT's mode does not apply to a file that already existed
        out.write(content)


def readable_by_others(path: Path) -> bool:
    return path.exists() and bool(path.stat().st_mode & 0o077)
