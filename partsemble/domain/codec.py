"""Documents to and from plain JSON-able mappings, exactly (decimals as strings)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from partsemble.domain.documents import (
    CustomerRef,
    Deletion,
    Discount,
    DocumentLine,
    DocumentProblem,
    DocumentStatus,
    DocumentType,
    LineKind,
    SalesDocument,
)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _dt(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _undt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def encode(record: SalesDocument | DocumentProblem | Deletion) -> dict[str, Any]:
    if isinstance(record, SalesDocument):
        return {
            "record": "document",
            "type": str(record.type),
            "id": record.id,
            "version": record.version,
            "number": record.number,
            "txn_date": record.txn_date.isoformat(),
            "customer": [record.customer.id, record.customer.name],
            "lines": [
                [
                    line.line_id,
                    str(line.kind),
                    line.item_id,
                    line.item_name,
                    line.description,
                    _dec(line.quantity),
                    _dec(line.unit_price),
                    str(line.amount),
                    line.group_name,
                ]
                for line in record.lines
            ],
            "discounts": [[str(d.amount), _dec(d.percent)] for d in record.discounts],
            "status": str(record.status),
            "currency": record.currency,
            "exchange_rate": str(record.exchange_rate),
            "total_amount": str(record.total_amount),
            "private_note": record.private_note,
            "created_at": _dt(record.created_at),
            "updated_at": _dt(record.updated_at),
        }
    if isinstance(record, DocumentProblem):
        return {
            "record": "problem",
            "type": str(record.type),
            "id": record.id,
            "number": record.number,
            "customer_name": record.customer_name,
            "txn_date": record.txn_date.isoformat() if record.txn_date else None,
            "message": record.message,
        }
    return {
        "record": "deletion",
        "type": str(record.type),
        "id": record.id,
        "deleted_at": _dt(record.deleted_at),
    }


def decode(data: dict[str, Any]) -> SalesDocument | DocumentProblem | Deletion:
    kind = data["record"]
    doc_type = DocumentType(data["type"])
    if kind == "document":
        return SalesDocument(
            type=doc_type,
            id=data["id"],
            version=data["version"],
            number=data["number"],
            txn_date=date.fromisoformat(data["txn_date"]),
            customer=CustomerRef(*data["customer"]),
            lines=tuple(
                DocumentLine(
                    line_id=line[0],
                    kind=LineKind(line[1]),
                    item_id=line[2],
                    item_name=line[3],
                    description=line[4],
                    quantity=_undec(line[5]),
                    unit_price=_undec(line[6]),
                    amount=Decimal(line[7]),
                    group_name=line[8],
                )
                for line in data["lines"]
            ),
            discounts=tuple(Discount(Decimal(a), _undec(p)) for a, p in data["discounts"]),
            status=DocumentStatus(data["status"]),
            currency=data["currency"],
            exchange_rate=Decimal(data["exchange_rate"]),
            total_amount=Decimal(data["total_amount"]),
            private_note=data["private_note"],
            created_at=_undt(data["created_at"]),
            updated_at=_undt(data["updated_at"]),
        )
    if kind == "problem":
        return DocumentProblem(
            type=doc_type,
            id=data["id"],
            number=data["number"],
            customer_name=data["customer_name"],
            txn_date=date.fromisoformat(data["txn_date"]) if data["txn_date"] else None,
            message=data["message"],
        )
    return Deletion(type=doc_type, id=data["id"], deleted_at=_undt(data["deleted_at"]))
