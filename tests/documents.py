"""Hand-built sales documents for rule tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from partsemble.domain.documents import (
    CustomerRef,
    Discount,
    DocumentLine,
    DocumentStatus,
    DocumentType,
    LineKind,
    SalesDocument,
)


def line(
    item: str | None, quantity: str | None, amount: str, *, name: str = "", kind: LineKind = LineKind.ITEM, price: str | None = None
) -> DocumentLine:
    q = None if quantity is None else Decimal(quantity)
    unit = Decimal(price) if price is not None else (Decimal(amount) / q if q else None)
    return DocumentLine(
        line_id="",
        kind=kind,
        item_id=item,
        item_name=name or (f"Item {item}" if item else ""),
        quantity=q,
        unit_price=unit,
        amount=Decimal(amount),
    )


def doc(
    doc_id: str,
    lines: list[DocumentLine],
    *,
    doc_type: DocumentType = DocumentType.INVOICE,
    version: str = "0",
    day: date = date(2026, 2, 1),
    customer: tuple[str, str] = ("C1", "Acme Stores"),
    discounts: tuple[str, ...] = (),
    status: DocumentStatus = DocumentStatus.ACTIVE,
    currency: str = "USD",
    rate: str = "1",
    number: str | None = None,
) -> SalesDocument:
    return SalesDocument(
        type=doc_type,
        id=doc_id,
        version=version,
        number=number or f"{doc_type.value[:3].upper()}-{doc_id}",
        txn_date=day,
        customer=CustomerRef(*customer),
        lines=tuple(lines),
        discounts=tuple(Discount(Decimal(d)) for d in discounts),
        status=status,
        currency=currency,
        exchange_rate=Decimal(rate),
        total_amount=sum((l.amount for l in lines), Decimal(0)),
    )
