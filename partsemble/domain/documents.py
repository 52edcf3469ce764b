"""Sales documents as every connector hands them over: frozen, typed, Decimal.

Nothing past a connector knows an accounting system's JSON; it sees these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class DocumentType(StrEnum):
    INVOICE = "Invoice"
    SALES_RECEIPT = "SalesReceipt"
    CREDIT_MEMO = "CreditMemo"
    MANUAL = "ManualSale"

    @property
    def is_credit(self) -> bool:
        return self is DocumentType.CREDIT_MEMO


SYNCED_DOCUMENT_TYPES = (DocumentType.INVOICE, DocumentType.SALES_RECEIPT, DocumentType.CREDIT_MEMO)


class DocumentStatus(StrEnum):
    ACTIVE = "active"
    VOIDED = "voided"
    # Not a sale yet (a Xero draft, or one awaiting approval): never costed nor recorded; a sale
    # already applied that is sent back to draft is reversed like a void.
    DRAFT = "draft"


class LineKind(StrEnum):
    ITEM = "item"  # a sales item line: item, quantity, amount
    DESCRIPTION = "description"  # text only
    SUBTOTAL = "subtotal"  # read-only subtotal
    OTHER = "other"  # a kind we do not know: never revenue, never stock


@dataclass(frozen=True)
class CustomerRef:
    id: str
    name: str


@dataclass(frozen=True)
class DocumentLine:
    line_id: str
    kind: LineKind
    item_id: str | None = None
    item_name: str = ""
    description: str = ""
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    # Extended amount in the document currency, tax excluded.
    amount: Decimal = Decimal(0)
    # Name of the bundle this line was expanded from, if any.
    group_name: str = ""


@dataclass(frozen=True)
class Discount:
    """A document-level discount; amount is positive and subtracted."""

    amount: Decimal
    percent: Decimal | None = None


@dataclass(frozen=True)
class SalesDocument:
    type: DocumentType
    id: str
    version: str
    number: str
    txn_date: date
    customer: CustomerRef
    lines: tuple[DocumentLine, ...]
    discounts: tuple[Discount, ...] = ()
    status: DocumentStatus = DocumentStatus.ACTIVE
    currency: str = ""
    exchange_rate: Decimal = Decimal(1)
    total_amount: Decimal = Decimal(0)
    private_note: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # The payload as received, for diagnostics only: no rule reads it.
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.type), self.id)


@dataclass(frozen=True)
class Deletion:
    """A document removed upstream (a CDC tombstone, or missing from an Id comparison)."""

    type: DocumentType
    id: str
    deleted_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.type), self.id)


@dataclass(frozen=True)
class ItemRecord:
    """An item of the accounting system."""

    id: str
    name: str
    type: str  # Inventory, NonInventory, Service, Group, Category
    active: bool = True
    sku: str | None = None


@dataclass(frozen=True)
class DocumentProblem:
    """A document that cannot be read: it fails alone, with a reason the user can act on."""

    type: DocumentType
    id: str
    number: str
    customer_name: str
    txn_date: date | None
    message: str
    raw: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)
