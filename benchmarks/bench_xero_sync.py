"""A first sync of 10,000 Xero documents: the sandbox's Xero face served over HTTP in its own process,
Sync Now (the CLI's sync_now, every active channel: here Xero alone) with the real XeroSource built by
open_source over the stored, encrypted connection, in a worker process of its own (its peak memory is
its own). Xero's pages are 100 documents (Xero's default; the connector asks no other size).

python -m benchmarks.bench_xero_sync [N] [RUNS] [--xero-limits]

Without --xero-limits the organisation's call limits are raised out of reach, so the time is the
sync's own; with it they are Xero's (60 calls a minute, 5,000 a day) and the run waits as Xero
would make it wait. Prints one line per run and the median; no target is set for this benchmark.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

import requests

from benchmarks.bench_end_to_end import ROOT, free_port
from benchmarks.common import START, app_for, check, database, median

CLIENT_ID, CLIENT_SECRET = "bench-xero-client", "bench-xero-secret"
PRODUCTS = 50


def serve(port: int, url: str) -> None:
    """The sandbox alone, with Xero client credentials (python -m benchmarks.bench_xero_sync serve PORT URL)."""
    from flask import Flask
    from flask_wtf import CSRFProtect
    from werkzeug.serving import make_server

    import partsemble.sandbox

    app = Flask("sandbox")
    app.config.update(SECRET_KEY="bench", SANDBOX_DATABASE_URL=url, XERO_CLIENT_ID=CLIENT_ID, XERO_CLIENT_SECRET=CLIENT_SECRET)
    CSRFProtect().init_app(app)
    partsemble.sandbox.register(app)
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


def xero_config(base: str) -> dict[str, object]:
    xero = base + "/xero"
    return {
        "XERO_CLIENT_ID": CLIENT_ID,
        "XERO_CLIENT_SECRET": CLIENT_SECRET,
        "XERO_API_BASE": xero + "/api.xro/2.0",
        "XERO_TOKEN_URL": xero + "/identity/connect/token",
        "XERO_REVOKE_URL": xero + "/identity/connect/revocation",
        "XERO_CONNECTIONS_URL": xero + "/connections",
    }


def worker(db_url: str, base: str, instance: str) -> None:
    """One Sync Now, timed; prints JSON (python -m benchmarks.bench_xero_sync worker DB_URL BASE INSTANCE)."""
    from benchmarks.e2e_worker import peak_rss_kb
    from partsemble.connections.source import open_source
    from partsemble.extensions import db
    from partsemble.sync.start import sync_now

    app = app_for(db_url, instance, **xero_config(base))
    with app.app_context():
        began = time.perf_counter()
        summary = sync_now(db.session, app.config, open_source, trigger="cli")
        elapsed = time.perf_counter() - began
    channels = {c.channel: c.outcome for c in summary.channels}
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "outcome": summary.outcome,
                "channels": channels,
                "message": summary.message,
                "created": summary.created,
                "voided": summary.voided,
                "errors": summary.errors,
                "fetched": summary.fetched,
                "max_rss_kb": peak_rss_kb(),
            }
        )
    )


def _connect(app, generated, tenant_id: str, tokens) -> int:  # type: ignore[no-untyped-def]
    """Connect Xero as the connect callback leaves it (tokens encrypted), read its item list over HTTP,
    and link the generated items to the catalog's products 1..50; how many items were linked."""
    import sqlalchemy as sa

    from partsemble.connections.source import open_source
    from partsemble.connections.tokens import TokenCipher
    from partsemble.extensions import db
    from partsemble.models.catalog import AccountingItem
    from partsemble.models.sync import Connection
    from partsemble.sandbox.xero.ids import xero_id
    from partsemble.sync.start import refresh_item_list

    cipher = TokenCipher(app.config)
    now = datetime.now(timezone.utc)
    with app.app_context():
        db.session.execute(sa.delete(AccountingItem))  # the catalog's QuickBooks items: this book is Xero's
        db.session.add(
            Connection(
                provider="xero",
                realm_id=tenant_id,
                company_name="Bench",
                status="connected",
                access_token_enc=cipher.encrypt(tokens.access_token),
                refresh_token_enc=cipher.encrypt(tokens.refresh_token),
                access_expires_at=now + timedelta(seconds=tokens.expires_in),
                refresh_expires_at=now + timedelta(days=60),
                initial_sync_date=START,
            )
        )
        db.session.commit()
        refresh_item_list(db.session, app.config, open_source, "xero")
        linked = 0
        for product_id, (item_id, _name, _sku) in enumerate(generated.products[:PRODUCTS], start=1):
            linked += db.session.execute(
                sa.update(AccountingItem)
                .where(AccountingItem.source == "xero", AccountingItem.external_id == xero_id("Item", int(item_id)))
                .values(product_id=product_id)
            ).rowcount
        db.session.commit()
        db.session.remove()
    return linked


