"""Benchmark 6: pages with 200,000 sales: first byte of the Sales tab, a filtered list, a product page;
the CSV export of 20,000 rows streamed in constant memory."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from benchmarks.bench_end_to_end import free_port
from benchmarks.bench_growth import copy_of, history_template
from benchmarks.common import app_for, median, verdict

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "Sales tab": "/sales/",
    "filtered sales list": "/sales/?customer=Customer+17&from=2023-01-01&to=2024-12-31&type=Invoice",
    "product page": "/products/7",
}
EXPORT = "/sales/export.csv?from=2024-06-01&to=2024-12-31"  # about 23,000 of the 200,000 sales


def first_byte(session: requests.Session, url: str) -> float:
    began = time.perf_counter()
    with session.get(url, stream=True, timeout=60) as response:
        response.raise_for_status()
        next(response.iter_content(1))
        return time.perf_counter() - began


def rss_peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def login(base: str, url: str, tmp: str) -> requests.Session:
    app = app_for(url, tmp)
    with app.app_context():
        from partsemble.auth.services import create_user
        from partsemble.extensions import db

        create_user(db.session, "bench@example.com", "benchmark password", "viewer")

        db.engine.dispose()
    session = requests.Session()
    page = session.get(base + "/login").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = session.post(
        base + "/login", data={"email": "bench@example.com", "password": "benchmark password", "csrf_token": token}, allow_redirects=False
    )
    assert response.status_code == 302, response.text[:300]
    return session


def measure(kind: str, template: str, repeat: int = 10) -> list[str]:
    lines = []
    with copy_of(kind, template) as url, tempfile.TemporaryDirectory(prefix="partsemble-pages-") as tmp:
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.app_server", str(port), url, tmp],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    requests.get(base + "/login", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            session = login(base, url, tmp)
            for name, path in PAGES.items():
                first_byte(session, base + path)  # warm the caches once
                times = [first_byte(session, base + path) for _ in range(repeat)]
                print(
                    f"  pages {kind}: {name} median {median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})",
                    flush=True,
                )
                lines.append(
                    verdict(f"6. first byte, {name} ({kind}, 200,000 sales)", median(times) * 1000, 300, higher_is_better=False, unit="ms")
                )
            before = rss_peak_kb(server.pid)
            began = time.perf_counter()
            with session.get(base + EXPORT, stream=True, timeout=120) as response:
                first = None
                rows = 0
                for chunk in response.iter_content(65536):
                    if first is None:
                        first = time.perf_counter() - began
                    rows += chunk.count(b"\n")
            total = time.perf_counter() - began
            grown = (rss_peak_kb(server.pid) - before) / 1024
            print(
                f"  pages {kind}: export {rows - 1} rows, first byte {first * 1000:.0f} ms, all {total:.2f} s, server peak memory grew {grown:.1f} MB",
                flush=True,
            )  # type: ignore[operator]
            lines.append(
                verdict(f"6. CSV export of {rows - 1} rows: server memory growth ({kind})", grown, 50, higher_is_better=False, unit="MB")
            )
        finally:
            server.terminate()
            server.wait(10)
    return lines


def main(kinds: tuple[str, ...] = ("sqlite", "postgresql"), templates: dict[str, str] | None = None) -> list[str]:
    lines = []
    for kind in kinds:
        if templates and kind in templates:
            lines += measure(kind, templates[kind])
            continue
        with history_template(kind) as template:
            lines += measure(kind, template)
    return lines


if __name__ == "__main__":
    for line in main(tuple(sys.argv[1:]) or ("sqlite", "postgresql")):
        print(line)
