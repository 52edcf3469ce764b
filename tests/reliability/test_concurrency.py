"""Several people and processes at once, with gunicorn's 4 sync workers on the database under
test: one sync at a time however many press Sync Now together, one token refresh however many
processes need it, and manual sales and lot receipts made during a sync neither lost nor
counted twice."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError as FuturesTimeout, as_completed
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select, update

from partsemble import create_app
from partsemble.auth.services import create_user
from partsemble.extensions import db
from partsemble.lots.check import find_violations
from partsemble.models.base import utcnow
from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.inventory import Lot
from partsemble.models.sales import Sale
from partsemble.models.sync import Connection, SyncRun
from partsemble.sandbox import ItemDraft, LineInput, SandboxCompany
from tests import factories
from tests.conftest import PASSWORD, fresh_database
from tests.reliability.conftest import qbo_config
from tests.reliability.live_server import Gate, point_at_sandbox, serving
from tests.reliability.processes import Databases, child_environment, gunicorn, run_cli
from tests.reliability.world import plain_tokens, store_connection

pytestmark = pytest.mark.slow

CLIENTS = 8
ROUNDS = 20
NEW_PER_ROUND = 6
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
BUSY = "A sync is already running"
CEILING = 120  # seconds: how long an event may take on the most loaded machine before the test gives up


@pytest.fixture
def shop(database_template: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """An empty sandbox company with three items, the matching finished goods with stock, eight members,
    and the app under gunicorn (4 sync workers) on its own database; the sandbox answers from this process,
    its API behind a gate the test opens and closes (live_server.Gate)."""
    databases = Databases(database_template, tmp_path)
    sandbox_url = "sqlite:///" + str(tmp_path / "sandbox.db")
    host = create_app(qbo_config(tmp_path, fresh_database(database_template, tmp_path), sandbox_url))
    sandbox = SandboxCompany.open(sandbox_url)
    try:
        customer = sandbox.create_customer("Barrier & Sons")["Id"]
        items = [
            sandbox.create_item(ItemDraft(f"Candle {n}", "Inventory", f"CND-{n}", unit_price=Decimal("12.50")))["Id"] for n in range(3)
        ]
        gate = Gate(host, "/sandbox/v3/", ceiling=CEILING)
        with serving(host) as base:
            point_at_sandbox(host.config, base)
            config = qbo_config(
                tmp_path,
                databases.start,
                sandbox_url,
                QBO_READ_TIMEOUT="5",
                QBO_PAGE_SIZE=10,
                **{k: v for k, v in host.config.items() if k.startswith("QBO_") and k.endswith(("_URL", "_BASE"))},
            )
            app = create_app(config)
            start = date.today() - timedelta(days=20)
            with app.app_context():
                products = [factories.product(f"CND-{n}", f"Candle {n}") for n in range(3)]
                for p in products:
                    factories.lot(p, "400", "3.25", start - timedelta(days=5), "OPENING")
                for item_id, p in zip(items, products):
                    db.session.add(
                        AccountingItem(source="qbo", external_id=item_id, name=p.name, sku=p.sku, item_type="Inventory", product_id=p.id)
                    )
                db.session.commit()
                for n in range(CLIENTS):
                    create_user(db.session, f"member{n}@example.com", PASSWORD, "member", f"Member {n}")
                db.session.remove()
            store_connection(app, sandbox, start)
            env = child_environment(config, databases.start, tmp_path / "instance")
            with gunicorn(env, workers=4, log=tmp_path / "gunicorn.log") as url:
                yield {
                    "app": app,
                    "url": url,
                    "sandbox": sandbox,
                    "customer": customer,
                    "items": items,
                    "start": start,
                    "env": env,
                    "gate": gate,
                }
            with app.app_context():
                db.engine.dispose()
    finally:
        sandbox.close()
        with host.app_context():
            db.engine.dispose()
        databases.close()


class Member:
    """A person in a browser: a requests.Session logged in, sending the page's CSRF token the htmx way."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.http = requests.Session()
        token = CSRF_META.search(self.http.get(f"{base}/login", timeout=10).text)
        assert token
        landed = self.http.post(
            f"{base}/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}, allow_redirects=False, timeout=10
        )
        assert landed.status_code == 302, landed.text[:300]
        page = self.http.get(f"{base}/sales/", timeout=10)
        self.csrf = CSRF_META.search(page.text).group(1)  # type: ignore[union-attr]

    def press_sync(self) -> requests.Response:
        return self.http.post(f"{self.base}/sales/sync", headers={"HX-Request": "true", "X-CSRFToken": self.csrf}, timeout=60)

    def post_form(self, path: str, data: dict[str, str]) -> requests.Response:
        return self.http.post(f"{self.base}{path}", data={**data, "csrf_token": self.csrf}, allow_redirects=False, timeout=60)


