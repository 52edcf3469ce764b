"""Benchmark 7 (issue 11): re-costing when facts land out of date order.

a. One product with 20,000 sales; a lot dated before all of them arrives: every sale draws
   from other lots now. Time of that lot receipt (re-cost included). Target < 2 s on SQLite.
b. 3,000 documents over 50 products; 12 of them fail on an unlinked item until it is linked.
   Retrying them re-costs only the products they touch (counted, asserted), in how long.
"""

from __future__ import annotations

import random
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import partsemble.costing as costing
from benchmarks.common import (
    START,
    Catalog,
    StaticSource,
    app_for,
    check,
    database,
    median,
    run_sync,
    seed_catalog,
    synthetic_documents,
    timed,
    verdict,
)
from partsemble.domain.documents import CustomerRef, DocumentLine, DocumentType, LineKind, SalesDocument


def single_product_sales(n: int) -> list[SalesDocument]:
    rng = random.Random(3)
    stamp = datetime(2026, 1, 1, tzinfo=timezone.utc)
    docs = []
    for i in range(1, n + 1):
        qty = Decimal(rng.randint(1, 3))
        stamp += timedelta(seconds=1)
        line = DocumentLine(
            line_id="1", kind=LineKind.ITEM, item_id="1", item_name="Product 1", quantity=qty, unit_price=Decimal(20), amount=qty * 20
        )
        docs.append(
            SalesDocument(
                type=DocumentType.INVOICE,
                id=str(i),
                version="0",
                number=str(i),
                txn_date=START + timedelta(days=i * 365 // n),
                customer=CustomerRef(f"C{i % 300}", f"Customer {i % 300}"),
                lines=(line,),
                currency="USD",
                exchange_rate=Decimal(1),
                total_amount=qty * 20,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    return docs


def back_dated_lot(kind: str, n: int) -> tuple[float, int]:
    """Seconds to receive a lot dated before `n` costed sales of its product, and the sales re-costed."""
    from partsemble.extensions import db
    from partsemble.lots.services import LotInput, receive_lot
    from partsemble.models.sales import SaleRevision

    with database(kind) as url:
        app = app_for(url)
        items = seed_catalog(app, Catalog(products=1, lots=100, lot_quantity=600))
        elapsed, summary = run_sync(app, StaticSource(items, single_product_sales(n)))
        assert summary.created == n and summary.recosted == 0, summary  # in date order: nothing to re-cost
        with app.app_context():
            seconds = timed(
                lambda: receive_lot(db.session, LotInput(1, "EARLY", START - timedelta(days=500), Decimal(1000), Decimal("0.50")), None)
            )
            recosted = db.session.query(SaleRevision).filter(SaleRevision.action == "recosted").count()
            db.session.remove()
        problems = check(app)
        assert problems == [], problems[:5]
        with app.app_context():
            db.engine.dispose()
    return seconds, recosted


def retry_after_linking(kind: str) -> tuple[float, set[int], set[int]]:
    """Seconds of the retry sync, the products it re-costed, and the products its 12 documents touch."""
    from sqlalchemy import update

    from partsemble.extensions import db
    from partsemble.models.catalog import AccountingItem
    from partsemble.sync.service import SyncRequest, SyncSettings, run_sync as sync

    docs = synthetic_documents(3000, unlinked_per_mille=0, void_per_mille=0, credit_per_mille=0)
    mystery = DocumentLine(
        line_id="u",
        kind=LineKind.ITEM,
        item_id="902",
        item_name="Mystery Box",
        quantity=Decimal(1),
        unit_price=Decimal(5),
        amount=Decimal(5),
    )
    waiting = list(range(100, 2500, 200))[:12]
    for i in waiting:
        docs[i] = replace(docs[i], lines=docs[i].lines + (mystery,))
    touched = {int(line.item_id) for i in waiting for line in docs[i].lines if line.item_id not in ("901", "902")}
    with database(kind) as url:
        app = app_for(url)
        items = seed_catalog(app)
        source = StaticSource(items, docs)
        _, first = run_sync(app, source)
        assert first.errors == 12, first
        with app.app_context():
            db.session.execute(update(AccountingItem).where(AccountingItem.external_id == "902").values(not_tracked=True))
            db.session.commit()
            seen: set[int] = set()
            original = costing.recost_product

            def counting(session, product_id, *args, **kwargs):  # type: ignore[no-untyped-def]
                seen.add(product_id)
                return original(session, product_id, *args, **kwargs)

            costing.recost_product = counting  # type: ignore[assignment]
            try:
                seconds = timed(
                    lambda: sync(db.session, source, SyncRequest(trigger="cli", only_failed=True, item_id="902"), SyncSettings())
                )
            finally:
                costing.recost_product = original  # type: ignore[assignment]
            db.session.remove()
        problems = check(app)
        assert problems == [], problems[:5]
        with app.app_context():
            db.engine.dispose()
    return seconds, seen, touched


def main(n: int = 20_000, runs: int = 3, kinds: tuple[str, ...] = ("sqlite", "postgresql")) -> list[str]:
    lines = []
    for kind in kinds:
        results = [back_dated_lot(kind, n) for _ in range(runs)]
        print(
            f"  back-dated lot before {n:,} sales ({kind}): {[round(s, 2) for s, _ in results]} s, re-costed {results[0][1]:,} sales",
            flush=True,
        )
        if kind == "sqlite":
            lines.append(
                verdict(
                    f"7a. re-cost of one product with {n:,} later sales after a back-dated lot ({kind})",
                    median([s for s, _ in results]),
                    2,
                    higher_is_better=False,
                    unit="s",
                )
            )
        else:
            lines.append(
                f"INFO 7a. re-cost of one product with {n:,} later sales after a back-dated lot ({kind}): "
                f"{median([s for s, _ in results]):.2f} s"
            )
        seconds, seen, touched = retry_after_linking(kind)
        assert seen <= touched, (seen, touched)
        print(
            f"  retry of 12 documents ({kind}): {seconds:.2f} s, re-costed products {sorted(seen)} of those they touch {sorted(touched)}",
            flush=True,
        )
        lines.append(
            f"{'PASS' if seen <= touched else 'MISS'} 7b. retry of 12 documents re-costs only their products ({kind}): "
            f"{len(seen)} re-costed, {len(touched)} touched, of 50; {seconds:.2f} s"
        )
    return lines


if __name__ == "__main__":
    for line in main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 20_000,
        runs=int(sys.argv[2]) if len(sys.argv) > 2 else 3,
        kinds=tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else ("sqlite", "postgresql"),
    ):
        print(line)
