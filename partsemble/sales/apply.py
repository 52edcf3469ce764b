"""Applying one sales document to stock and money, inside the caller's transaction.

Synced documents and manual sales go through the same code. Nothing here commits.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from partsemble.domain.documents import DocumentStatus, SalesDocument
from partsemble.domain.money import ZERO, money
from partsemble.domain.sale_plan import DocumentPlan, ItemLink, PlannedLine, plan_document
from partsemble.inventory.ledger import Posting, add_lot, draw_fifo, unique_lot_number
from partsemble.models.sales import LotConsumption, Sale, SaleLine, SaleRevision
from partsemble.sales.history import describe_changes, snapshot
from partsemble.sales.returns import return_unit_cost
from partsemble.sales.reversal import reverse_sale


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    VOIDED = "voided"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ApplyContext:
    session: Session
    items: Mapping[str, ItemLink]
    source: str = "qbo"
    run_id: int | None = None
    user_id: int | None = None
    restock_returns: bool = True


def find_sale(session: Session, source: str, doc_type: str, doc_id: str) -> Sale | None:
    return session.scalar(
        select(Sale).where(Sale.source == source, Sale.external_type == doc_type, Sale.external_id == doc_id)
    )


def apply_document(ctx: ApplyContext, doc: SalesDocument, sale: Sale | None = None, *, looked_up: bool = False) -> Outcome:
    """Create, update, void or skip the sale for `doc`.

    Raises:
        DocumentRejected: the document cannot be costed; the caller rolls back.
    """
    session = ctx.session
    if not looked_up:
        sale = find_sale(session, ctx.source, str(doc.type), doc.id)
    if sale is not None and sale.version == doc.version and sale.status != "deleted":
        return Outcome.SKIPPED
    cause = Posting(business_date=doc.txn_date, user_id=ctx.user_id, sync_run_id=ctx.run_id,
                    sale_id=sale.id if sale is not None else None)
    if doc.status is DocumentStatus.VOIDED:
        return _apply_void(ctx, doc, sale, cause)
    plan = plan_document(doc, ctx.items, restock_returns=ctx.restock_returns)
    before = snapshot(sale) if sale is not None else None
    if sale is None:
        sale = Sale(source=ctx.source, external_type=str(doc.type), external_id=doc.id, created_by_id=ctx.user_id)
        session.add(sale)
        outcome = Outcome.CREATED
    else:
        if sale.status == "active":
            reverse_sale(session, sale, cause)
        _drop_lines(session, sale)
        outcome = Outcome.UPDATED
    _set_header(sale, doc, ctx.run_id)
    sale.status = "active"
    session.flush()
    _write_lines(ctx, sale, doc, plan)
    action = "created" if outcome is Outcome.CREATED else "updated"
    _record(ctx, sale, action, describe_changes(before, snapshot(sale)))
    return outcome


def apply_removal(ctx: ApplyContext, sale: Sale, status: str, version: str | None = None) -> Outcome:
    """The document was deleted (or voided) upstream: reverse exactly, keep the sale with its status."""
    if sale.status != "active":
        return Outcome.SKIPPED
    cause = Posting(business_date=sale.txn_date, user_id=ctx.user_id, sync_run_id=ctx.run_id, sale_id=sale.id)
    reverse_sale(ctx.session, sale, cause)
    sale.status = status
    if version is not None:
        sale.version = version
    sale.last_sync_run_id = ctx.run_id
    _record(ctx, sale, status, "Deleted upstream" if status == "deleted" else "Voided upstream")
    return Outcome.VOIDED


def _apply_void(ctx: ApplyContext, doc: SalesDocument, sale: Sale | None, cause: Posting) -> Outcome:
    if sale is None:
        # Never seen while active: keep a record of it, with nothing to reverse.
        sale = Sale(source=ctx.source, external_type=str(doc.type), external_id=doc.id, created_by_id=ctx.user_id)
        ctx.session.add(sale)
        _set_header(sale, doc, ctx.run_id)
        sale.status = "voided"
        ctx.session.flush()
        _record(ctx, sale, "voided", "Voided upstream before it was first synced")
        return Outcome.VOIDED
    if sale.status != "active":
        sale.version = doc.version
        return Outcome.SKIPPED
    outcome = apply_removal(ctx, sale, "voided", doc.version)
    sale.source_updated_at = doc.updated_at
    return outcome


def _set_header(sale: Sale, doc: SalesDocument, run_id: int | None) -> None:
    sale.version = doc.version
    sale.doc_number = doc.number[:64]
    sale.customer_ref = doc.customer.id[:64]
    sale.customer_name = doc.customer.name[:255]
    sale.txn_date = doc.txn_date
    sale.currency = doc.currency[:3]
    sale.exchange_rate = doc.exchange_rate
    sale.source_created_at = doc.created_at
    sale.source_updated_at = doc.updated_at
    sale.notes = doc.private_note
    sale.last_sync_run_id = run_id
    sale.revenue = sale.cost = sale.margin = ZERO
    sale.shortage = sale.no_cost_basis = False


def _drop_lines(session: Session, sale: Sale) -> None:
    session.execute(delete(LotConsumption).where(LotConsumption.sale_id == sale.id))
    session.execute(delete(SaleLine).where(SaleLine.sale_id == sale.id))
    session.expire(sale, ["lines"])


def _write_lines(ctx: ApplyContext, sale: Sale, doc: SalesDocument, plan: DocumentPlan) -> None:
    session = ctx.session
    cause = Posting(business_date=doc.txn_date, user_id=ctx.user_id, sync_run_id=ctx.run_id, sale_id=sale.id)
    revenue = cost = ZERO
    for planned in plan.lines:
        line = _line_from_plan(sale.id, planned)
        session.add(line)
        if planned.kind == "tracked" and planned.product_id is not None:
            _draw(session, line, planned, cause)
        elif planned.kind == "return" and planned.product_id is not None and planned.stock_out < 0:
            session.flush()
            _restock(session, sale, line, planned, cause)
        line.margin = line.revenue - line.cost
        revenue += line.revenue
        cost += line.cost
        sale.shortage = sale.shortage or line.shortage_quantity > 0
        sale.no_cost_basis = sale.no_cost_basis or line.no_cost_basis
    sale.revenue, sale.cost, sale.margin = revenue, cost, revenue - cost


def _line_from_plan(sale_id: int, planned: PlannedLine) -> SaleLine:
    return SaleLine(
        sale_id=sale_id, position=planned.position, kind=planned.kind, skip_reason=planned.skip_reason[:200],
        product_id=planned.product_id, item_external_id=planned.item_id[:64], item_name=planned.item_name[:255],
        description=planned.description, quantity=planned.quantity, unit_price=planned.unit_price,
        amount=planned.amount, discount=planned.discount, revenue=planned.revenue, cost=ZERO,
        shortage_quantity=ZERO, shortage_unit_cost=ZERO, shortage_cost=ZERO, no_cost_basis=False,
    )


def _draw(session: Session, line: SaleLine, planned: PlannedLine, cause: Posting) -> None:
    assert planned.product_id is not None
    drawn = draw_fifo(session, planned.product_id, planned.stock_out, cause)
    for draw in drawn.allocation.draws:
        line.consumptions.append(
            LotConsumption(sale_id=line.sale_id, lot_id=draw.lot_id, quantity=draw.quantity, unit_cost=draw.unit_cost)
        )
    line.shortage_quantity = drawn.shortfall
    line.shortage_unit_cost = drawn.shortfall_unit_cost
    line.shortage_cost = money(drawn.shortfall * drawn.shortfall_unit_cost)
    line.no_cost_basis = drawn.no_cost_basis
    line.cost = money(drawn.allocation.draws_cost + line.shortage_cost)


def _restock(session: Session, sale: Sale, line: SaleLine, planned: PlannedLine, cause: Posting) -> None:
    assert planned.product_id is not None
    quantity = -planned.stock_out
    basis = return_unit_cost(session, planned.product_id, sale)
    number = unique_lot_number(session, planned.product_id, f"RET-{sale.doc_number or sale.external_id}-{planned.position}")
    note = Posting(business_date=cause.business_date, user_id=cause.user_id, sync_run_id=cause.sync_run_id,
                   sale_id=sale.id, note=f"Returned on {sale.type_label} {sale.doc_number} ({basis.explanation})")
    lot = add_lot(session, planned.product_id, number, sale.txn_date, quantity, basis.unit_cost, "return", note, kind="RETURN")
    line.return_lot_id = lot.id
    line.no_cost_basis = basis.no_cost_basis
    line.cost = -money(quantity * basis.unit_cost)


def _record(ctx: ApplyContext, sale: Sale, action: str, summary: str) -> None:
    ctx.session.add(
        SaleRevision(sale_id=sale.id, version=sale.version, action=action, summary=summary[:4000],
                     sync_run_id=ctx.run_id, user_id=ctx.user_id)
    )


__all__ = ["ApplyContext", "Outcome", "apply_document", "apply_removal", "find_sale"]