def scalar(app, statement):  # type: ignore[no-untyped-def]
    with app.app_context():
        try:
            return db.session.scalar(statement)
        finally:
            db.session.remove()


def violations(app) -> list[str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        try:
            return find_violations(db.session)
        finally:
            db.session.remove()


def add_documents(shop: dict[str, Any], count: int, round_: int) -> dict[str, Decimal]:
    """`count` new invoices upstream; returns the quantity each item sells in them."""
    sold: dict[str, Decimal] = {}
    for n in range(count):
        item = shop["items"][(round_ + n) % len(shop["items"])]
        quantity = Decimal(1 + (round_ * 7 + n) % 4)
        shop["sandbox"].create_document(
            "Invoice", customer_id=shop["customer"], txn_date=shop["start"] + timedelta(days=1 + n % 10), lines=[LineInput(item, quantity)]
        )
        sold[item] = sold.get(item, Decimal(0)) + quantity
    return sold


def stock(app) -> dict[str, Decimal]:  # type: ignore[no-untyped-def]
    with app.app_context():
        try:
            return dict(db.session.execute(select(Product.sku, Product.stock_on_hand)).tuples().all())
        finally:
            db.session.remove()


def test_eight_people_pressing_sync_now_together_start_exactly_one_sync(shop, capsys) -> None:  # type: ignore[no-untyped-def]
    app, gate = shop["app"], shop["gate"]
    members = [Member(shop["url"], f"member{n}@example.com") for n in range(CLIENTS)]
    sold_total: dict[str, Decimal] = {}
    documents = busy_answers = 0
    for round_ in range(1, ROUNDS + 1):
        for item, quantity in add_documents(shop, NEW_PER_ROUND, round_).items():
            sold_total[item] = sold_total.get(item, Decimal(0)) + quantity
        documents += NEW_PER_ROUND
        barrier = threading.Barrier(CLIENTS)

        def press(member: Member) -> requests.Response:
            barrier.wait(timeout=30)  # noqa: B023  (this round's barrier: pressed within the round)
            return member.press_sync()

        # The one sync that starts waits at the sandbox's door until the other seven presses have
        # their answers: it outlasts them however slowly the machine runs. A second sync would wait
        # there too, the seventh answer would not come, and the counts below say so.
        gate.close()
        with ThreadPoolExecutor(CLIENTS) as pool:
            pressed = [pool.submit(press, member) for member in members]
            try:
                first_answers(pressed, CLIENTS - 1)
            finally:
                gate.open()
            answers = [future.result(timeout=CEILING) for future in pressed]
        assert [a.status_code for a in answers] == [200] * CLIENTS
        refused = [a for a in answers if BUSY in a.text]
        ran = [a for a in answers if BUSY not in a.text]
        assert len(ran) == 1 and len(refused) == CLIENTS - 1, [a.text[:200] for a in ran]
        assert 'data-count="created">' + str(NEW_PER_ROUND) + "<" in ran[0].text
        busy_answers += len(refused)
        assert scalar(app, select(func.count(SyncRun.id))) == round_  # the refused presses wrote nothing
        assert scalar(app, select(func.count(Sale.id))) == documents
        assert scalar(app, select(func.count(func.distinct(Sale.external_id)))) == documents
    assert violations(app) == []
    on_hand = stock(app)
    for n, item in enumerate(shop["items"]):
        assert on_hand[f"CND-{n}"] == Decimal(400) - sold_total.get(item, Decimal(0))  # nothing counted twice
    with capsys.disabled():
        print(
            f"\n{ROUNDS} rounds x {CLIENTS} presses: {ROUNDS} syncs ran, {busy_answers} presses told '{BUSY}', "
            f"{documents} documents, {documents} sales, 0 duplicates"
        )


def test_two_processes_refreshing_the_same_token_refresh_it_once(shop) -> None:  # type: ignore[no-untyped-def]
    app, sandbox = shop["app"], shop["sandbox"]
    delay = 3
    sandbox.add_fault("token", "slow", delay=str(delay))  # the first refresh is still in flight when the second comes
    for _attempt in range(2):
        sandbox.reset_counters()
        with app.app_context():
            db.session.execute(update(Connection).values(access_expires_at=utcnow() - timedelta(hours=2)))
            db.session.commit()
            db.session.remove()
        before = plain_tokens(app)
        started = time.monotonic()

        def refresh_items() -> tuple[int, str, str, float]:
            done = run_cli(["qbo", "refresh-items"], shop["env"], timeout=60)
            return done.returncode, done.stdout, done.stderr, time.monotonic() - started  # noqa: B023  (run within the attempt)

        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(lambda _: refresh_items(), range(2)))
        for code, out, err, took in outcomes:
            assert code == 0 and "3 items" in out, out + err
            assert took >= delay  # each waited for the one refresh in flight: they really overlapped
        assert sandbox.counters().get("token.refresh_token", 0) == 1, sandbox.counters()
        after = plain_tokens(app)
        assert after[0] != before[0] and after[1] != before[1]
        assert scalar(app, select(Connection.status)) == "connected"
        # The stored token works: the sandbox answers with it.
        answer = requests.get(
            f"{app.config['QBO_API_BASE']}/company/{sandbox.realm_id}/query",
            params={"query": "SELECT * FROM Item"},
            headers={"Authorization": f"Bearer {after[0]}"},
            timeout=10,
        )
        assert answer.status_code == 200


