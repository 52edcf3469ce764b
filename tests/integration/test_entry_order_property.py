"""Property: the same dated facts give the same numbers, whatever order they are entered in.

Random histories of 1-3 products (lots, positive adjustments, invoices and credit memos with
edits and voids) are entered in several shuffled orders, each on an empty database, through the
same services the app uses. Every order must end with identical consumptions, costs, lot
balances and stock on hand, and `partsemble check` (which compares every product with its
from-scratch date-order replay) must pass.

Same-day lots are drawn lowest id first (SPEC), and ids follow entry order, so each product's
lots get distinct dates here; same-day sales are ordered by their creation time, which every
document carries.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from partsemble.costing.apply import ApplyContext, apply_document
from partsemble.domain.documents import DocumentStatus, DocumentType, SalesDocument
from partsemble.domain.sale_plan import ItemLink
from partsemble.extensions import db
from partsemble.lots import services
from partsemble.lots.check import find_violations
from partsemble.models.catalog import Product
from partsemble.models.inventory import Lot
from partsemble.models.sales import LotConsumption, Sale, SaleLine
from tests import factories
from tests.documents import doc, line

pytestmark = [pytest.mark.no_invariant_check, pytest.mark.slow]

START = date(2026, 1, 1)
COSTS = ["1.25", "2", "3.5", "5", "7.75", "11"]
ORDERS = 3  # entry orders per history: the date order's opposite, and random ones


@dataclass(frozen=True)
class LotFact:
    product: int
    number: str
    day: date
    quantity: int
    cost: str


@dataclass(frozen=True)
class Adjustment:
    lot: LotFact
    day: date
    quantity: int


@dataclass(frozen=True)
class Version:
    document: SalesDocument


@st.composite
def histories(draw):  # type: ignore[no-untyped-def]
    products = draw(st.integers(1, 3))
    lots: list[LotFact] = []
    for p in range(products):
        days = draw(st.lists(st.integers(0, 40), min_size=0, max_size=4, unique=True))
        for n, d in enumerate(days):
            lots.append(LotFact(p, f"L{p}-{n}", START + timedelta(days=d), draw(st.integers(1, 8)), draw(st.sampled_from(COSTS))))
    adjustments = [
        Adjustment(lot, lot.day + timedelta(days=draw(st.integers(0, 10))), draw(st.integers(1, 4)))
        for lot in lots
        if draw(st.integers(0, 4)) == 0
    ]
    facts: list[list[object]] = [[lot] + [a for a in adjustments if a.lot is lot] for lot in lots]
    created = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for n in range(draw(st.integers(1, 7))):
        credit = draw(st.integers(0, 4)) == 0
        versions = []
        for v in range(draw(st.integers(1, 3))):
            items = draw(st.lists(st.tuples(st.integers(0, products - 1), st.integers(1, 6)), min_size=1, max_size=2))
            day = START + timedelta(days=draw(st.integers(0, 45)))
            created += timedelta(minutes=1)
            document = doc(
                str(n),
                [line(str(p + 1), str(q), str(q * 10)) for p, q in items],
                doc_type=DocumentType.CREDIT_MEMO if credit else DocumentType.INVOICE,
                version=str(v),
                day=day,
                customer=draw(st.sampled_from([("C1", "Acme"), ("C2", "Birch")])),
            )
            versions.append(Version(replace(document, created_at=created + timedelta(days=n))))
        if draw(st.integers(0, 5)) == 0:
            last = versions[-1].document
            versions.append(Version(replace(last, version=str(len(versions)), status=DocumentStatus.VOIDED)))
        facts.append(versions)
    return products, facts


def entry_orders(facts: list[list[object]], seed: int) -> list[list[object]]:
    """Orders of entry that keep each chain (a lot before its adjustments, versions in order)."""
    chains = [(i, f) for i, chain in enumerate(facts) for f in chain]
    by_date = sorted(chains, key=lambda c: _day(c[1]))
    orders = [by_date, list(reversed(by_date))]
    rng = random.Random(seed)
    while len(orders) < ORDERS:
        shuffled = chains[:]
        rng.shuffle(shuffled)
        orders.append(shuffled)
    return [_keep_chains(order, facts) for order in orders]


def _day(fact: object) -> date:
    if isinstance(fact, LotFact | Adjustment):
        return fact.day
    assert isinstance(fact, Version)
    return fact.document.txn_date


def _keep_chains(order: list[tuple[int, object]], facts: list[list[object]]) -> list[object]:
    next_of = {i: iter(chain) for i, chain in enumerate(facts)}
    return [next(next_of[i]) for i, _ in order]


def enter(app, products: int, order: list[object]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    with app.app_context():
        made = [factories.product(f"P{p}", f"Product {p}") for p in range(products)]
        items = {
            str(p + 1): ItemLink(str(p + 1), f"Product {p}", "Inventory", made[p].id, "finished_good", f"Product {p}")
            for p in range(products)
        }
        for fact in order:
            if isinstance(fact, LotFact):
                factories.lot(made[fact.product], str(fact.quantity), fact.cost, fact.day, fact.number)
            elif isinstance(fact, Adjustment):
                lot_id = db.session.scalar(select(Lot.id).where(Lot.lot_number == fact.lot.number))
                services.adjust_lot(db.session, lot_id, str(fact.quantity), "count_correction", "", None, fact.day.isoformat())
            else:
                assert isinstance(fact, Version)
                apply_document(ApplyContext(db.session, items), fact.document)
                db.session.commit()
        problems = find_violations(db.session)
        result = snapshot()
        db.session.remove()
    return {"problems": problems, **result}


def snapshot() -> dict[str, object]:
    sales = {(s.external_type, s.external_id): (s.status, s.cost, s.shortage, s.no_cost_basis) for s in db.session.scalars(select(Sale))}
    lines = {}
    for ln in db.session.scalars(select(SaleLine)):
        draws = sorted(
            (number, c.quantity, c.unit_cost, c.settled)
            for c, number in db.session.execute(
                select(LotConsumption, Lot.lot_number)
                .join(Lot, Lot.id == LotConsumption.lot_id)
                .where(LotConsumption.sale_line_id == ln.id)
            ).tuples()
        )  # a line's lots are all of its own product: the number names them
        lines[(ln.sale.external_type, ln.sale.external_id, ln.position)] = (ln.cost, ln.shortage_quantity, ln.shortage_unit_cost, draws)
    # A voided lot (the return of a voided credit memo) holds nothing; its last unit cost and note are history.
    # Lot numbers are unique per product: a return lot's number can stand for two products. A return lot's
    # note names the sale its cost comes from: the same words in every order, not only the same numbers.
    lots = {
        (sku, n): (r, s, c if s != "voided" else None, note if s != "voided" and source == "return" else None)
        for sku, n, r, s, c, source, note in db.session.execute(
            select(Product.sku, Lot.lot_number, Lot.quantity_remaining, Lot.status, Lot.unit_cost, Lot.source, Lot.note).join(
                Product, Product.id == Lot.product_id
            )
        )
    }
    stock = dict(db.session.execute(select(Product.sku, Product.stock_on_hand)).tuples().all())
    return {"sales": sales, "lines": lines, "lots": lots, "stock": stock}


@settings(
    max_examples=int(os.environ.get("PARTSEMBLE_ORDER_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories(), seed=st.integers(0, 2**16))
def test_every_entry_order_gives_the_same_costs_as_the_date_order_replay(history, seed, app, worker_database) -> None:  # type: ignore[no-untyped-def]
    products, facts = history
    results = []
    for order in entry_orders(facts, seed):
        # Each order on the worker's database, emptied first (tests/conftest.py WorkerDatabase): one app
        # for every example and order (the app keeps nothing of a database: its engine's connections go
        # with the old file), not one made per order, which cost more than a small history's entry.
        worker_database.fresh()
        results.append(enter(app, products, order))
    for result in results:
        assert result["problems"] == []
    first = results[0]
    for other in results[1:]:
        assert other["stock"] == first["stock"]
        assert other["lots"] == first["lots"]
        assert other["sales"] == first["sales"]
        assert other["lines"] == first["lines"]
