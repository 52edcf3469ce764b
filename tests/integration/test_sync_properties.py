"""Stateful property: any sequence of upstream changes, lot receipts and syncs keeps every
invariant; after every step every sale's cost, every consumption and every lot balance equal an
independent reference costing (tests/oracle.py) of the lots and the documents synced so far; and
the end equals a single fresh sync of the final state."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from partsemble import create_app
from partsemble.connectors.memory import InMemorySource
from partsemble.domain.documents import DocumentStatus, DocumentType, ItemRecord, SalesDocument
from partsemble.extensions import db
from partsemble.lots.check import find_violations
from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.inventory import Lot
from partsemble.models.sales import LotConsumption, Sale, SaleLine
from partsemble.models.sync import Connection
from partsemble.sync.service import SyncRequest, SyncSettings, run_sync
from tests import factories, oracle
from tests.conftest import base_config
from tests.documents import doc, line

pytestmark = pytest.mark.no_invariant_check  # each example checks its own databases

ITEMS = [ItemRecord("1", "Candle A", "Inventory"), ItemRecord("2", "Candle B", "NonInventory"), ItemRecord("8", "Shipping", "Service")]
START = date(2026, 1, 1)
PRODUCT_OF_ITEM = {"1": "A", "2": "B"}  # item 8 (a service) is a skipped line


def seed(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
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
    """Done with the app: the next one empties the worker's database (tests/conftest.py WorkerDatabase)."""
    with app.app_context():
        db.session.remove()


def stock(app) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    with app.app_context():
        result = dict(db.session.execute(select(Product.sku, Product.stock_on_hand)).tuples().all())
        db.session.remove()
    return result


def oracle_facts(documents: dict[tuple[str, str], SalesDocument]) -> list[oracle.Document]:
    """The tracked lines of the active documents, as the reference costing takes them."""
    facts = []
    for (doc_type, doc_id), document in sorted(documents.items()):
        if document.status is not DocumentStatus.ACTIVE:
            continue
        sign = Decimal(-1) if document.type is DocumentType.CREDIT_MEMO else Decimal(1)
        lines = tuple(
            oracle.Line(position, PRODUCT_OF_ITEM[ln.item_id], sign * ln.quantity)
            for position, ln in enumerate(document.lines, start=1)
            if ln.item_id in PRODUCT_OF_ITEM and ln.quantity
        )  # quantity 0 on a credit memo: a price adjustment
        assert document.created_at is not None
        facts.append(
            oracle.Document(
                f"{doc_type}:{doc_id}",
                document.txn_date,
                document.created_at,
                (int(doc_id),),
                document.customer.id,
                document.customer.name,
                document.type is DocumentType.CREDIT_MEMO,
                lines,
            )
        )
    return facts


