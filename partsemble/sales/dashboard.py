"""The dashboard at the top of the Sales tab (numbers from the reports feature)."""
from __future__ import annotations

from partsemble.reports.dashboard import sales_dashboard


def dashboard_context() -> dict[str, object]:
    return {"dashboard_partial": "sales/_dashboard.html", "dashboard": sales_dashboard()}
