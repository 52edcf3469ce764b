"""Lot CSV import: 50,000 rows on SQLite, and how long logins wait while it runs.

python -m benchmarks.bench_import [ROWS]

The import runs in a child process (as a gunicorn worker would) on a file database in
WAL mode; meanwhile this process logs in through the app every 50 ms and records how
long each answer took (from posting the form to the redirect), and how much of that its
thread ran (the rest it waited: for a lock, or for a core on a loaded machine). What a
server does once an answer is sent (closing the response, which records the login's time,
and logging out) runs on 4 other threads, as on a worker's other threads. The child reports
when its transaction held SQLite's write lock, so the logins that overlapped it are counted
apart. Half the rows leave the lot number blank, on a few dates per product, so suggestions
walk long `-2, -3, ...` runs: the case that was quadratic.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from benchmarks.common import app_for, check, database

ROWS = 50_000
PRODUCTS = 50
PASSWORD = "benchmark password"
TARGET_SECONDS = 15
TARGET_LOGIN_SECONDS = 1
SERVER_THREADS = 4  # what a server does after an answer (README: gunicorn --threads 4) waits on these


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
            create_product(db.session, ProductInput(f"Product {i}", f"FG-{i:03d}", "finished_good", "each"))
        create_user(db.session, "admin@example.com", PASSWORD, "admin")
        db.session.remove()


def child(url: str, instance: str, csv_path: str) -> None:
    """Import the file; print the seconds it took, the rows, and when (wall clock) the write lock was held."""
    from sqlalchemy import event

    from partsemble.extensions import db
    from partsemble.lots.services import import_lots

    app = app_for(url, instance)
    held: list[float] = []
    with app.app_context():

        def locked(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
            if statement == "BEGIN IMMEDIATE":
                held.append(time.time())

        event.listen(db.engine, "after_cursor_execute", locked)
        event.listen(db.engine, "commit", lambda conn: held.append(time.time()) if len(held) == 1 else None)
        began, cpu = time.perf_counter(), time.process_time()
        lots = import_lots(db.session, Path(csv_path).read_bytes(), None)
        print(f"{time.perf_counter() - began:.3f} {len(lots)} {held[0]:.3f} {held[1]:.3f} {time.process_time() - cpu:.3f}", flush=True)


@dataclass(frozen=True)
class Login:
    began: float  # wall clock
    seconds: float  # until the answer (the redirect) came back
    cpu: float  # of those, seconds this thread ran (the rest it waited: for a lock or for a core)


def login(app, after_answer: ThreadPoolExecutor) -> Login:  # type: ignore[no-untyped-def]
    import re

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    wall, began, ran = time.time(), time.perf_counter(), time.thread_time()
    response = client.post("/login", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": token})
    elapsed, cpu = time.perf_counter() - began, time.thread_time() - ran
    assert response.status_code == 302, response.status_code

    def finish() -> None:
        response.close()  # as a server does once the answer is sent: the login's time is recorded
        client.post("/logout", data={"csrf_token": token})

    after_answer.submit(finish)
    return Login(wall, elapsed, cpu)


@dataclass(frozen=True)
class Outcome:
    seconds: float
    cpu: float  # seconds the import's process ran (what the machine's other load does not change)
    locked: tuple[float, float]  # wall clock: the import's write lock taken, released
    logins: list[Login]
    alone: list[Login]  # just before the import, on the same machine

    def during_write(self) -> list[Login]:
        """The logins whose wait overlapped the import's write transaction."""
        return [x for x in self.logins if x.began < self.locked[1] and x.began + x.seconds > self.locked[0]]


def run(rows: int) -> Outcome:
    with database("sqlite") as url, tempfile.TemporaryDirectory(prefix="partsemble-bench-") as tmp:
        app = app_for(url, tmp, WTF_CSRF_ENABLED=False)
        seed(app)
        csv_path = Path(tmp) / "lots.csv"
        csv_path.write_text(lot_csv(rows))
        with ThreadPoolExecutor(SERVER_THREADS) as before:
            alone = [login(app, before) for _ in range(10)]
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_import", "--child", url, tmp, str(csv_path)], stdout=subprocess.PIPE, text=True
        )
        logins: list[Login] = []
        with ThreadPoolExecutor(SERVER_THREADS) as after_answer:
            while process.poll() is None:
                logins.append(login(app, after_answer))
                time.sleep(0.05)
        out, _ = process.communicate()
        assert process.returncode == 0
        seconds, count, locked, unlocked, cpu = out.split()
        assert int(count) == rows, out
        problems = check(app)
        assert problems == [], problems[:5]
        from partsemble.extensions import db

        with app.app_context():
            db.engine.dispose()
        return Outcome(float(seconds), float(cpu), (float(locked), float(unlocked)), logins, alone)


def main(rows: int = ROWS) -> list[str]:
    outcome = run(rows)
    times = [x.seconds for x in outcome.logins]
    worst = max(times, default=0.0)
    median_login = statistics.median(times) if times else 0.0
    overlapping = outcome.during_write()
    answered_while_held = [x for x in overlapping if x.began + x.seconds < outcome.locked[1]]
    return [
        f"lot import of {rows:,} rows (SQLite): {outcome.seconds:.1f} s, CPU {outcome.cpu:.1f} s (target < {TARGET_SECONDS} s): "
        + ("pass" if outcome.seconds < TARGET_SECONDS else "MISS"),
        f"its write lock held {outcome.locked[1] - outcome.locked[0]:.2f} s; logins overlapping that: {len(overlapping)}, "
        f"answered before it was released: {len(answered_while_held)}, "
        f"worst {max((x.seconds for x in overlapping), default=0.0) * 1000:.0f} ms",
        f"logins during the import: {len(times)}, median {median_login * 1000:.0f} ms "
        f"(CPU {statistics.median(x.cpu for x in outcome.logins) * 1000:.0f} ms), worst {worst * 1000:.0f} ms "
        f"(target < {TARGET_LOGIN_SECONDS} s): " + ("pass" if worst < TARGET_LOGIN_SECONDS else "MISS"),
        f"logins just before it (no import): median {statistics.median(x.seconds for x in outcome.alone) * 1000:.0f} ms "
        f"(CPU {statistics.median(x.cpu for x in outcome.alone) * 1000:.0f} ms), "
        f"worst {max(x.seconds for x in outcome.alone) * 1000:.0f} ms",
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        for line in main(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS):
            print(line)
