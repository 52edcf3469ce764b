"""Benchmark 2: our sync against the floor: the same rows written with plain executemany in one transaction."""

from __future__ import annotations

import sys
import time

import sqlalchemy as sa

from benchmarks.common import StaticSource, app_for, database, median, run_sync, seed_catalog, synthetic_documents, verdict

TABLES = ("sync_runs", "sales", "new_lots", "sale_lines", "lot_consumptions", "stock_transactions", "sale_revisions")


def _rows(url: str) -> dict[str, tuple[list[str], list[tuple]]]:  # type: ignore[type-arg]
    engine = sa.create_engine(url)
    out = {}
    with engine.connect() as conn:
        for table in TABLES:
            source = {"new_lots": "lots WHERE source = 'return'", "stock_transactions": "stock_transactions WHERE type <> 'RECEIVE'"}.get(
                table, table
            )
            result = conn.exec_driver_sql(f"SELECT * FROM {source} ORDER BY id")
            out[table] = (list(result.keys()), [tuple(r) for r in result])
        out["lots"] = (
            ["quantity_remaining", "status", "id"],
            [tuple(r) for r in conn.exec_driver_sql("SELECT quantity_remaining, status, id FROM lots WHERE source <> 'return'")],
        )
        out["products"] = (["stock_on_hand", "id"], [tuple(r) for r in conn.exec_driver_sql("SELECT stock_on_hand, id FROM products")])
    engine.dispose()
    return out


def floor_seconds(kind: str, rows: dict[str, tuple[list[str], list[tuple]]]) -> float:  # type: ignore[type-arg]
    """Seconds to write the rows with the driver's executemany, one transaction, no ORM, no checks."""
    with database(kind) as url:
        app = app_for(url)
        seed_catalog(app)
        engine = sa.create_engine(url)
        mark = "?" if kind == "sqlite" else "%s"
        with engine.connect() as conn:
            if kind == "sqlite":
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
            raw = conn.connection.driver_connection
            cursor = raw.cursor()
            runs_columns, runs = rows["sync_runs"]
            cursor.executemany(f"INSERT INTO sync_runs ({', '.join(runs_columns)}) VALUES ({', '.join([mark] * len(runs_columns))})", runs)
            began = time.perf_counter()
            for table in TABLES[1:]:
                columns, values = rows[table]
                if values:
                    table = "lots" if table == "new_lots" else table
                    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})", values)
            cursor.executemany(f"UPDATE lots SET quantity_remaining = {mark}, status = {mark} WHERE id = {mark}", rows["lots"][1])
            cursor.executemany(f"UPDATE products SET stock_on_hand = {mark} WHERE id = {mark}", rows["products"][1])
            raw.commit()
            elapsed = time.perf_counter() - began
        engine.dispose()
        from partsemble.extensions import db

        with app.app_context():
            db.engine.dispose()
        return elapsed


def once(kind: str, n: int) -> tuple[float, float]:
    with database(kind) as url:
        app = app_for(url)
        items = seed_catalog(app)
        ours, summary = run_sync(app, StaticSource(items, synthetic_documents(n)))
        assert summary.outcome == "succeeded"
        rows = _rows(url)
        from partsemble.extensions import db

        with app.app_context():
            db.engine.dispose()
    return ours, floor_seconds(kind, rows)


def main(n: int = 20_000, runs: int = 3, kinds: tuple[str, ...] = ("sqlite", "postgresql")) -> list[str]:
    lines = []
    for kind in kinds:
        ratios = []
        for _ in range(runs):
            ours, floor = once(kind, n)
            ratios.append(ours / floor)
            print(f"  floor {kind}: ours {ours:.2f} s, floor {floor:.2f} s, ratio {ours / floor:.2f}", flush=True)
        lines.append(verdict(f"floor ratio ({kind}, {n} documents)", median(ratios), 4, higher_is_better=False, unit="x"))
    return lines


if __name__ == "__main__":
    for line in main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3):
        print(line)
