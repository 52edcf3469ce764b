"""What happens upstream between two syncs, the same way in every run that is compared:
an edit, a void, a deletion and two new documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import desc, select

from partsemble.extensions import db
from partsemble.models.sync import SyncRun
from partsemble.sandbox import LineInput, SandboxCompany
from tests.reliability.world import Company


def active_invoices(sandbox: SandboxCompany, company: Company, wanted: int) -> list[str]:
    """The first `wanted` active invoices of the generated company, by Id."""
    found: list[str] = []
    for doc_id in range(1, 10_000):
        payload = sandbox.get("Invoice", doc_id)
        if payload is not None and sandbox.state("Invoice", doc_id) == "active":
            found.append(str(doc_id))
        if len(found) == wanted:
            return found
    raise AssertionError("the generated company has too few active invoices")


def change_upstream(sandbox: SandboxCompany, company: Company) -> None:
    """Edit one invoice, void one, delete one, and add two new ones dated in the window."""
    edited, voided, deleted = active_invoices(sandbox, company, 3)
    item_a, item_b = company.products[0][0], company.products[1][0]
    sandbox.update_document("Invoice", edited, lines=[LineInput(item_a, Decimal(7)), LineInput(item_b, Decimal("2.5"))])
    sandbox.void_document("Invoice", voided)
    sandbox.delete_document("Invoice", deleted)
    customer = sandbox.customers()[0]["Id"]
    for days in (5, 6):
        sandbox.create_document(
            "Invoice", customer_id=customer, txn_date=company.start + timedelta(days=days), lines=[LineInput(item_a, Decimal(3))]
        )


@dataclass(frozen=True)
class RunRecord:
    id: int
    status: str
    message: str
    created: int
    updated: int
    voided: int
    errors: int


def last_run(app: Flask) -> RunRecord:
    with app.app_context():
        run = db.session.scalar(select(SyncRun).order_by(desc(SyncRun.id)).limit(1))
        assert run is not None, "no sync run was recorded"
        record = RunRecord(run.id, run.status, run.message, run.created, run.updated, run.voided, run.errors)
        db.session.remove()
    return record
