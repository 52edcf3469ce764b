"""The sandbox's HTML forms: what was typed (kept as text for redisplay) and what it means.

Field names are documented in `ui_documents` and `ui_catalog`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from partsemble.sandbox import entities
from partsemble.sandbox.payloads import LineInput
from partsemble.sandbox.revisions import draft_from_payload

BLANK_LINES = 3
MAX_LINES = 40


def _decimal(text: str, label: str, errors: list[str], *, required: bool = False) -> Decimal | None:
    text = text.strip()
    if not text:
        if required:
            errors.append(f"{label} is required.")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.append(f"{label} must be a number, not {text!r}.")
        return None
    if not value.is_finite():
        errors.append(f"{label} must be a number.")
        return None
    return value


@dataclass(frozen=True)
class LineRow:
    item_id: str = ""
    qty: str = ""
    unit_price: str = ""
    description: str = ""
    amount: str = ""


@dataclass(frozen=True)
class DocumentForm:
    entity: str
    customer_id: str = ""
    txn_date: str = ""
    doc_number: str = ""
    private_note: str = ""
    lines: tuple[LineRow, ...] = field(default=())

    @classmethod
    def blank(cls, entity: str, today: date) -> DocumentForm:
        return cls(entity=entity, txn_date=today.isoformat(), lines=tuple(LineRow() for _ in range(BLANK_LINES + 2)))

    @classmethod
    def from_payload(cls, entity: str, payload: Mapping[str, Any]) -> DocumentForm:
        draft = draft_from_payload(payload)
        rows = tuple(
            LineRow(
                line.item_id or "",
                "" if line.qty is None else str(line.qty),
                "" if line.unit_price is None else str(line.unit_price),
                line.description or "",
                "" if line.amount is None else str(line.amount),
            )
            for line in draft.lines
        )
        return cls(
            entity,
            draft.customer_id,
            draft.txn_date.isoformat(),
            draft.doc_number or "",
            draft.private_note,
            rows + tuple(LineRow() for _ in range(BLANK_LINES)),
        )

    @classmethod
    def from_request(cls, entity: str, form: Mapping[str, str]) -> DocumentForm:
        rows = []
        for index in range(MAX_LINES):
            prefix = f"line-{index}-"
            if prefix + "item" not in form:
                break
            rows.append(LineRow(*(form.get(prefix + name, "").strip() for name in ("item", "qty", "unit_price", "description", "amount"))))
        return cls(
            entity,
            form.get("customer_id", "").strip(),
            form.get("txn_date", "").strip(),
            form.get("doc_number", "").strip(),
            form.get("private_note", "").strip(),
            tuple(rows),
        )

    def parse(self) -> tuple[dict[str, Any], list[str]]:
        """Keyword arguments for create_document/update_document, and the errors found."""
        errors: list[str] = []
        if self.entity not in entities.TRANSACTIONS:
            errors.append("Choose Invoice, SalesReceipt or CreditMemo.")
        if not self.customer_id:
            errors.append("Choose a customer.")
        try:
            txn_date = date.fromisoformat(self.txn_date)
        except ValueError:
            errors.append("Date must be a date (YYYY-MM-DD).")
            txn_date = date.today()
        lines = []
        for number, row in enumerate(self.lines, start=1):
            if not row.item_id and not row.description:
                continue
            label = f"Line {number}"
            qty = _decimal(row.qty, f"{label} quantity", errors) if row.item_id else None
            price = _decimal(row.unit_price, f"{label} unit price", errors)
            amount = _decimal(row.amount, f"{label} amount", errors)
            lines.append(LineInput(row.item_id or None, qty, price, row.description or None, amount))
        if not any(line.item_id for line in lines):
            errors.append("Add at least one line with an item.")
        fields = {
            "customer_id": self.customer_id,
            "txn_date": txn_date,
            "lines": lines,
            "doc_number": self.doc_number or None,
            "private_note": self.private_note,
        }
        return fields, errors


@dataclass(frozen=True)
class ItemForm:
    name: str = ""
    sku: str = ""
    type: str = "Inventory"
    unit_price: str = "0"
    active: bool = True

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ItemForm:
        return cls(
            payload["Name"],
            payload.get("Sku", ""),
            payload.get("Type", "Inventory"),
            str(payload.get("UnitPrice", "0")),
            bool(payload.get("Active", True)),
        )

    @classmethod
    def from_request(cls, form: Mapping[str, str]) -> ItemForm:
        return cls(
            form.get("name", "").strip(),
            form.get("sku", "").strip(),
            form.get("type", "").strip(),
            form.get("unit_price", "").strip() or "0",
            form.get("active") == "1",
        )

    def parse(self) -> tuple[dict[str, Any], list[str]]:
        """Fields for ItemDraft (create) or update_item (edit), and the errors found."""
        errors: list[str] = []
        if not self.name:
            errors.append("Name is required.")
        if len(self.name) > 100:
            errors.append("Name must be at most 100 characters.")
        if self.type not in entities.ITEM_TYPES:
            errors.append(f"Type must be one of {', '.join(entities.ITEM_TYPES)}.")
        price = _decimal(self.unit_price, "Unit price", errors) or Decimal("0")
        return {"name": self.name, "sku": self.sku or None, "type": self.type, "unit_price": price, "active": self.active}, errors