def assert_matches_oracle(app, receipts: list[oracle.Receipt], documents: dict[tuple[str, str], SalesDocument]) -> None:  # type: ignore[no-untyped-def]
    """Every active sale's cost and lines, every consumption, every lot balance and the stock equal the reference costing."""
    expected = oracle.cost(receipts, [], oracle_facts(documents))
    with app.app_context():
        session = db.session
        sales = {
            f"{t}:{i}": (sale_id, cost)
            for sale_id, t, i, cost in session.execute(
                select(Sale.id, Sale.external_type, Sale.external_id, Sale.cost).where(Sale.status == "active")
            )
        }
        by_id = {sale_id: key for key, (sale_id, _) in sales.items()}
        assert sorted(sales) == sorted(d.key for d in oracle_facts(documents))
        assert {key: cost for key, (_, cost) in sales.items()} == {key: expected.sale_cost(key) for key in sales}
        names = {lot_id: f"lot {lot_id}" for lot_id in session.scalars(select(Lot.id).where(Lot.source != "return"))}
        lines = session.execute(
            select(
                SaleLine.id,
                SaleLine.sale_id,
                SaleLine.position,
                SaleLine.shortage_quantity,
                SaleLine.shortage_unit_cost,
                SaleLine.no_cost_basis,
                SaleLine.return_lot_id,
                SaleLine.cost,
            ).where(SaleLine.sale_id.in_(list(by_id)), SaleLine.kind.in_(("tracked", "return")))
        ).all()
        for row in lines:
            if row.return_lot_id is not None:
                names[row.return_lot_id] = expected.return_lots[(by_id[row.sale_id], row.position)]
        stored_lines = {
            (by_id[r.sale_id], r.position): (
                r.cost,
                r.shortage_quantity,
                r.shortage_unit_cost if r.shortage_quantity else Decimal(0),
                bool(r.no_cost_basis) and r.shortage_quantity > 0,
            )
            for r in lines
        }
        assert stored_lines == {
            key: (r.cost(), r.shortfall, r.shortfall_unit_cost if r.shortfall else Decimal(0), r.no_cost_basis and r.shortfall > 0)
            for key, r in expected.lines.items()
        }
        position = {r.id: (by_id[r.sale_id], r.position) for r in lines}
        drawn: dict[tuple[tuple[str, int], str, bool], tuple[Decimal, Decimal]] = {}
        for line_id, lot_id, quantity, unit, settled in session.execute(
            select(
                LotConsumption.sale_line_id,
                LotConsumption.lot_id,
                LotConsumption.quantity,
                LotConsumption.unit_cost,
                LotConsumption.settled,
            ).where(LotConsumption.sale_id.in_(list(by_id)))
        ):
            key = (position[line_id], names[lot_id], bool(settled))
            total, _ = drawn.get(key, (Decimal(0), unit))
            drawn[key] = (total + quantity, unit)
        assert {k: v for k, v in drawn.items() if v[0]} == {
            (key, lot, settled): (units, r.costs[lot])
            for key, r in expected.lines.items()
            for (lot, settled), units in r.draws.items()
            if units
        }
        balances = {
            names[lot_id]: remaining
            for lot_id, remaining in session.execute(select(Lot.id, Lot.quantity_remaining).where(Lot.status != "voided"))
        }
        assert balances == expected.balances
        stock_on_hand = dict(session.execute(select(Product.sku, Product.stock_on_hand)).tuples().all())
        assert stock_on_hand == {sku: expected.stock(sku) for sku in stock_on_hand}
        db.session.remove()