def test_manual_sales_and_lot_receipts_during_a_sync_are_neither_lost_nor_counted_twice(shop) -> None:  # type: ignore[no-untyped-def]
    app, gate = shop["app"], shop["gate"]
    sold = add_documents(shop, 60, 1)
    syncing = Member(shop["url"], "member0@example.com")
    writers = [Member(shop["url"], f"member{n}@example.com") for n in range(1, 5)]
    product_ids = {sku: pid for sku, pid in _products(app).items()}
    today = date.today().isoformat()

    def write(index: int) -> list[int]:
        member, codes = writers[index], []
        for n in range(5):
            sku = f"CND-{(index + n) % 3}"
            codes.append(
                member.post_form(
                    "/sales/manual/new",
                    {
                        "txn_date": today,
                        "customer": f"Walk-in {index}-{n}",
                        "reference": f"W-{index}-{n}",
                        "lines-0-product_id": str(product_ids[sku]),
                        "lines-0-quantity": "2",
                        "lines-0-unit_price": "15",
                    },
                ).status_code
            )
            codes.append(
                member.post_form(
                    "/lots/receive",
                    {
                        "product_id": str(product_ids[sku]),
                        "received_date": today,
                        "lot_number": f"RCV-{index}-{n}",
                        "quantity": "10",
                        "unit_cost": "3.5",
                        "source": "receipt",
                        "note": "",
                    },
                ).status_code
            )
        return codes

    # The sync waits at the sandbox's door until the first writer is done: the writes meet a running
    # sync, the first ones before it has read a page, the others while it pages (10 a page) and applies.
    gate.close()
    with ThreadPoolExecutor(5) as pool:
        sync = pool.submit(syncing.press_sync)
        try:
            assert gate.arrived.wait(CEILING), "the sync never asked the sandbox"
            assert scalar(app, select(func.count(SyncRun.id)).where(SyncRun.status == "running")) == 1
            writing = [pool.submit(write, index) for index in range(4)]
            first_answers(writing, 1)
        finally:
            gate.open()
        codes = [code for batch in writing for code in batch.result(timeout=CEILING)]
        answer = sync.result(timeout=CEILING)
    assert answer.status_code == 200 and BUSY not in answer.text
    assert codes == [302] * 40
    assert scalar(app, select(SyncRun.status).order_by(SyncRun.id.desc()).limit(1)) == "succeeded"
    assert scalar(app, select(func.count(Sale.id)).where(Sale.source == "manual")) == 20
    assert scalar(app, select(func.count(Lot.id)).where(Lot.lot_number.like("RCV-%"))) == 20
    assert violations(app) == []
    on_hand = stock(app)
    for n, item in enumerate(shop["items"]):
        sku = f"CND-{n}"
        manual_units = sum(2 for index in range(4) for k in range(5) if f"CND-{(index + k) % 3}" == sku)
        received = sum(10 for index in range(4) for k in range(5) if f"CND-{(index + k) % 3}" == sku)
        assert on_hand[sku] == Decimal(400) + received - manual_units - sold.get(item, Decimal(0)), sku


def first_answers(futures: list[Future[Any]], count: int) -> None:
    """Return once `count` of `futures` are done, or after CEILING seconds (the caller's checks then fail)."""
    done = 0
    try:
        for _ in as_completed(futures, timeout=CEILING):
            done += 1
            if done == count:
                return
    except FuturesTimeout:
        return


def _products(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        try:
            return dict(db.session.execute(select(Product.sku, Product.id)).tuples().all())
        finally:
            db.session.remove()
