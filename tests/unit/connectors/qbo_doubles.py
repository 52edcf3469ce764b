"""Test doubles and constants shared by the QBO connector tests (imported by name: no __init__ here)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "qbo"
API_BASE = "https://qbo.test/v3"
REALM = "9341453"
COMPANY_URL = f"{API_BASE}/company/{REALM}"
QUERY_URL = f"{COMPANY_URL}/query"
ACCESS_TOKEN = "access-token-one-SECRET"
FRESH_ACCESS_TOKEN = "access-token-two-SECRET"


class FakeTokens:
    """A TokenProvider that hands out a first token, then a fresh one after a refresh."""

    def __init__(self) -> None:
        self.current = ACCESS_TOKEN
        self.rejected: list[str] = []
        self.refresh_error: Exception | None = None

    def access_token(self) -> str:
        return self.current

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        self.rejected.append(rejected_token)
        if self.refresh_error is not None:
            raise self.refresh_error
        self.current = FRESH_ACCESS_TOKEN
        return self.current


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = Decimal(0)
        self.sleeps: list[Decimal] = []

    def sleep(self, seconds: Decimal) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> Decimal:
        return self.now


def load_json(name: str) -> Any:
    """A fixture file decoded the way the connector decodes QBO: Decimal numbers."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"), parse_float=Decimal)


def as_json(value: Any) -> str:
    """JSON text with Decimals written as the exact numbers they are (the json module cannot)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(key)}: {as_json(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(as_json(item) for item in value) + "]"
    return json.dumps(value)
