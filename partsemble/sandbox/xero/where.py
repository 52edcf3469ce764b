"""The part of Xero's `where` filter a sales sync uses, parsed strictly.

    Type=="ACCREC" AND Date >= DateTime(2026,1,1) AND Date <= DateTime(2026, 3, 31)
    Status=="AUTHORISED"

Conditions joined by AND (or &&); fields Type, Status (== or !=) and Date (==, !=, <, <=, >,
>=, against DateTime(y,m,d) or DateTime(y,m,d,h,m,s)). Anything else is refused with a
ValidationException, as Xero refuses a filter it cannot read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
_TOKEN = re.compile(
    r"\s*(?:(?P<and>AND\b|&&)|(?P<field>[A-Za-z][A-Za-z.]*)\s*(?P<op>==|!=|<=|>=|<|>)\s*"
    r'(?:"(?P<text>[^"]*)"|DateTime\(\s*(?P<dt>\d+(?:\s*,\s*\d+){2,5})\s*\)))',
    re.IGNORECASE,
)
_FIELDS = {"type": "Type", "status": "Status", "date": "Date"}


class WhereError(ValueError):
    """The where clause is not one the sandbox (and the sync) understands."""


@dataclass(frozen=True)
class Condition:
    field: str  # Type, Status or Date
    operator: str
    value: str | date

    def test(self, values: dict[str, str | date]) -> bool:
        compare: dict[str, Callable[[object, object], bool]] = {
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<": lambda a, b: a < b,  # type: ignore[operator]
            "<=": lambda a, b: a <= b,  # type: ignore[operator]
            ">": lambda a, b: a > b,  # type: ignore[operator]
            ">=": lambda a, b: a >= b,  # type: ignore[operator]
        }
        return compare[self.operator](values[self.field], self.value)


def parse_where(text: str) -> list[Condition]:
    """The conditions of a where clause, all of which must hold.

    Raises:
        WhereError: it names an unknown field, an operator the field does not take, a bad
            DateTime, an OR, or anything else outside the subset.
    """
    conditions: list[Condition] = []
    position, expect_condition = 0, True
    text = text.strip()
    if not text:
        raise WhereError("The where clause is empty")
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise WhereError(f"The where clause could not be read at: {text[position : position + 30]!r}")
        if match.group("and"):
            if expect_condition:
                raise WhereError("AND must join two conditions")
            expect_condition = True
        else:
            if not expect_condition:
                raise WhereError("Conditions must be joined with AND")
            conditions.append(_condition(match))
            expect_condition = False
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    if expect_condition:
        raise WhereError("The where clause ends with AND")
    return conditions


def _condition(match: re.Match[str]) -> Condition:
    name = match.group("field")
    field = _FIELDS.get(name.lower())
    if field is None:
        raise WhereError(f"No property or field '{name}' exists")
    operator = match.group("op")
    if field == "Date":
        if match.group("dt") is None:
            raise WhereError("Date must be compared with DateTime(year, month, day)")
        parts = [int(part) for part in match.group("dt").split(",")]
        try:
            day = date(parts[0], parts[1], parts[2])
        except ValueError as exc:
            raise WhereError(f"DateTime({match.group('dt')}) is not a valid date") from exc
        if any(parts[3:]):
            # The sandbox's documents are dated by day; a time of day would say nothing the sync needs.
            raise WhereError("Date is compared by day: DateTime(year, month, day)")
        return Condition("Date", operator, day)
    if match.group("text") is None:
        raise WhereError(f"{field} must be compared with a quoted string")
    if operator not in ("==", "!="):
        raise WhereError(f"Operator '{operator}' is not valid for {field}")
    return Condition(field, operator, match.group("text"))
