"""The real QuickBooks answers kept beside the repository (../shared/qbo_real_payloads), read in place.

They are never copied into the project: a test that needs them skips, saying
why, on a checkout that does not have them.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest

# tests/ -> the repository -> its parent, where shared/ sits beside it.
RECORDINGS = Path(__file__).resolve().parents[1] / ".." / "shared" / "qbo_real_payloads"
ABSENT = "recordings-absent"


@cache
def sources() -> dict[str, dict[str, Any]]:
    """SOURCES.json by file name; empty when the recordings are not there."""
    index = RECORDINGS / "SOURCES.json"
    return json.loads(index.read_text(encoding="utf-8")) if index.is_file() else {}


def names(*kinds: str) -> list[str]:
    """The recorded files of the given kinds (all when none given), or [ABSENT] so a test can skip."""
    found = sorted(name for name, meta in sources().items() if not kinds or meta["kind"] in kinds)
    return found or [ABSENT]


def _require(name: str) -> Path:
    path = RECORDINGS / name
    if name == ABSENT or not path.is_file():
        pytest.skip(
            f"real QuickBooks recordings not found at {RECORDINGS.resolve()} ({name}); they live in the shared folder beside the repository"
        )
    return path


def text(name: str) -> str:
    """A recorded answer as the raw text QBO sent (skips when absent)."""
    return _require(name).read_text(encoding="utf-8")


def body(name: str) -> Any:
    """A recorded JSON answer decoded as the connector decodes it, Decimal numbers (skips when absent)."""
    return json.loads(text(name), parse_float=Decimal)


def meta(name: str) -> dict[str, Any]:
    """The SOURCES.json entry of a recording (skips when absent)."""
    _require(name)
    return sources()[name]
