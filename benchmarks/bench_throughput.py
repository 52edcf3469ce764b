"""Benchmark 1: apply 20,000 synthetic documents through the real sync service (SQLite and PostgreSQL)."""

from __future__ import annotations

import sys

from benchmarks.common import StaticSource, app_for, check, database, median, run_sync, seed_catalog, synthetic_documents, verdict

TARGETS = {"sqlite": 1500, "postgresql": 800}


def once(kind: str, n: int) -> float:
    with database(kind) as url:
        app = app_for(url)
        items = seed_catalog(app)
        docs = synthetic_documents(n)
        elapsed, summary = run_sync(app, StaticSource(items, docs))
        assert summary.outcome == "succeeded", summary.message
        assert summary.created + summary.voided + summary.errors == n, summary
        problems = check(app)
        assert problems == [], problems[:5]
        from partsemble.extensions import db

        with app.app_context():
            db.engine.dispose()
        return n / elapsed


def main(n: int = 20_000, runs: int = 3, kinds: tuple[str, ...] = ("sqlite", "postgresql")) -> list[str]:
    lines = []
    for kind in kinds:
        rates = [once(kind, n) for _ in range(runs)]
        print(f"  throughput {kind}: runs {[round(r) for r in rates]} docs/s", flush=True)
        lines.append(
            verdict(f"processing throughput ({kind}, {n} documents)", median(rates), TARGETS[kind], higher_is_better=True, unit="docs/s")
        )
    return lines


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    for line in main(n, runs=int(sys.argv[2]) if len(sys.argv) > 2 else 3):
        print(line)
