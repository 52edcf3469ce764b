"""Several processes and threads write the same sandbox database without losing or repeating a change."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

import requests

from partsemble.sandbox import SandboxCompany
from partsemble.sandbox.clock import SECOND, now_us, parse_timestamp

WRITER = """
import sys
from decimal import Decimal
from partsemble.sandbox import SandboxCompany
company = SandboxCompany.open(sys.argv[1])
for n in range(15):
    company.update_document("Invoice", sys.argv[2], private_note=f"process edit {n}")
    company.create_customer(f"Customer from {sys.argv[2]} #{n}")
"""


def test_processes_editing_at_once_all_land_stamped_in_real_time(company: SandboxCompany, seeded: Any) -> None:
    """Every edit lands (SyncToken + 1 each); like QBO, changes in one second share its stamp,
    and no stamp is ever later than the real clock."""
    targets = seeded.edited_invoices[:3]
    before = {doc_id: company.get("Invoice", doc_id) for doc_id in targets}
    started = now_us() // SECOND * SECOND
    workers = [subprocess.Popen([sys.executable, "-c", WRITER, company.url, doc_id]) for doc_id in targets]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0, 0]
    finished = now_us()
    docs = [company.get("Invoice", doc_id) for doc_id in targets]
    assert [int(doc["SyncToken"]) - int(before[doc["Id"]]["SyncToken"]) for doc in docs] == [15, 15, 15]
    assert all(started <= parse_timestamp(doc["MetaData"]["LastUpdatedTime"]) <= finished for doc in docs)
    made = [c for c in company.customers() if c["DisplayName"].startswith("Customer from ")]
    stamps = [parse_timestamp(c["MetaData"]["LastUpdatedTime"]) for c in made]
    assert len(made) == 45 and all(started <= stamp <= finished for stamp in stamps)


def test_threads_hitting_the_server_at_once_are_all_answered_and_counted(api: Any, company: SandboxCompany, seeded: Any) -> None:
    company.reset_counters()
    statuses: list[int] = []

    def worker() -> None:
        with requests.Session() as session:
            for _ in range(10):
                response = session.get(
                    api.url("query"),
                    timeout=30,
                    params={"query": "SELECT * FROM Invoice MAXRESULTS 50"},
                    headers={"Authorization": f"Bearer {api.access_token}"},
                )
                statuses.append(response.status_code)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 80
    assert company.counters()["query.Invoice"] == 80
    assert sorted(entry.ordinal for entry in company.request_log()) == list(range(1, 81))
