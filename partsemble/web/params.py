"""Ids read from query strings and forms, never trusted: junk and out-of-range values are no id;
likewise the page to go back to after a form (`next`)."""

from __future__ import annotations

from urllib.parse import urlsplit

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


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative '//' or '\\'."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    return target
