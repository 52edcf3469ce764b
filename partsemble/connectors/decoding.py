"""JSON as the house reads it: every non-integer number a Decimal, no NaN or Infinity."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(text: str | bytes) -> Any:
    """Decode JSON with Decimal numbers.

    Raises:
        ValueError: the text is not valid JSON (truncated, NaN/Infinity, too-long integers).
    """
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
