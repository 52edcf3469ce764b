"""Lot CSV import: 50,000 rows on SQLite, and how long logins wait while it runs.

python -m benchmarks.bench_import [ROWS]

The import runs in a child process (as a gunicorn worker would) on a file database in
WAL mode; meanwhile this process logs in through the app every 50 ms and records how
long each login took. Half the rows leave the lot number blank, on a few dates per
product, so suggestions walk long `-2, -3, ...` runs: the case that was quadratic.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from benchmarks.common import app_for, check, database

ROWS = 50_000
PRODUCTS = 50
PASSWORD = "benchmark password"
TARGET_SECONDS = 15
TARGET_LOGIN_SECONDS = 1


def lot_csv(rows: int, products: int = PRODUCTS) -> str:
    lines = ["sku,lot_number,received_date,quantity,unit_cost"]
    first = date(2025, 1, 1)
    for i in range(rows):
        sku = f"FG-{i % products:03d}"
        received = first + timedelta(days=(i // products) % 20)
        number = "" if i % 2 else f"B{i}"
        lines.append(f"{sku},{number},{received.isoformat()},{1 + i % 40},{i % 900 + 100}.{i % 100:02d}")
    return "\n".join(lines) + "\n"


def seed(app) -> None:  # type: ignore[no-untyped-def]
    from partsemble.auth.services import create_user
    from partsemble.extensions import db
    from partsemble.products.services import ProductInput, create_product

    with app.app_context():
        for i in range(PRODUCTS):
            create_product(ProductInput(f"Product {i}", f"FG-{i:03d}", "finished_good", "each"))
        create_user("admin@example.com", PASSWORD, "admin")
        db.session.remove()


def child(url: str, instance: str, csv_path: str) -> None:
    """Import the file; print the seconds it took."""
    from partsemble.inventory.services import import_lots

    app = app_for(url, instance)
    with app.app_context():
        began = time.perf_counter()
        lots = import_lots(Path(csv_path).read_bytes(), None)
        print(f"{time.perf_counter() - began:.3f} {len(lots)}", flush=True)


def login_seconds(client) -> float:  # type: ignore[no-untyped-def]
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    began = time.perf_counter()
    response = client.post("/login", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token})
    elapsed = time.perf_counter() - began
    assert response.status_code == 302, response.status_code
    client.post("/logout", data={"csrf_token": token})
    return elapsed


def run(rows: int) -> tuple[float, list[float]]:
    with database("sqlite") as url, tempfile.TemporaryDirectory(prefix="partsemble-bench-") as tmp:
        app = app_for(url, tmp, WTF_CSRF_ENABLED=False)
        seed(app)
        csv_path = Path(tmp) / "lots.csv"
        csv_path.write_text(lot_csv(rows))
        process = subprocess.Popen([sys.executable, "-m", "benchmarks.bench_import", "--child", url, tmp, str(csv_path)],
                                   stdout=subprocess.PIPE, text=True)
        logins = []
        while process.poll() is None:
            logins.append(login_seconds(app.test_client()))
            time.sleep(0.05)
        out, _ = process.communicate()
        assert process.returncode == 0
        seconds, count = out.split()
        assert int(count) == rows, out
        problems = check(app)
        assert problems == [], problems[:5]
        from partsemble.extensions import db

        with app.app_context():
            db.engine.dispose()
        return float(seconds), logins


def main(rows: int = ROWS) -> list[str]:
    seconds, logins = run(rows)
    worst = max(logins) if logins else 0.0
    median_login = statistics.median(logins) if logins else 0.0
    return [
        f"lot import of {rows:,} rows (SQLite): {seconds:.1f} s (target < {TARGET_SECONDS} s): "
        + ("pass" if seconds < TARGET_SECONDS else "MISS"),
        f"logins during it: {len(logins)}, median {median_login * 1000:.0f} ms, worst {worst * 1000:.0f} ms "
        f"(target < {TARGET_LOGIN_SECONDS} s): " + ("pass" if worst < TARGET_LOGIN_SECONDS else "MISS"),
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        for line in main(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS):
            print(line)
