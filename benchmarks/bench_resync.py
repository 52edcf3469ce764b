"""Benchmark 5: a second sync of the same 20,000 unchanged documents (all skipped)."""

from __future__ import annotations

import sys

from benchmarks.common import StaticSource, app_for, check, database, median, run_sync, seed_catalog, synthetic_documents, verdict


def main(n: int = 20_000, runs: int = 3, kinds: tuple[str, ...] = ("sqlite", "postgresql")) -> list[str]:
    lines = []
    for kind in kinds:
        with database(kind) as url:
            app = app_for(url)
            items = seed_catalog(app)
            source = StaticSource(items, synthetic_documents(n))
            first, summary = run_sync(app, source)
            errors = summary.errors
            rates = []
            for _ in range(runs):
                elapsed, again = run_sync(app, source)
                # Failed documents are retried every time (re-read by id); every other one is skipped.
                assert again.skipped == n - errors and again.created == 0 and again.updated == 0, again
                rates.append(n / elapsed)
            problems = check(app)
            assert problems == [], problems[:5]
            from partsemble.extensions import db

            with app.app_context():
                db.engine.dispose()
        print(f"  re-sync {kind}: first sync {n / first:.0f} docs/s, re-syncs {[round(r) for r in rates]} docs/s", flush=True)
        lines.append(verdict(f"re-sync of unchanged documents ({kind}, {n})", median(rates), 10_000, higher_is_better=True, unit="docs/s"))
    return lines


if __name__ == "__main__":
    for line in main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3):
        print(line)