def test_any_sequence_keeps_the_invariants_and_converges(worker_database, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    class Upstream(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            tmp = tmp_path_factory.mktemp("stateful")
            self.app = create_app(base_config(tmp, worker_database.fresh()))
            seed(self.app)
            self.source = InMemorySource(ITEMS)
            self.lots: list[tuple[str, str, str, date]] = []
            self.receipts: list[oracle.Receipt] = []
            self.synced: dict[tuple[str, str], SalesDocument] = {}  # the upstream documents as the last sync read them
            self.next_id = 0

        def _docs(self, doc_type: DocumentType) -> list[str]:
            return sorted(i for (t, i), d in self.source.documents.items() if t == str(doc_type) and d.status is DocumentStatus.ACTIVE)

        @rule(
            item=st.sampled_from(["1", "2"]),
            qty=st.integers(1, 12),
            day=st.integers(0, 40),
            shipping=st.booleans(),
            kind=st.sampled_from([DocumentType.INVOICE, DocumentType.SALES_RECEIPT]),
        )
        def sell(self, item: str, qty: int, day: int, shipping: bool, kind: DocumentType) -> None:
            self.next_id += 1
            lines = [line(item, str(qty), str(qty * 10))] + ([line("8", None, "5")] if shipping else [])
            self.source.put(doc(str(self.next_id), lines, doc_type=kind, day=START + timedelta(days=day)))

        @rule(item=st.sampled_from(["1", "2"]), qty=st.integers(0, 5), day=st.integers(0, 40))
        def credit(self, item: str, qty: int, day: int) -> None:
            self.next_id += 1
            self.source.put(
                doc(str(self.next_id), [line(item, str(qty), "30")], doc_type=DocumentType.CREDIT_MEMO, day=START + timedelta(days=day))
            )

        @precondition(lambda self: bool(self._docs(DocumentType.INVOICE) or self._docs(DocumentType.SALES_RECEIPT)))
        @rule(data=st.data(), qty=st.integers(1, 3), later=st.integers(0, 5))
        def give_back(self, data: st.DataObject, qty: int, later: int) -> None:
            """A credit memo soon after a sale of the same item: its cost comes from that sale, not the average."""
            kind = DocumentType.INVOICE if self._docs(DocumentType.INVOICE) else DocumentType.SALES_RECEIPT
            sold = self.source.documents[(str(kind), data.draw(st.sampled_from(self._docs(kind))))]
            self.next_id += 1
            self.source.put(
                doc(
                    str(self.next_id),
                    [line(sold.lines[0].item_id, str(qty), "30")],
                    doc_type=DocumentType.CREDIT_MEMO,
                    day=sold.txn_date + timedelta(days=later),
                )
            )

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
            self.source.put(
                doc(old.id, [line(old.lines[0].item_id, "0", "0")], doc_type=old.type, day=old.txn_date, status=DocumentStatus.VOIDED)
            )

        @precondition(lambda self: bool(self.source.documents))
        @rule(data=st.data())
        def delete(self, data: st.DataObject) -> None:
            doc_type, doc_id = data.draw(st.sampled_from(sorted(self.source.documents)))
            self.source.delete(DocumentType(doc_type), doc_id)

        @rule(
            sku=st.sampled_from(["A", "B"]),
            qty=st.integers(1, 30),
            cost=st.sampled_from(["1.5", "2", "2.25", "3.333333"]),
            day=st.integers(0, 40),
        )
        def receive(self, sku: str, qty: int, cost: str, day: int) -> None:
            received = START + timedelta(days=day)
            self.lots.append((sku, str(qty), cost, received))
            with self.app.app_context():
                made = factories.lot(db.session.scalar(select(Product).where(Product.sku == sku)), str(qty), cost, received)
                self.receipts.append(oracle.Receipt(f"lot {made.id}", sku, received, Decimal(qty), Decimal(cost), made.id))
                db.session.remove()

        @rule()
        def sync_now(self) -> None:
            sync(self.app, self.source)
            self.synced = dict(self.source.documents)

        @invariant()
        def costs_equal_the_reference_costing(self) -> None:
            if hasattr(self, "app"):
                assert_matches_oracle(self.app, self.receipts, self.synced)

        def teardown(self) -> None:
            if not hasattr(self, "app"):
                return
            try:
                sync(self.app, self.source)
                incremental = stock(self.app)
                assert_matches_oracle(self.app, self.receipts, self.source.documents)
            finally:
                close(self.app)
            # The same lots and one sync of the final upstream state, into an empty database.
            tmp = tmp_path_factory.mktemp("fresh")
            self.app = create_app(base_config(tmp, worker_database.fresh()))
            try:
                seed(self.app)
                receipts = []
                with self.app.app_context():
                    for sku, qty, cost, received in self.lots:
                        made = factories.lot(db.session.scalar(select(Product).where(Product.sku == sku)), qty, cost, received)
                        receipts.append(oracle.Receipt(f"lot {made.id}", sku, received, Decimal(qty), Decimal(cost), made.id))
                    db.session.remove()
                fresh = InMemorySource(ITEMS)
                for document in self.source.documents.values():
                    fresh.put(document)
                sync(self.app, fresh)
                assert stock(self.app) == incremental
                assert_matches_oracle(self.app, receipts, fresh.documents)
            finally:
                close(self.app)

    run_state_machine_as_test(
        Upstream,
        # Modest by default (each step is compared with the reference costing); the loaded profile
        # (tests/conftest.py: "ci" draws the same examples every run) supplies the rest.
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
