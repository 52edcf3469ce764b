"""Xero's ids are uuids; the sandbox's objects have numbers. Each uuid here carries its number.

The first 20 hex digits name the kind of object (so an invoice id is never a credit note's),
the last 12 hold the number, so `IDs=` and `/Invoices/<id>` find a row without a lookup table.
"""

from __future__ import annotations

import hashlib
import re

_SHAPE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _prefix(kind: str) -> str:
    digits = hashlib.sha256(f"partsemble-sandbox-xero:{kind}".encode()).hexdigest()
    # A version-4, RFC 4122 variant look: what a client that validates uuids expects.
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-a{digits[17:20]}-"


def xero_id(kind: str, number: int) -> str:
    """The uuid of object `number` of `kind` (Invoice, CreditNote, BankTransaction, Item, Contact, LineItem)."""
    return f"{_prefix(kind)}{number:012x}"


def is_uuid(text: str) -> bool:
    return bool(_SHAPE.match(text.strip().lower()))


def number_of(kind: str, text: str) -> int | None:
    """The number a uuid of `kind` carries, or None when it is not one of ours of that kind."""
    text = text.strip().lower()
    if not is_uuid(text) or not text.startswith(_prefix(kind)):
        return None
    return int(text[-12:], 16)


def line_item_id(kind: str, document: int, line: int) -> str:
    """A stable id for line `line` of a document: the document's number and the line's, side by side."""
    return xero_id(f"{kind}.LineItem", document * 10_000 + line)
