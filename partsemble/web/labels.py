"""The words people read for the machine values stored and exported (document types, statuses,
ledger types, problem codes). CSV and JSON keep the machine values; screens show these."""

from __future__ import annotations

from partsemble.models.sales import SALE_TYPE_LABELS
from partsemble.sync.summary import outcome_words

DOCUMENT_TYPES = SALE_TYPE_LABELS

STATUSES = {
    # sales
    "active": "Active",
    "voided": "Voided",
    "deleted": "Deleted",
    # lots
    "exhausted": "Used up",
    # sync runs
    "running": "Running",
    "succeeded": "Succeeded",
    "failed": "Failed",
}

LEDGER_TYPES = {
    "RECEIVE": "Received",
    "SALE": "Sold",
    "SALE_REVERSAL": "Sale reversed",
    "RETURN": "Returned",
    "RETURN_REVERSAL": "Return reversed",
    "LOT_ADJUSTMENT": "Adjusted",
    "LOT_VOID": "Lot voided",
    "RECOST": "Re-costed",
    "SETTLE": "Shortfall settled",
    "REVALUE": "Return revalued",
}

PROBLEM_CODES = {
    "item_not_linked": "Item not linked to a product",
    "item_unknown": "Item not found in QuickBooks",
    "item_unreadable": "Item could not be read",
    "missing_quantity": "Line without a quantity",
    "too_large": "Amount or quantity too large",
    "closed_period": "Dated in the closed period",
    "malformed": "Document could not be read",
    "internal": "Internal error (logged)",
}

REVISION_ACTIONS = {
    "created": "Created",
    "updated": "Changed",
    "voided": "Voided",
    "deleted": "Deleted",
    "recosted": "Re-costed",
}


def run_outcome(status: str, errors: int, message: str = "") -> str:
    """A sync run's outcome in the words of the Sales page: Finished, Finished with N problems, Stopped: <reason>."""
    return outcome_words(status, errors, message)


def _humanize(value: str) -> str:
    """A value with no label yet still reads as words, not as an identifier."""
    text = value.replace("_", " ").strip().lower()
    return text[:1].upper() + text[1:]


def label(table: dict[str, str], value: object) -> str:
    text = "" if value is None else str(value)
    return table.get(text) or _humanize(text)
