"""Manual sales: recorded in Partsemble, costed by the same code as synced documents."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from partsemble.costing import ApplyContext, apply_document, apply_removal
from partsemble.domain.documents import CustomerRef, DocumentLine, DocumentType, LineKind, SalesDocument
from partsemble.domain.money import money
from partsemble.domain.numbers import show_number
from partsemble.domain.sale_plan import MAX_LINE_AMOUNT, MAX_LINE_QUANTITY, ItemLink
from partsemble.lots.services import refuse_closed
from partsemble.models.base import utcnow
from partsemble.models.catalog import Product
from partsemble.models.sales import Sale
from partsemble.models.settings import read_preferences
from partsemble.models.transactions import AnySession, write_transaction
from partsemble.validation import InputError, parse_date, parse_decimal, parse_text

MAX_LINES = 50


@dataclass(frozen=True)
class ManualLine:
    product_id: int
    quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class ManualSaleInput:
    txn_date: date
    reference: str
    customer: str
    notes: str
    lines: tuple[ManualLine, ...]


def parse_manual_sale(
    session: AnySession,
    txn_date: object,
    reference: object,
    customer: object,
    notes: object,
    lines: Sequence[tuple[object, object, object]],
) -> ManualSaleInput:
    """Validate a manual sale; blank line rows are ignored.

    Raises:
        InputError: naming the field (lines as lines-N-quantity and so on).
    """
    day = parse_date(txn_date, "txn_date", "Date", not_after=date.today())
    refuse_closed(session, day, "txn_date", "The sale")
    mark = read_preferences(session).decimal_mark
    parsed: list[ManualLine] = []
    for index, (product_id, quantity, price) in enumerate(lines[:MAX_LINES]):
        if not str(product_id or "").strip() and not str(quantity or "").strip() and not str(price or "").strip():
            continue
        prefix = f"lines-{index}-"
        if not str(product_id or "").strip().isdigit() or int(str(product_id)) == 0:
            raise InputError("Choose a finished good.", prefix + "product_id")
        product = session.get(Product, int(str(product_id)))
        if product is None or product.type != "finished_good" or not product.active:
            raise InputError("Choose an active finished good.", prefix + "product_id")
        qty = parse_decimal(
            quantity, prefix + "quantity", "Quantity", places=4, mark=mark, strictly_positive=True, maximum=MAX_LINE_QUANTITY
        )
        unit = parse_decimal(price, prefix + "unit_price", "Unit price", places=6, mark=mark, currency=True, minimum=Decimal(0))
        if qty * unit > MAX_LINE_AMOUNT:
            raise InputError(
                f"Unit price: {str(price).strip()[:40]!r} × quantity {str(quantity).strip()[:40]!r} is too large "
                f"(at most {show_number(MAX_LINE_AMOUNT, mark, 0)} a line).",
                prefix + "unit_price",
            )
        parsed.append(ManualLine(product.id, qty, unit))
    if not parsed:
        raise InputError("Add at least one line with a product and a quantity.", "lines-0-product_id")
    return ManualSaleInput(
        txn_date=day,
        reference=parse_text(reference, "reference", "Reference", max_length=64, required=False),
        customer=parse_text(customer, "customer", "Customer", max_length=255),
        notes=parse_text(notes, "notes", "Notes", max_length=2000, required=False).replace("\t", " "),
        lines=tuple(parsed),
    )


def _document(
    session: AnySession, data: ManualSaleInput, doc_id: str, version: str, number: str
) -> tuple[SalesDocument, dict[str, ItemLink]]:
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_([l.product_id for l in data.lines])))}
    items = {f"product:{pid}": ItemLink(f"product:{pid}", p.name, "Inventory", p.id, p.type, p.name) for pid, p in products.items()}
    lines = tuple(
        DocumentLine(
            line_id=str(i + 1),
            kind=LineKind.ITEM,
            item_id=f"product:{line.product_id}",
            item_name=products[line.product_id].name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount=money(line.quantity * line.unit_price),
        )
        for i, line in enumerate(data.lines)
    )
    now = utcnow()
    doc = SalesDocument(
        type=DocumentType.MANUAL,
        id=doc_id,
        version=version,
        number=number,
        txn_date=data.txn_date,
        customer=CustomerRef("", data.customer),
        lines=lines,
        private_note=data.notes,
        created_at=now,
        updated_at=now,
    )
    return doc, items


def _next_number(session: AnySession) -> str:
    count = session.scalar(select(func.count(Sale.id)).where(Sale.source == "manual")) or 0
    return f"M-{count + 1:05d}"


def create_manual_sale(session: AnySession, data: ManualSaleInput, user_id: int | None) -> Sale:
    """Record and cost a manual sale, and commit.

    Raises:
        InputError: dated in the closed period.
    """
    refuse_closed(session, data.txn_date, "txn_date", "The sale")
    with write_transaction(session):
        doc, items = _document(session, data, uuid.uuid4().hex, "1", data.reference or _next_number(session))
        apply_document(ApplyContext(session, items, "manual", None, user_id), doc)
    sale = session.scalar(select(Sale).where(Sale.source == "manual", Sale.external_id == doc.id))
    assert sale is not None
    return sale


def get_sale(session: AnySession, sale_id: int) -> Sale | None:
    return session.get(Sale, sale_id)


def _manual(session: AnySession, sale_id: int) -> Sale:
    sale = session.get(Sale, sale_id, with_for_update=True)
    if sale is None or sale.source != "manual":
        raise InputError("Only manual sales can be changed in Partsemble.")
    if sale.status != "active":
        raise InputError("This sale is voided.")
    refuse_closed(session, sale.txn_date, "txn_date", "This sale")
    return sale


def edit_manual_sale(session: AnySession, sale_id: int, data: ManualSaleInput, user_id: int | None) -> Sale:
    """Apply a new version of a manual sale (the old one is reversed exactly), and commit.

    Raises:
        InputError: not a manual sale, or voided.
    """
    with write_transaction(session):
        sale = _manual(session, sale_id)
        refuse_closed(session, data.txn_date, "txn_date", "The sale")
        doc, items = _document(session, data, sale.external_id, str(int(sale.version) + 1), data.reference or sale.doc_number)
        apply_document(ApplyContext(session, items, "manual", None, user_id), doc, sale, looked_up=True)
    return sale


def void_manual_sale(session: AnySession, sale_id: int, user_id: int | None) -> Sale:
    """Void a manual sale: its lots are restored exactly; it stays listed, excluded from totals. Commits."""
    with write_transaction(session):
        sale = _manual(session, sale_id)
        apply_removal(ApplyContext(session, {}, "manual", None, user_id), sale, "voided", str(int(sale.version) + 1))
    return sale
