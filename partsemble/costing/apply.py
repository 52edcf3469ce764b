"""Applying one sales document to stock and money, inside the caller's transaction.

Synced documents and manual sales go through the same code. The rows go to a
SalesWriter (written in bulk by the caller, or at the end of apply_document
when the caller gives none). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, scoped_session

from partsemble.costing.book import Posting
from partsemble.costing.history import Snapshot, describe_changes
from partsemble.costing.order import sale_key
from partsemble.costing.returns import EarlierSale, ReturnCost, return_lot_note, return_unit_cost
from partsemble.costing.reversal import reverse_sale
from partsemble.costing.writer import SalesWriter
from partsemble.domain.documents import DocumentStatus, DocumentType, SalesDocument
from partsemble.domain.money import ZERO, money
from partsemble.domain.sale_plan import DocumentPlan, DocumentRejected, ItemLink, PlannedLine, plan_document
from partsemble.models.base import utcnow
from partsemble.models.sales import Sale, SaleLine, document_name


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    VOIDED = "voided"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ExistingSale:
    id: int
    version: str
    status: str
    txn_date: date


@dataclass(frozen=True)
class AppliedDraw:
    lot_id: int
    lot_number: str
    quantity: Decimal
    unit_cost: Decimal


@dataclass(frozen=True)
class AppliedLine:
    item: str
    kind: str
    quantity: Decimal
    revenue: Decimal
    cost: Decimal
    draws: tuple[AppliedDraw, ...] = ()
    shortage: Decimal = ZERO
    shortage_cost: Decimal = ZERO
    no_cost_basis: bool = False


@dataclass(frozen=True)
class Applied:
    outcome: Outcome
    sale_id: int | None
    revenue: Decimal = ZERO
    cost: Decimal = ZERO
    shortage: bool = False
    lines: tuple[AppliedLine, ...] = ()


@dataclass(frozen=True)
class ApplyContext:
    session: Session | scoped_session[Session]
    items: Mapping[str, ItemLink]
    source: str = "qbo"
    run_id: int | None = None
    user_id: int | None = None
    restock_returns: bool = True
    writer: SalesWriter | None = field(default=None, compare=False)
    closed_through: date | None = None  # costs are final through this date


def find_sale(session: Session | scoped_session[Session], source: str, doc_type: str, doc_id: str) -> Sale | None:
    return session.scalar(select(Sale).where(Sale.source == source, Sale.external_type == doc_type, Sale.external_id == doc_id))


def existing_sale(session: Session | scoped_session[Session], source: str, doc_type: str, doc_id: str) -> ExistingSale | None:
    row = session.execute(
        select(Sale.id, Sale.version, Sale.status, Sale.txn_date).where(
            Sale.source == source, Sale.external_type == doc_type, Sale.external_id == doc_id
        )
    ).first()
    return ExistingSale(*row) if row is not None else None


def _as_existing(sale: Sale | ExistingSale | None) -> ExistingSale | None:
    if sale is None or isinstance(sale, ExistingSale):
        return sale
    return ExistingSale(sale.id, sale.version, sale.status, sale.txn_date)


def apply_document(ctx: ApplyContext, doc: SalesDocument, sale: Sale | ExistingSale | None = None, *, looked_up: bool = False) -> Outcome:
    """Create, update, void or skip the sale for `doc`.

    Raises:
        DocumentRejected: the document cannot be costed; nothing of it was written.
    """
    own = ctx.writer is None
    writer = ctx.writer or SalesWriter(ctx.session)
    ctx = replace(ctx, writer=writer)
    existing = _as_existing(sale) if (looked_up or sale is not None) else existing_sale(ctx.session, ctx.source, str(doc.type), doc.id)
    applied = apply(ctx, doc, existing)
    if own:
        writer.finish(ctx.user_id, ctx.run_id)
    return applied.outcome


def apply(ctx: ApplyContext, doc: SalesDocument, existing: ExistingSale | None) -> Applied:
    """The work of apply_document, with what each line drew (for the preview)."""
    writer = ctx.writer
    assert writer is not None
    if existing is not None and existing.version == doc.version and existing.status != "deleted":
        return Applied(Outcome.SKIPPED, existing.id)
    if doc.status is DocumentStatus.DRAFT and existing is None:
        return Applied(Outcome.SKIPPED, None)  # not a sale yet, and nothing of it was ever applied
    refuse_closed_period(ctx, doc, existing)
    if doc.status is DocumentStatus.VOIDED:
        return _apply_void(ctx, doc, existing)
    if doc.status is DocumentStatus.DRAFT:
        return _apply_back_to_draft(ctx, doc, existing)
    plan = plan_document(doc, ctx.items, restock_returns=ctx.restock_returns)  # rejects before anything is written
    bases = _return_bases(ctx, doc, plan, existing)
    before = _snapshot_from_db(ctx.session, existing.id) if existing is not None else None
    if existing is None:
        sale_id, outcome = writer.sale_id(), Outcome.CREATED
    else:
        sale_id, outcome = existing.id, Outcome.UPDATED
    writer.applied.add(sale_id)
    if existing is not None:
        cause = Posting(business_date=doc.txn_date, user_id=ctx.user_id, sync_run_id=ctx.run_id, sale_id=sale_id)
        if existing.status == "active":
            reverse_sale(writer, sale_id, cause)
        else:
            writer.flush()
        ctx.session.execute(delete(SaleLine).where(SaleLine.sale_id == sale_id))
    cause = Posting(business_date=doc.txn_date, user_id=ctx.user_id, sync_run_id=ctx.run_id, sale_id=sale_id)
    lines = [_write_line(ctx, sale_id, doc, planned, bases.get(planned.position), cause) for planned in plan.lines]
    revenue = sum((line.revenue for line in lines), ZERO)
    cost = sum((line.cost for line in lines), ZERO)
    shortage = any(line.shortage > 0 for line in lines)
    header = _header(doc, ctx.run_id, "active", revenue, cost, shortage, any(line.no_cost_basis for line in lines), plan.document_total)
    if outcome is Outcome.CREATED:
        writer.add_sale(
            {
                "id": sale_id,  # pragma: no mutate - the allocator's id, also the next one the database would give
                "source": ctx.source,
                "external_type": str(doc.type),
                "external_id": doc.id,
                "created_by_id": ctx.user_id,
                **header,
            }
        )
    else:
        writer.update_sale(sale_id, header)
    after = Snapshot(doc.txn_date, doc.customer.name, "active", tuple((l.item, l.quantity, l.revenue) for l in lines))
    _record(ctx, sale_id, doc.version, "created" if outcome is Outcome.CREATED else "updated", describe_changes(before, after))
    return Applied(outcome, sale_id, revenue, cost, shortage, tuple(lines))


def refuse_closed_period(ctx: ApplyContext, doc: SalesDocument, existing: ExistingSale | None) -> None:
    """A document dated in the closed period, or changing a sale dated in it, is not applied.

    Raises:
        DocumentRejected: with code closed_period.
    """
    closed = ctx.closed_through
    if closed is None:
        return
    touched = [doc.txn_date] + ([existing.txn_date] if existing is not None and existing.status == "active" else [])
    if min(touched) <= closed:
        raise DocumentRejected(
            "closed_period",
            f"{_reason(doc)} is in the closed period ending {closed.isoformat()}: costs are final through that date. "
            "Move the date in Settings → Costs to let it in; it is retried on every sync.",
        )


def apply_removal(ctx: ApplyContext, sale: Sale | ExistingSale, status: str, version: str | None = None, note: str = "") -> Outcome:
    """The document was deleted (or voided, or sent back to draft) upstream: reverse exactly, keep the
    sale with its status; `note` says why in its history (default: deleted or voided upstream)."""
    existing = _as_existing(sale)
    assert existing is not None
    if existing.status != "active":
        return Outcome.SKIPPED
    own = ctx.writer is None
    writer = ctx.writer or SalesWriter(ctx.session)
    ctx = replace(ctx, writer=writer)
    cause = Posting(business_date=existing.txn_date, user_id=ctx.user_id, sync_run_id=ctx.run_id, sale_id=existing.id)
    writer.applied.add(existing.id)
    reverse_sale(writer, existing.id, cause)
    # A reversed sale draws nothing and costs nothing: its figures say so (its history keeps what it was).
    values: dict[str, object] = {
        "status": status,
        "last_sync_run_id": ctx.run_id,
        "updated_at": utcnow(),
        "cost": ZERO,
        "margin": Sale.revenue,
        "shortage": False,
        "no_cost_basis": False,
    }
    if version is not None:
        values["version"] = version
    ctx.session.execute(update(Sale).where(Sale.id == existing.id).values(**values))
    ctx.session.execute(
        update(SaleLine)
        .where(SaleLine.sale_id == existing.id)
        .values(
            cost=ZERO, margin=SaleLine.revenue, shortage_quantity=ZERO, shortage_unit_cost=ZERO, shortage_cost=ZERO, no_cost_basis=False
        )
    )
    why = note or ("Deleted upstream" if status == "deleted" else "Voided upstream")
    _record(ctx, existing.id, version or existing.version, status, why)
    if own:
        writer.finish(ctx.user_id, ctx.run_id)
    return Outcome.VOIDED


def _apply_void(ctx: ApplyContext, doc: SalesDocument, existing: ExistingSale | None) -> Applied:
    writer = ctx.writer
    assert writer is not None
    if existing is None:
        # Never seen while active: keep a record of it, with nothing to reverse.
        sale_id = writer.sale_id()
        writer.add_sale(
            {
                "id": sale_id,  # pragma: no mutate - the allocator's id, also the next one the database would give
                "source": ctx.source,
                "external_type": str(doc.type),
                "external_id": doc.id,
                "created_by_id": ctx.user_id,
                **_header(doc, ctx.run_id, "voided", ZERO, ZERO, False, False),
            }
        )
        _record(ctx, sale_id, doc.version, "voided", "Voided upstream before it was first synced")
        return Applied(Outcome.VOIDED, sale_id)
    if existing.status != "active":
        writer.flush()
        ctx.session.execute(update(Sale).where(Sale.id == existing.id).values(version=doc.version))
        return Applied(Outcome.SKIPPED, existing.id)
    apply_removal(ctx, existing, "voided", doc.version)
    ctx.session.execute(update(Sale).where(Sale.id == existing.id).values(source_updated_at=doc.updated_at))
    return Applied(Outcome.VOIDED, existing.id)


def _apply_back_to_draft(ctx: ApplyContext, doc: SalesDocument, existing: ExistingSale | None) -> Applied:
    """An applied sale whose document went back to draft (or awaiting approval) is no sale any more:
    reversed exactly and kept, like a void, until it is approved again."""
    assert existing is not None
    if existing.status != "active":
        assert ctx.writer is not None
        ctx.writer.flush()
        ctx.session.execute(update(Sale).where(Sale.id == existing.id).values(version=doc.version))
        return Applied(Outcome.SKIPPED, existing.id)
    apply_removal(ctx, existing, "voided", doc.version, note="Sent back to draft upstream: not a sale until it is approved again")
    ctx.session.execute(update(Sale).where(Sale.id == existing.id).values(source_updated_at=doc.updated_at))
    return Applied(Outcome.VOIDED, existing.id)


def _header(
    doc: SalesDocument,
    run_id: int | None,
    status: str,
    revenue: Decimal,
    cost: Decimal,
    shortage: bool,
    no_basis: bool,
    document_total: Decimal = ZERO,
) -> dict[str, object]:
    return {
        "version": doc.version,
        "doc_number": doc.number[:64],
        "customer_ref": doc.customer.id[:64],
        "customer_name": doc.customer.name[:255],
        "txn_date": doc.txn_date,
        "currency": doc.currency[:3],
        "exchange_rate": doc.exchange_rate,
        "source_created_at": doc.created_at,
        "source_updated_at": doc.updated_at,
        "notes": doc.private_note,
        "last_sync_run_id": run_id,
        "status": status,
        "revenue": revenue,
        "cost": cost,
        "margin": revenue - cost,
        "shortage": shortage,
        "no_cost_basis": no_basis,
        "document_total": document_total,
        "updated_at": utcnow(),
    }


def _return_bases(ctx: ApplyContext, doc: SalesDocument, plan: DocumentPlan, existing: ExistingSale | None) -> dict[int, ReturnCost]:
    """Cost bases of the returns, read before this document writes anything."""
    writer = ctx.writer
    assert writer is not None
    return {
        line.position: return_unit_cost(
            writer.book,
            line.product_id,
            writer.latest_earlier_sale(
                line.product_id, doc.customer.id, doc.customer.name, doc.txn_date, existing.id if existing else None
            ),
        )
        for line in plan.lines
        if line.kind == "return" and line.stock_out < 0 and line.product_id is not None
    }


def _write_line(
    ctx: ApplyContext, sale_id: int, doc: SalesDocument, planned: PlannedLine, basis: ReturnCost | None, cause: Posting
) -> AppliedLine:
    writer = ctx.writer
    assert writer is not None
    line_id = writer.line_id()
    row: dict[str, Any] = {  # one sale_lines row, column by column, for the writer's executemany
        "id": line_id,  # pragma: no mutate - the allocator's id, also the next one the database would give
        "sale_id": sale_id,
        "position": planned.position,
        "kind": planned.kind,
        "skip_reason": planned.skip_reason[:200],
        "product_id": planned.product_id,
        "item_external_id": planned.item_id[:64],
        "item_name": planned.item_name[:255],
        "description": planned.description,
        "quantity": planned.quantity,
        "unit_price": planned.unit_price,
        "amount": planned.amount,
        "discount": planned.discount,
        "revenue": planned.revenue,
        "cost": ZERO,
        "shortage_quantity": ZERO,
        "shortage_unit_cost": ZERO,
        "shortage_cost": ZERO,
        "no_cost_basis": False,
        "return_lot_id": None,
    }
    draws: tuple[AppliedDraw, ...] = ()
    if planned.kind == "tracked" and planned.product_id is not None:
        drawn = writer.book.draw(planned.product_id, planned.stock_out, cause)
        for draw in drawn.allocation.draws:
            writer.add_consumption(
                {"sale_line_id": line_id, "sale_id": sale_id, "lot_id": draw.lot_id, "quantity": draw.quantity, "unit_cost": draw.unit_cost}
            )
        draws = tuple(AppliedDraw(d.lot_id, drawn.lot_numbers[d.lot_id], d.quantity, d.unit_cost) for d in drawn.allocation.draws)
        writer.book.order.sale(
            planned.product_id,
            sale_key(doc.txn_date, doc.created_at, doc.key, sale_id, planned.position),
            _reason(doc),
            shortfall=drawn.shortfall > 0,
        )
        if doc.type is not DocumentType.CREDIT_MEMO and planned.quantity > 0:
            writer.remember_sale(
                planned.product_id,
                doc.customer.id,
                doc.customer.name,
                EarlierSale(doc.txn_date, doc.created_at, sale_id, doc.number, drawn.cost, planned.quantity, doc.key),
            )
        row.update(
            shortage_quantity=drawn.shortfall,
            shortage_unit_cost=drawn.shortfall_unit_cost,
            shortage_cost=drawn.shortfall_cost,
            no_cost_basis=drawn.no_cost_basis,
            cost=drawn.cost,
        )
    elif basis is not None and planned.product_id is not None:  # a return into stock: only those have a basis (_return_bases)
        quantity = -planned.stock_out
        number = writer.book.unique_number(planned.product_id, f"RET-{(doc.number or doc.id)[:64]}-{planned.position}")
        note = replace(cause, note=return_lot_note(document_name(str(doc.type), doc.number[:64]), basis.explanation))
        rank = sale_key(doc.txn_date, doc.created_at, doc.key, sale_id, planned.position)
        lot = writer.book.add_lot(planned.product_id, number, doc.txn_date, quantity, basis.unit_cost, "return", note, "RETURN", rank)
        row.update(return_lot_id=lot.id, no_cost_basis=basis.no_cost_basis, cost=-money(quantity * basis.unit_cost))
        # In date order, with no shortfall waiting, the return is costed as the replay would; else it decides.
        writer.book.order.arrival(planned.product_id, rank, _reason(doc))
    row["margin"] = planned.revenue - row["cost"]
    writer.add_line(row)
    return AppliedLine(
        planned.item_name or planned.description[:40] or "(no item)",
        planned.kind,
        planned.quantity,
        planned.revenue,
        row["cost"],
        draws,
        row["shortage_quantity"],
        row["shortage_cost"],
        row["no_cost_basis"],
    )


def _reason(doc: SalesDocument) -> str:
    return f"{document_name(str(doc.type), doc.number or doc.id)} dated {doc.txn_date.isoformat()}"


def _snapshot_from_db(session: Session | scoped_session[Session], sale_id: int) -> Snapshot:
    header = session.execute(select(Sale.txn_date, Sale.customer_name, Sale.status).where(Sale.id == sale_id)).one()
    rows = session.execute(
        select(SaleLine.item_name, SaleLine.description, SaleLine.quantity, SaleLine.revenue)
        .where(SaleLine.sale_id == sale_id)
        .order_by(SaleLine.position)
    ).all()
    return Snapshot(header[0], header[1], header[2], tuple((name or desc[:40] or "(no item)", q, r) for name, desc, q, r in rows))


def _record(ctx: ApplyContext, sale_id: int, version: str, action: str, summary: str) -> None:
    assert ctx.writer is not None
    ctx.writer.add_revision(
        {
            "sale_id": sale_id,
            "version": version,
            "action": action,
            "summary": summary[:4000],
            "sync_run_id": ctx.run_id,
            "user_id": ctx.user_id,
        }
    )
