"""The dashboard at the top of the Sales tab (built by the reports feature)."""
from __future__ import annotations


def dashboard_context() -> dict[str, object]:
    return {}
