"""Benchmark 4: 1,000 new documents into 200,000 sales of history, against the same 1,000 into an empty database."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from datetime import date

import sqlalchemy as sa

from benchmarks import history
from benchmarks.common import (
    PG_SERVER,
    Catalog,
    StaticSource,
    app_for,
    check,
    database,
    median,
    run_sync,
    seed_catalog,
    synthetic_documents,
    verdict,
)
from tests.scratch import scratch_database

NEW = 1000
ACTIVE_LOTS = Catalog(products=history.PRODUCTS, lots=history.PRODUCTS * history.ACTIVE_PER_PRODUCT, lot_quantity=100)


@contextmanager
def history_template(kind: str) -> Iterator[str]:
    """A history database built once; copies of it are handed out by `copy_of`."""
    with database(kind) as url:
        app = app_for(url)
        history.build(app)
        from partsemble.extensions import db

        with app.app_context():
            db.engine.dispose()
        yield url


@contextmanager
def copy_of(kind: str, url: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="partsemble-copy-") as tmp:
            source = sa.make_url(url).database
            target = f"{tmp}/copy.db"
            shutil.copy(source, target)
            for suffix in ("-wal", "-shm"):
                with suppress(FileNotFoundError):
                    shutil.copy(source + suffix, target + suffix)
            yield f"sqlite:///{target}"
        return
    with scratch_database(PG_SERVER, "partsemble_copy", sa.make_url(url).database, end_template_sessions=True) as copy:
        yield copy


def documents() -> list:  # type: ignore[type-arg]
    # New sales after the history, numbered apart from it.
    return synthetic_documents(NEW, seed=5, products=history.PRODUCTS, start=date(2025, 3, 1), days=30, first_id=10_000_000)


def timed_sync(url: str, items) -> float:  # type: ignore[no-untyped-def]
    app = app_for(url)
    elapsed, summary = run_sync(app, StaticSource(items, documents()))
    assert summary.outcome == "succeeded", summary.message
    from partsemble.extensions import db

    with app.app_context():
        db.engine.dispose()
    return elapsed


def main(runs: int = 3, kinds: tuple[str, ...] = ("sqlite", "postgresql"), template: str | None = None) -> list[str]:
    lines = []
    for kind in kinds:
        with nullcontext(template) if template else history_template(kind) as template_url:
            items = seed_items()
            full, empty = [], []
            for _ in range(runs):
                with copy_of(kind, template_url) as url:
                    full.append(timed_sync(url, items))
                    if _ == runs - 1:
                        problems = check(app_for(url))
                        assert problems == [], problems[:5]
                with database(kind) as url:
                    app = app_for(url)
                    seed_catalog(app, ACTIVE_LOTS)
                    from partsemble.extensions import db

                    with app.app_context():
                        db.engine.dispose()
                    empty.append(timed_sync(url, items))
            ratio = median(full) / median(empty)
            print(f"  growth {kind}: with history {[round(t, 2) for t in full]} s, empty {[round(t, 2) for t in empty]} s", flush=True)
            lines.append(
                verdict(
                    f"4. growth with history ({kind}, {NEW} documents into 200,000 sales)", ratio, 1.5, higher_is_better=False, unit="x"
                )
            )
    return lines


def seed_items():  # type: ignore[no-untyped-def]
    from partsemble.domain.documents import ItemRecord

    return [ItemRecord(str(i), f"Product {i}", "Inventory") for i in range(1, history.PRODUCTS + 1)] + [
        ItemRecord("900", "Wax", "Inventory"),
        ItemRecord("901", "Shipping", "Service"),
        ItemRecord("902", "Mystery Box", "Inventory"),
    ]


if __name__ == "__main__":
    for line in main(int(sys.argv[1]) if len(sys.argv) > 1 else 3, tuple(sys.argv[2:]) or ("sqlite", "postgresql")):
        print(line)
