"""Stateful property: any sequence of upstream changes, lot receipts and syncs keeps every
invariant, and ends with the stock a single fresh sync of the final state would give."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from partsemble import create_app
from partsemble.connectors.memory import InMemorySource
from partsemble.domain.documents import DocumentStatus, DocumentType, ItemRecord
from partsemble.extensions import db
from partsemble.inventory.check import find_violations
from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.sync import Connection
from partsemble.sync.service import SyncRequest, SyncSettings, run_sync
from tests import factories
from tests.conftest import base_config, fresh_database, truncate_all
from tests.documents import doc, line

pytestmark = pytest.mark.no_invariant_check  # each example checks its own databases

ITEMS = [ItemRecord("1", "Candle A", "Inventory"), ItemRecord("2", "Candle B", "NonInventory"), ItemRecord("8", "Shipping", "Service")]
START = date(2026, 1, 1)


def seed(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        truncate_all(app)
        a, b = factories.product("A", "Candle A"), factories.product("B", "Candle B")
        db.session.add(Connection(provider="qbo", realm_id="1", status="connected", initial_sync_date=START))
        db.session.add(AccountingItem(source="qbo", external_id="1", name="Candle A", item_type="Inventory", product_id=a.id))
        db.session.add(AccountingItem(source="qbo", external_id="2", name="Candle B", item_type="NonInventory", product_id=b.id))
        db.session.add(AccountingItem(source="qbo", external_id="8", name="Shipping", item_type="Service"))
        db.session.commit()


def sync(app, source):  # type: ignore[no-untyped-def]
    with app.app_context():
        summary = run_sync(db.session, source, SyncRequest(trigger="cli"), SyncSettings())
        assert summary.outcome == "succeeded", summary.message
        problems = find_violations(db.session)
        assert problems == [], problems
        db.session.remove()


def close(app) -> None:  # type: ignore[no-untyped-def]
    """Empty the database (PostgreSQL is shared by the examples) and close the pool's connections."""
    truncate_all(app)
    with app.app_context():
        db.engine.dispose()


def stock(app) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    with app.app_context():
        result = dict(db.session.execute(select(Product.sku, Product.stock_on_hand)).tuples().all())
        db.session.remove()
    return result


def test_any_sequence_keeps_the_invariants_and_converges(database_template, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    class Upstream(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            tmp = tmp_path_factory.mktemp("stateful")
            self.app = create_app(base_config(tmp, fresh_database(database_template, tmp)))
            seed(self.app)
            self.source = InMemorySource(ITEMS)
            self.lots: list[tuple[str, str, str, date]] = []
            self.next_id = 0

        def _docs(self, doc_type: DocumentType) -> list[str]:
            return sorted(i for (t, i), d in self.source.documents.items() if t == str(doc_type) and d.status is DocumentStatus.ACTIVE)

        @rule(item=st.sampled_from(["1", "2"]), qty=st.integers(1, 12), day=st.integers(0, 40), shipping=st.booleans(),
              kind=st.sampled_from([DocumentType.INVOICE, DocumentType.SALES_RECEIPT]))
        def sell(self, item: str, qty: int, day: int, shipping: bool, kind: DocumentType) -> None:
            self.next_id += 1
            lines = [line(item, str(qty), str(qty * 10))] + ([line("8", None, "5")] if shipping else [])
            self.source.put(doc(str(self.next_id), lines, doc_type=kind, day=START + timedelta(days=day)))

        @rule(item=st.sampled_from(["1", "2"]), qty=st.integers(0, 5), day=st.integers(0, 40))
        def credit(self, item: str, qty: int, day: int) -> None:
            self.next_id += 1
            self.source.put(doc(str(self.next_id), [line(item, str(qty), "30")], doc_type=DocumentType.CREDIT_MEMO, day=START + timedelta(days=day)))

        @precondition(lambda self: bool(self.source.documents))
        @rule(data=st.data(), qty=st.integers(1, 12))
        def edit(self, data: st.DataObject, qty: int) -> None:
            key = data.draw(st.sampled_from(sorted(self.source.documents)))
            old = self.source.documents[key]
            if old.status is DocumentStatus.VOIDED:
                return
            item = old.lines[0].item_id or "1"
            self.source.put(doc(old.id, [line(item, str(qty), str(qty * 11))], doc_type=old.type, day=old.txn_date))

        @precondition(lambda self: bool(self.source.documents))
        @rule(data=st.data())
        def void(self, data: st.DataObject) -> None:
            key = data.draw(st.sampled_from(sorted(self.source.documents)))
            old = self.source.documents[key]
            self.source.put(doc(old.id, [line(old.lines[0].item_id, "0", "0")], doc_type=old.type, day=old.txn_date, status=DocumentStatus.VOIDED))

        @precondition(lambda self: bool(self.source.documents))
        @rule(data=st.data())
        def delete(self, data: st.DataObject) -> None:
            doc_type, doc_id = data.draw(st.sampled_from(sorted(self.source.documents)))
            self.source.delete(DocumentType(doc_type), doc_id)

        @rule(sku=st.sampled_from(["A", "B"]), qty=st.integers(1, 30), cost=st.sampled_from(["1.5", "2", "2.25", "3.333333"]), day=st.integers(0, 40))
        def receive(self, sku: str, qty: int, cost: str, day: int) -> None:
            received = START + timedelta(days=day)
            self.lots.append((sku, str(qty), cost, received))
            with self.app.app_context():
                factories.lot(db.session.scalar(select(Product).where(Product.sku == sku)), str(qty), cost, received)
                db.session.remove()

        @rule()
        def sync_now(self) -> None:
            sync(self.app, self.source)

        def teardown(self) -> None:
            if not hasattr(self, "app"):
                return
            try:
                sync(self.app, self.source)
                incremental = stock(self.app)
            finally:
                close(self.app)
            # The same lots and one sync of the final upstream state, into an empty database.
            tmp = tmp_path_factory.mktemp("fresh")
            self.app = create_app(base_config(tmp, fresh_database(database_template, tmp)))
            try:
                seed(self.app)
                with self.app.app_context():
                    for sku, qty, cost, received in self.lots:
                        factories.lot(db.session.scalar(select(Product).where(Product.sku == sku)), qty, cost, received)
                    db.session.remove()
                fresh = InMemorySource(ITEMS)
                for document in self.source.documents.values():
                    fresh.put(document)
                sync(self.app, fresh)
                assert stock(self.app) == incremental
            finally:
                close(self.app)

    run_state_machine_as_test(
        Upstream,
        settings=settings(max_examples=25, stateful_step_count=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
    )
