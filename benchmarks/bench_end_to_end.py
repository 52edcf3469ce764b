"""Benchmark 3: 20,000 documents served by the sandbox over HTTP, through the real client, in MAXRESULTS 1000 pages."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from benchmarks.common import START, app_for, check, database, median, seed_catalog, verdict
from benchmarks.sandbox_server import CLIENT_ID

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _link_generated_items(app, generated) -> None:  # type: ignore[no-untyped-def]
    """Point the benchmark catalog's items 1..50 at the sandbox's generated items."""
    import sqlalchemy as sa

    from partsemble.extensions import db
    from partsemble.models.catalog import AccountingItem

    with app.app_context():
        for index, (item_id, name, sku) in enumerate(generated.products, start=1):
            db.session.execute(
                sa.update(AccountingItem)
                .where(AccountingItem.external_id == str(index))
                .values(external_id=f"g{item_id}", name=name, sku=sku)
            )
        db.session.flush()
        db.session.execute(
            sa.update(AccountingItem)
            .where(AccountingItem.external_id.like("g%"))
            .values(external_id=sa.func.substr(AccountingItem.external_id, 2))
        )
        db.session.commit()


def _store_tokens(app, pair) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from partsemble.connections.tokens import TokenCipher
    from partsemble.extensions import db
    from partsemble.models.sync import Connection
    from partsemble.sandbox import REALM_ID

    cipher = TokenCipher(app.config)
    with app.app_context():
        db.session.execute(
            sa.update(Connection).values(
                realm_id=REALM_ID,
                access_token_enc=cipher.encrypt(pair.access_token),
                refresh_token_enc=cipher.encrypt(pair.refresh_token),
                access_expires_at=datetime.now(timezone.utc) + timedelta(hours=1),
            )
        )
        db.session.commit()


def once(n: int) -> dict[str, float]:
    from partsemble.sandbox import SandboxCompany

    with tempfile.TemporaryDirectory(prefix="partsemble-e2e-") as tmp, database("sqlite") as url:
        sandbox_url = f"sqlite:///{tmp}/sandbox.db"
        company = SandboxCompany.open(sandbox_url)
        generated = company.generate(n, start=START, end=START + timedelta(days=364), seed=3, products=50)
        pair = company.issue_tokens(CLIENT_ID)
        company.close()
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.sandbox_server", str(port), sandbox_url],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}/sandbox"
            for _ in range(100):
                try:
                    requests.get(base + "/", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            app = app_for(url, tmp)
            seed_catalog(app)
            _link_generated_items(app, generated)
            _store_tokens(app, pair)
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.e2e_worker", url, base + "/v3", base + "/oauth2/tokens/bearer", tmp],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                env=dict(os.environ),
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            assert result["outcome"] == "succeeded", result
            assert result["created"] + result["voided"] + result["errors"] == n, result
            problems = check(app)
            assert problems == [], problems[:5]
            from partsemble.extensions import db

            with app.app_context():
                db.engine.dispose()
            return {"rate": n / result["elapsed"], "rss_mb": result["max_rss_kb"] / 1024, "errors": result["errors"]}
        finally:
            server.terminate()
            server.wait(10)


def main(n: int = 20_000, runs: int = 3) -> list[str]:
    results = []
    for _ in range(runs):
        result = once(n)
        print(
            f"  end to end: {result['rate']:.0f} docs/s, peak {result['rss_mb']:.0f} MB, {result['errors']:.0f} failed documents",
            flush=True,
        )
        results.append(result)
    return [
        verdict(
            f"3. end to end over HTTP ({n} documents)", median([r["rate"] for r in results]), 800, higher_is_better=True, unit="docs/s"
        ),
        verdict("3. peak memory of the sync process", median([r["rss_mb"] for r in results]), 250, higher_is_better=False, unit="MB"),
    ]


if __name__ == "__main__":
    for line in main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3):
        print(line)
