"""Rows written by the thousand, straight to the driver's executemany.

A re-cost of a busy product rewrites tens of thousands of rows. SQLAlchemy's
executemany builds a parameter dictionary per row through the compiled
statement (half of a 20,000-sale re-cost, profiled); here each column's bind
processor is looked up once and the rows go to the driver as tuples. Values
are converted exactly as the ORM would (scaled integers, UTC datetimes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table

from partsemble.costing.facts import AnySession


def _processors(session: AnySession, table: Table, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    dialect = session.get_bind().dialect
    return [table.c[name].type.bind_processor(dialect) for name in columns]


def _convert(processors: list[Callable[[Any], Any] | None], rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Column by column: one processor call per distinct value in a row (the time stamp is shared)."""
    columns = [list(column) for column in zip(*rows)]
    for index, fn in enumerate(processors):
        if fn is None:
            continue
        column, last, done = columns[index], object(), None
        for i, value in enumerate(column):
            if value is not last:
                last, done = value, (None if value is None else fn(value))
            column[i] = done
    return list(zip(*columns))


def _marker(session: AnySession) -> str:
    return "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"


def insert_rows(session: AnySession, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    mark = _marker(session)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(mark for _ in columns)})"
    session.connection().exec_driver_sql(sql, _convert(_processors(session, table, columns), rows))


def update_rows(session: AnySession, table: Table, columns: Sequence[str], key: str, rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE table SET columns... WHERE key = ?; each row is the new values, then the key."""
    if not rows:
        return
    mark = _marker(session)
    sql = f"UPDATE {table.name} SET {', '.join(f'{name} = {mark}' for name in columns)} WHERE {key} = {mark}"
    session.connection().exec_driver_sql(sql, _convert(_processors(session, table, [*columns, key]), rows))
