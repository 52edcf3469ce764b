"""Scratch PostgreSQL databases for tests and benchmarks: made on the server the run was given,
optionally as a copy of a template database, and dropped (its connections ended first) after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

END_SESSIONS = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"


@contextmanager
def _admin(url: str | sa.URL) -> Iterator[sa.Connection]:
    # Through the server's maintenance database, as createdb and dropdb do.
    engine = sa.create_engine(sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def create_database(server: str | sa.URL, prefix: str, template: str | None = None, *, end_template_sessions: bool = False) -> str:
    """A new database on `server` named `<prefix>_<random>`, empty or a copy of the database `template`;
    its URL. PostgreSQL copies a template only while no other session is open on it: with
    `end_template_sessions`, any are ended first (pooled connections left behind by a finished step)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with _admin(server) as conn:
        if template and end_template_sessions:
            conn.exec_driver_sql(END_SESSIONS, (template,))
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return sa.make_url(server).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    name = sa.make_url(url).database
    with _admin(url) as conn:
        conn.exec_driver_sql(END_SESSIONS, (name,))
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')


@contextmanager
def scratch_database(
    server: str | sa.URL, prefix: str, template: str | None = None, *, end_template_sessions: bool = False
) -> Iterator[str]:
    url = create_database(server, prefix, template, end_template_sessions=end_template_sessions)
    try:
        yield url
    finally:
        drop_database(url)
