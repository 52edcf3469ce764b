"""make bench: the seven benchmarks, medians of 3 runs, one verdict line each.

Throughput, floor ratio and re-sync share each run's database (the sync of
20,000 documents is measured once and then re-synced and dumped for the
floor); the growth and pages benchmarks share one history database per backend.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks import bench_end_to_end, bench_floor, bench_growth, bench_pages, bench_recost
from benchmarks.common import StaticSource, app_for, check, database, machine, median, run_sync, seed_catalog, synthetic_documents, verdict

N = 20_000
RUNS = 3
OUT = Path(__file__).resolve().parent / "out"


def sync_benchmarks(kind: str) -> list[str]:
    rates, resyncs, ratios = [], [], []
    for _ in range(RUNS):
        with database(kind) as url:
            app = app_for(url)
            items = seed_catalog(app)
            source = StaticSource(items, synthetic_documents(N))
            elapsed, summary = run_sync(app, source)
            assert summary.outcome == "succeeded" and summary.created + summary.voided + summary.errors == N, summary
            again, second = run_sync(app, source)
            assert second.created == second.updated == 0 and second.skipped == N - summary.errors, second
            problems = check(app)
            assert problems == [], problems[:5]
            rows = bench_floor._rows(url)
            from partsemble.extensions import db

            with app.app_context():
                db.engine.dispose()
        floor = bench_floor.floor_seconds(kind, rows)
        rates.append(N / elapsed)
        resyncs.append(N / again)
        ratios.append(elapsed / floor)
        print(
            f"  {kind}: sync {N / elapsed:,.0f} docs/s, re-sync {N / again:,.0f} docs/s, floor {floor:.2f} s (ratio {elapsed / floor:.2f})",
            flush=True,
        )
    target = {"sqlite": 1500, "postgresql": 800}[kind]
    return [
        verdict(f"1. processing throughput ({kind}, {N:,} documents)", median(rates), target, higher_is_better=True, unit="docs/s"),
        verdict(f"2. floor ratio ({kind})", median(ratios), 4, higher_is_better=False, unit="x"),
        verdict(f"5. re-sync of {N:,} unchanged documents ({kind})", median(resyncs), 10_000, higher_is_better=True, unit="docs/s"),
    ]


def main() -> None:
    began = time.perf_counter()
    print(f"Partsemble benchmarks on {machine()}", flush=True)
    lines: list[str] = []
    for kind in ("sqlite", "postgresql"):
        lines += sync_benchmarks(kind)
    lines += bench_end_to_end.main(N, RUNS)
    for kind in ("sqlite", "postgresql"):
        with bench_growth.history_template(kind) as template:
            lines += bench_growth.main(RUNS, (kind,), template=template)
            lines += bench_pages.main((kind,), templates={kind: template})
    lines += bench_recost.main(N, RUNS)
    minutes = (time.perf_counter() - began) / 60
    print()
    for line in lines:
        print(line)
    print(f"All benchmarks took {minutes:.1f} minutes.")
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps({"machine": machine(), "minutes": minutes, "verdicts": lines}, indent=2))
    sys.exit(0)


if __name__ == "__main__":
    main()
