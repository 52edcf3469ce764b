"""Sortable tables, sorted on the server: a table's columns, the `sort` and `dir` query
parameters read without trust, the SQL ORDER BY (or the Python order) they ask for, and
the header links that ask for another order while keeping the other query parameters.

Every sort is stable: ties fall back to the table's tie-breakers (an id at the end), and
rows without a value (NULL, None) come last whichever the direction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import url_for
from sqlalchemy import func

ASC, DESC = "asc", "desc"
Row = TypeVar("Row")


@dataclass(frozen=True)
class Column:
    """One sortable column: its heading and how its values compare.

    `sql` is what a query orders by (an expression or a tuple of them); `key` gives a row's
    value for lists sorted in Python. Text compares case-insensitively and opens A to Z;
    numbers and dates open largest (newest) first.
    """

    label: str
    sql: Any = None
    key: Callable[[Any], Any] | None = None
    text: bool = False
    nullable: bool = False  # only then does the SQL say NULLS LAST (an index keeps serving the others)

    @property
    def opens_descending(self) -> bool:
        return not self.text


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool

    @property
    def direction(self) -> str:
        return DESC if self.descending else ASC


@dataclass(frozen=True)
class SortLink:
    key: str
    label: str
    href: str
    aria_sort: str  # ascending, descending or none

    @property
    def arrow(self) -> str:
        return {"ascending": " ↑", "descending": " ↓"}.get(self.aria_sort, "")


@dataclass(frozen=True)
class SortableTable:
    """The columns of one table, its default order and the names of its two query parameters."""

    columns: Mapping[str, Column]
    default: str
    default_descending: bool
    sort_param: str = "sort"
    dir_param: str = "dir"
    page_param: str = "page"

    def parse(self, args: Mapping[str, str]) -> Sort:
        """The order asked for; an unknown column is the default order, an unknown direction the column's own."""
        key = args.get(self.sort_param, "")
        if key not in self.columns:
            return Sort(self.default, self.default_descending)
        direction = args.get(self.dir_param, "")
        if direction in (ASC, DESC):
            return Sort(key, direction == DESC)
        if key == self.default:
            return Sort(key, self.default_descending)
        return Sort(key, self.columns[key].opens_descending)

    def query_args(self, sort: Sort) -> dict[str, str]:
        """The parameters that ask for this order again (for the pager, forms and CSV links)."""
        return {self.sort_param: sort.key, self.dir_param: sort.direction}

    def links(self, sort: Sort, endpoint: str, args: Mapping[str, str], anchor: str | None = None) -> dict[str, SortLink]:
        """A header link per column, in column order: the current column flips its direction,
        the others open in their own. Other parameters in `args` are kept, except the page:
        a new order starts at page 1."""
        kept = {k: v for k, v in args.items() if k not in (self.sort_param, self.dir_param, self.page_param)}
        links = {}
        for key, column in self.columns.items():
            if key == sort.key:
                descending, aria = not sort.descending, ("descending" if sort.descending else "ascending")
            else:
                descending, aria = column.opens_descending, "none"
            href = url_for(endpoint, _anchor=anchor, **kept, **self.query_args(Sort(key, descending)))
            links[key] = SortLink(key, column.label, href, aria)
        return links

    def order_by(self, sort: Sort, *tiebreakers: Any) -> list[Any]:
        """ORDER BY terms for `sort`, then the tie-breakers in the same direction."""
        column = self.columns[sort.key]
        expressions = column.sql if isinstance(column.sql, tuple) else (column.sql,)
        terms = []
        for expression in expressions:
            value = func.lower(expression) if column.text else expression
            term = value.desc() if sort.descending else value.asc()
            terms.append(term.nulls_last() if column.nullable else term)
        terms.extend(t.desc() if sort.descending else t.asc() for t in tiebreakers)
        return terms

    def sort_rows(self, rows: Iterable[Row], sort: Sort, tie: Callable[[Row], Any]) -> list[Row]:
        """Rows in the order of `sort`; ties keep the order of `tie` (ascending both ways),
        rows without a value go last."""
        column = self.columns[sort.key]
        assert column.key is not None, f"column {sort.key} has no key to sort rows in Python"
        value = column.key

        def key(row: Row) -> Any:
            found = value(row)
            return found.casefold() if column.text and isinstance(found, str) else found

        ordered = sorted(rows, key=tie)
        present = [r for r in ordered if value(r) is not None]
        missing = [r for r in ordered if value(r) is None]
        return sorted(present, key=key, reverse=sort.descending) + missing