def read_alone(app, n: int) -> float:  # type: ignore[no-untyped-def]
    """Seconds to read the same documents again without applying them: how much of the sync is reading Xero's pages."""
    from partsemble.connections.source import open_source
    from partsemble.extensions import db

    with app.app_context():
        source = open_source(app.config, channel="xero")
        began = time.perf_counter()
        read = sum(len(page.documents) for page in source.changed_documents(None, START))
        elapsed = time.perf_counter() - began
        db.session.remove()
    assert read == n, read
    return elapsed


def once(n: int, xero_limits: bool) -> dict[str, float]:
    from benchmarks.common import seed_catalog
    from partsemble.sandbox import SandboxCompany
    from partsemble.sandbox.xero.schema import DEMO_ORGANISATION

    with tempfile.TemporaryDirectory(prefix="partsemble-xero-") as tmp, database("sqlite") as url:
        sandbox_url = f"sqlite:///{tmp}/sandbox.db"
        company = SandboxCompany.open(sandbox_url)
        generated = company.generate(n, start=START, end=START + timedelta(days=364), seed=3, products=PRODUCTS, system="xero")
        if not xero_limits:
            company.set_xero_limits(per_minute=1_000_000, per_day=1_000_000)
        tokens = company.issue_xero_tokens(CLIENT_ID)
        company.close()
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_xero_sync", "serve", str(port), sandbox_url],
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
            app = app_for(url, tmp, **xero_config(base))
            seed_catalog(app, connection=False)
            assert _connect(app, generated, DEMO_ORGANISATION.tenant_id, tokens) == PRODUCTS
            company = SandboxCompany.open(sandbox_url)
            company.reset_counters()
            company.close()
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.bench_xero_sync", "worker", url, base, tmp],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                env=dict(os.environ),
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            assert result["outcome"] == "succeeded" and result["channels"] == {"xero": "succeeded"}, result
            assert result["created"] + result["voided"] + result["errors"] == n, result
            problems = check(app)
            assert problems == [], problems[:5]
            company = SandboxCompany.open(sandbox_url)
            counters = company.counters()
            throttled = sum(1 for r in company.request_log() if r.status == 429)
            company.set_xero_limits(per_minute=1_000_000, per_day=1_000_000)  # for the read below
            company.close()
            from partsemble.extensions import db

            with app.app_context():
                db.engine.dispose()
            return {
                "rate": n / result["elapsed"],
                "read_alone": read_alone(app, n),
                "seconds": result["elapsed"],
                "rss_mb": result["max_rss_kb"] / 1024,
                "errors": result["errors"],
                "calls": counters.get("xero_api", 0),
                "throttled": throttled,
            }
        finally:
            server.terminate()
            server.wait(10)


def main(n: int = 10_000, runs: int = 1, xero_limits: bool = False) -> list[str]:
    results = []
    limits = "Xero's call limits (60 a minute)" if xero_limits else "call limits out of reach"
    for _ in range(runs):
        result = once(n, xero_limits)
        print(
            f"  first Xero sync of {n:,} documents, {limits}: {result['seconds']:.1f} s = {result['rate']:.0f} docs/s, "
            f"{result['calls']:.0f} API calls ({result['throttled']:.0f} answered 429; reading the pages again alone: "
            f"{result['read_alone']:.1f} s), peak {result['rss_mb']:.0f} MB, "
            f"{result['errors']:.0f} failed documents",
            flush=True,
        )
        results.append(result)
    return [
        f"Xero first sync over HTTP ({n:,} documents, {limits}): median {median([r['seconds'] for r in results]):.1f} s, "
        f"{median([r['rate'] for r in results]):.0f} docs/s, peak {median([r['rss_mb'] for r in results]):.0f} MB over {runs} run(s)"
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1:2] == ["worker"]:
        worker(*sys.argv[2:5])
    else:
        words = [a for a in sys.argv[1:] if not a.startswith("--")]
        for line in main(
            int(words[0]) if words else 10_000, int(words[1]) if len(words) > 1 else 1, xero_limits="--xero-limits" in sys.argv
        ):
            print(line)
