"""The real QBO client and the real sync against the sandbox company, over HTTP on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from partsemble.connections.source import open_source
from partsemble.demo import DEMO_PASSWORD
from partsemble.domain.documents import DocumentStatus, DocumentType, SalesDocument
from partsemble.extensions import db
from partsemble.lots.check import find_violations
from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.inventory import Lot
from partsemble.models.sales import LotConsumption, Sale, SaleLine
from partsemble.models.sync import Connection, FailedDocument
from partsemble.sandbox import LineInput, SandboxCompany
from partsemble.sync.service import SyncRequest, SyncSettings, run_sync
from tests import oracle
from tests.conftest import Browser
from tests.demo_expected import expected_from_payloads
from tests.integration.sandbox_app import live_sandbox

pytestmark = pytest.mark.no_invariant_check  # checked after every step below instead
D = Decimal


@pytest.fixture
def live(app_config, demo_companies) -> Iterator[dict]:  # type: ignore[no-untyped-def]
    """The app with its sandbox served on a free port, connected to the demo company (sandbox_app.live_sandbox)."""
    with live_sandbox(app_config, demo=demo_companies) as served:
        yield {"app": served.app, "company": served.company, "seeded": served.seeded, "today": served.today}


def sync(live, **kw):  # type: ignore[no-untyped-def]
    app = live["app"]
    with app.app_context():
        summary = run_sync(db.session, open_source(app.config), SyncRequest(trigger="cli", **kw), SyncSettings())
        problems = find_violations(db.session)
        assert problems == [], problems[:5]
        db.session.remove()
    return summary


def counts(summary) -> tuple[int, int, int, int, int]:  # type: ignore[no-untyped-def]
    return (summary.created, summary.updated, summary.voided, summary.skipped, summary.errors)


def invoices_with_only_linked_items(company: SandboxCompany, count: int) -> list[str]:
    linked = {"1", "2", "3", "5", "6"}
    found = []
    for doc_id in range(101, 101 + 300):
        payload = company.get("Invoice", doc_id)
        if payload is None or company.state("Invoice", doc_id) != "active":
            continue
        items = {line["SalesItemLineDetail"]["ItemRef"]["value"] for line in payload["Line"] if "SalesItemLineDetail" in line}
        if items and items <= linked and all("GroupLineDetail" not in line for line in payload["Line"]):
            found.append(str(doc_id))
        if len(found) == count:
            break
    return found


def assert_revenue_and_cost_of_every_sale(live) -> None:  # type: ignore[no-untyped-def]
    """Every active sale's revenue (finished-good lines) and cost equal what the documents and lots give,
    worked out without the engine: revenue from the JSON, cost by the reference costing (tests/oracle.py)."""
    with live["app"].app_context():
        sales = {
            (t, i): cost
            for t, i, cost in db.session.execute(select(Sale.external_type, Sale.external_id, Sale.cost).where(Sale.status == "active"))
        }
        # A sale's own revenue is its finished-good lines' (skipped lines carry none): issue 13.
        tracked = dict(
            db.session.execute(select(Sale.external_type + ":" + Sale.external_id, Sale.revenue).where(Sale.status == "active"))
            .tuples()
            .all()
        )
        receipts = [
            oracle.Receipt(f"lot {lot_id}", sku, received, quantity, cost, lot_id)
            for lot_id, sku, received, quantity, cost in db.session.execute(
                select(Lot.id, Product.sku, Lot.received_date, Lot.quantity_received, Lot.unit_cost)
                .join(Product, Product.id == Lot.product_id)
                .where(Lot.source != "return")
            )
        ]
        db.session.remove()
    revenues, documents = expected_from_payloads({key: live["company"].get(*key) for key in sales})
    costed = oracle.cost(receipts, [], documents)
    assert len(sales) > 200
    wrong_revenue = {
        key: (tracked.get(key, Decimal(0)), expected)
        for key, expected in revenues.items()
        if abs(tracked.get(key, Decimal(0)) - expected) > Decimal("0.00001")
    }
    assert wrong_revenue == {}
    wrong_cost = {
        f"{t}:{i}": (cost, costed.sale_cost(f"{t}:{i}")) for (t, i), cost in sales.items() if cost != costed.sale_cost(f"{t}:{i}")
    }
    assert wrong_cost == {}
    assert any(c > 0 for c in sales.values()) and any(c < 0 for c in sales.values())  # sales and returns both costed


def test_first_sync_of_the_demo_company_and_a_second_that_skips_everything(live) -> None:  # type: ignore[no-untyped-def]
    seeded = live["seeded"]
    first = sync(live)
    soap = len(seeded.lavender_soap_documents)
    assert first.outcome == "succeeded" and first.errors == soap > 0
    assert {p.code for p in first.problems} == {"item_not_linked"}
    assert first.voided == 1  # the voided invoice, recorded without stock
    live_documents = sum(seeded.documents.values())
    assert first.created + first.voided + first.errors == first.fetched
    assert_revenue_and_cost_of_every_sale(live)
    with live["app"].app_context():
        before = dict(db.session.execute(select(Product.sku, Product.stock_on_hand)).tuples().all())
        db.session.remove()
    second = sync(live)
    # Only what changed since the first run (nothing) is read again, plus the failed documents.
    assert (second.created, second.updated, second.voided, second.errors) == (0, 0, 0, soap)
    with live["app"].app_context():
        assert dict(db.session.execute(select(Product.sku, Product.stock_on_hand)).tuples().all()) == before
        assert db.session.scalar(select(Sale.status).where(Sale.external_id == seeded.voided_invoice)) == "voided"
        assert db.session.scalar(select(Sale.id).where(Sale.external_id == seeded.deleted_invoice)) is None
        cad = db.session.scalar(select(Sale).where(Sale.external_type == "SalesReceipt", Sale.external_id == seeded.cad_sales_receipt))
        assert cad.currency == "CAD" and cad.exchange_rate == D("0.74")
        assert live_documents >= first.fetched


def test_edit_void_delete_and_a_credit_memo_upstream_are_applied_line_by_line(live) -> None:  # type: ignore[no-untyped-def]
    company, app = live["company"], live["app"]
    sync(live)
    edited, voided, deleted = invoices_with_only_linked_items(company, 3)
    with app.app_context():
        stock_before = dict(db.session.execute(select(Product.sku, Product.stock_on_hand)).tuples().all())
        old_lines = db.session.execute(
            select(SaleLine.item_external_id, SaleLine.quantity)
            .join(Sale)
            .where(Sale.external_id.in_([edited, voided, deleted]), Sale.external_type == "Invoice", SaleLine.kind == "tracked")
        ).all()
        edited_sale = db.session.scalar(select(Sale).where(Sale.external_id == edited, Sale.external_type == "Invoice"))
        customer_id, customer = edited_sale.customer_ref, edited_sale.customer_name
        db.session.remove()
    payload = company.get("Invoice", edited)
    first_line = next(line for line in payload["Line"] if "SalesItemLineDetail" in line)
    item = first_line["SalesItemLineDetail"]["ItemRef"]["value"]
    company.update_document("Invoice", edited, lines=[LineInput(item, D(1), D("20.00"))])
    company.void_document("Invoice", voided)
    company.delete_document("Invoice", deleted)
    company.create_document("CreditMemo", customer_id=customer_id, txn_date=live["today"], lines=[LineInput(item, D(1), D("20.00"))])
    summary = sync(live)
    assert counts(summary)[:3] == (1, 1, 2)
    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(Sale.external_id, Sale.status).where(
                    Sale.external_type == "Invoice", Sale.external_id.in_([edited, voided, deleted])
                )
            )
            .tuples()
            .all()
        )
        assert statuses == {edited: "active", voided: "voided", deleted: "deleted"}
        line = db.session.scalar(select(SaleLine).join(Sale).where(Sale.external_id == edited, Sale.external_type == "Invoice"))
        drawn = db.session.scalar(select(func.sum(LotConsumption.quantity)).where(LotConsumption.sale_line_id == line.id)) or D(0)
        assert line.quantity == D(1) and drawn + line.shortage_quantity == D(1)
        assert line.amount == D(20) and line.revenue == line.amount - line.discount  # a document discount may stay on it
        assert line.margin == line.revenue - line.cost
        credit = db.session.scalar(
            select(Sale).where(Sale.external_type == "CreditMemo", Sale.customer_ref == customer_id).order_by(Sale.id.desc())
        )
        assert credit.revenue == D(-20) and credit.cost < 0 and credit.customer_name == customer
        returned = db.session.get(Lot, credit.lines[0].return_lot_id)
        assert returned.source == "return" and returned.quantity_received == D(1)
        # Stock moved back by what the three old invoices had taken, less the edited one's new unit, plus the return.
        sku_of = {
            i.external_id: i.product.sku for i in db.session.scalars(select(AccountingItem).where(AccountingItem.product_id.is_not(None)))
        }
        expected = dict(stock_before)
        for item_id, quantity in old_lines:
            expected[sku_of[item_id]] += quantity
        expected[sku_of[item]] += D(-1) + D(1)
        assert dict(db.session.execute(select(Product.sku, Product.stock_on_hand)).tuples().all()) == expected


def test_an_unlinked_item_fails_its_documents_until_linked_then_they_are_created(live) -> None:  # type: ignore[no-untyped-def]
    first = sync(live)
    waiting = first.errors
    app = live["app"]
    with app.app_context():
        soap = db.session.scalar(select(Product.id).where(Product.sku == "SOAP-LAV-200"))
        item = db.session.scalar(select(AccountingItem).where(AccountingItem.external_id == "4"))
        if item is None:  # the demo leaves it for the sync to read from QuickBooks
            item = db.session.scalar(select(AccountingItem).where(AccountingItem.name == "Lavender Soap 200g"))
        item.product_id = soap
        db.session.commit()
        db.session.remove()
    retried = sync(live, only_failed=True, item_ids=("4",))
    assert counts(retried) == (waiting, 0, 0, 0, 0)
    with app.app_context():
        assert db.session.scalar(select(func.count(FailedDocument.id))) == 0
        assert db.session.get(Product, soap).stock_on_hand < D(400)


def test_a_connection_dropped_on_page_two_leaves_everything_consistent_and_the_next_sync_finishes(live) -> None:  # type: ignore[no-untyped-def]
    company, app = live["company"], live["app"]
    app.config.update(QBO_MAX_RETRIES=0)  # the drop must reach the sync
    company.generate(
        2500,
        start=live["today"] - timedelta(days=60),
        end=live["today"],
        seed=4,
        products=["1", "2", "3", "5"],
        credit_memo_share="0",
        void_share="0",
        unlinked_share="0",
    )
    company.add_fault("query", "drop", ordinals=[2])
    failed = sync(live)
    assert failed.outcome == "failed" and "did not answer properly" in failed.message
    with app.app_context():
        assert db.session.scalar(select(Connection.synced_through)) is None
        assert db.session.scalar(select(func.count(Sale.id))) == 0  # nothing was half-fetched into sales
    company.clear_faults()
    done = sync(live)
    assert done.outcome == "succeeded" and done.created >= 2500


def test_the_real_client_pages_through_2500_documents_in_pages_of_1000(live) -> None:  # type: ignore[no-untyped-def]
    company, app = live["company"], live["app"]
    company.generate(2500, start=live["today"] - timedelta(days=30), end=live["today"], seed=8, products=["1", "2"])
    before = company.counters().get("query.Invoice", 0)
    with app.app_context():
        pages = list(open_source(app.config).changed_documents(None, live["today"] - timedelta(days=120)))
        db.session.remove()
    documents = [d for page in pages for d in page.documents if isinstance(d, SalesDocument)]
    keys = [(d.type, d.id) for d in documents]
    assert len(keys) == len(set(keys)) >= 2500 + 250
    assert all(page.server_time is not None for page in pages)
    assert any(d.status is DocumentStatus.VOIDED for d in documents)
    assert max(len(page.documents) for page in pages) == 1000
    assert company.counters().get("query.Invoice", 0) - before >= 3  # at least three pages of invoices


def test_cdc_deletions_are_confirmed_and_reverse_the_sale(live) -> None:  # type: ignore[no-untyped-def]
    company, app = live["company"], live["app"]
    sync(live)
    (gone,) = invoices_with_only_linked_items(company, 1)
    company.delete_document("Invoice", gone)
    with app.app_context():
        since = db.session.scalar(select(Connection.synced_through))
        deletions = open_source(app.config).deletions(since)
        db.session.remove()
    assert [(d.type, d.id) for d in deletions] == [(DocumentType.INVOICE, gone)]
    summary = sync(live)
    assert summary.voided == 1
    with app.app_context():
        assert db.session.scalar(select(Sale.status).where(Sale.external_id == gone, Sale.external_type == "Invoice")) == "deleted"


def test_the_login_the_readme_shows_for_the_demo_works(live) -> None:  # type: ignore[no-untyped-def]
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"`([^`@\s]+@[^`\s]+)` / `([^`]+)`", readme)
    assert shown is not None, "README shows the demo login as `email` / `password`"
    email, password = shown.groups()
    assert password == DEMO_PASSWORD
    browser = Browser(live["app"].test_client())
    browser.login(email, password)  # the demo business loaded: this login is the one `make demo` creates
    assert browser.get("/sales/").status_code == 200


def test_linking_the_demo_item_costs_the_waiting_invoices_in_date_order(live) -> None:  # type: ignore[no-untyped-def]
    """The demo's story: the waiting invoices are older than sales already costed; once their item
    is linked they draw from the lots of their own dates, and the later sales they displace are re-costed."""
    from partsemble.models.inventory import Lot
    from partsemble.models.sales import LotConsumption, Sale, SaleRevision

    sync(live)
    app = live["app"]
    with app.app_context():
        soap = db.session.scalar(select(Product.id).where(Product.sku == "SOAP-LAV-200"))
        item = db.session.scalar(select(AccountingItem).where(AccountingItem.name == "Lavender Soap 200g"))
        item.product_id = soap
        db.session.commit()
        db.session.remove()
    retried = sync(live, only_failed=True, item_ids=("4",))
    assert retried.errors == 0 and retried.created > 0
    with app.app_context():
        draws = db.session.execute(
            select(Sale.doc_number, Sale.txn_date, Lot.lot_number, Lot.received_date, LotConsumption.settled)
            .join(Sale, Sale.id == LotConsumption.sale_id)
            .join(Lot, Lot.id == LotConsumption.lot_id)
        ).all()
        assert draws
        early = [d for d in draws if not d.settled and d.received_date > d.txn_date]
        assert early == [], early[:3]  # no sale drew a lot received after its date
        late = [d for d in draws if d.settled and d.received_date < d.txn_date]
        assert late == [], late[:3]  # what settles a shortfall arrived after the sale
        recosted = db.session.scalar(
            select(func.count(func.distinct(SaleRevision.sale_id))).where(
                SaleRevision.action == "recosted", SaleRevision.sync_run_id == retried.run_id
            )
        )
        assert retried.recosted == recosted > 0  # the invoices it let in displaced later sales
        db.session.remove()
