"""One sync through the real QBO client, in its own process so its peak memory is its own.

python -m benchmarks.e2e_worker DB_URL API_BASE TOKEN_URL INSTANCE  -> prints JSON.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def main() -> None:
    db_url, api_base, token_url, instance = sys.argv[1:5]
    from benchmarks.common import app_for
    from benchmarks.sandbox_server import CLIENT_ID, CLIENT_SECRET
    from partsemble.connections.source import open_source
    from partsemble.extensions import db
    from partsemble.sync.service import SyncRequest, SyncSettings, run_sync

    app = app_for(
        db_url,
        instance,
        QBO_API_BASE=api_base,
        QBO_TOKEN_URL=token_url,
        QBO_CLIENT_ID=CLIENT_ID,
        QBO_CLIENT_SECRET=CLIENT_SECRET,
        QBO_PAGE_SIZE=1000,
    )
    with app.app_context():
        began = time.perf_counter()
        summary = run_sync(db.session, open_source(app.config), SyncRequest(trigger="cli"), SyncSettings())
        elapsed = time.perf_counter() - began
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "outcome": summary.outcome,
                "message": summary.message,
                "created": summary.created,
                "voided": summary.voided,
                "errors": summary.errors,
                "skipped": summary.skipped,
                "fetched": summary.fetched,
                "max_rss_kb": peak_rss_kb(),
            }
        )
    )


def peak_rss_kb() -> int:
    """This process's peak resident memory. VmHWM belongs to the process's own address space; getrusage's
    ru_maxrss does not: Linux carries the parent's high-water mark over a fork and exec, so a worker
    started by a large benchmark process would report the parent's size."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: the best there is


if __name__ == "__main__":
    main()
