"""Ids read from query strings and forms, never trusted: junk and out-of-range values are no id."""
from __future__ import annotations

# Primary keys are 32-bit integers on PostgreSQL; SQLite refuses anything past 64 bits outright.
MAX_ID = 2**31 - 1


def record_id(raw: object) -> int | None:
    """A positive row id from request text; None for anything else.

    `str.isdigit` alone is not enough: it accepts digits such as '²' that int() refuses.
    """
    text = str(raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def searchable(raw: str) -> str:
    """Search text without control characters (PostgreSQL refuses NUL even in a LIKE pattern)."""
    return "".join(ch for ch in raw if ch >= " " and ch != "\x7f")
