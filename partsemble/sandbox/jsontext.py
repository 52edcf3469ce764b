"""JSON text with exact decimals: Decimal in, JSON number out, Decimal back.

The standard encoder can only write Decimal through a float, which would round
money; this small writer prints ``format(value, "f")`` instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any


def _number(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"JSON has no number for {value}")
    return format(value, "f")


def _write(value: Any, out: list[str], indent: int | None, depth: int) -> None:
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None or isinstance(value, bool):
        out.append({None: "null", True: "true", False: "false"}[value])
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        out.append(_number(value))
    elif isinstance(value, Mapping | Sequence):
        is_map = isinstance(value, Mapping)
        entries = list(value.items()) if is_map else list(value)
        opener, closer = ("{", "}") if is_map else ("[", "]")
        if not entries:
            out.append(opener + closer)
            return
        inner = "" if indent is None else "\n" + " " * (indent * (depth + 1))
        outer = "" if indent is None else "\n" + " " * (indent * depth)
        out.append(opener)
        for index, entry in enumerate(entries):
            out.append(("," if index else "") + inner)
            if is_map:
                key, entry = entry
                out.append(encode_basestring(str(key)) + (":" if indent is None else ": "))
            _write(entry, out, indent, depth + 1)
        out.append(outer + closer)
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON text (compact unless `indent`); Decimals become plain numbers with their exact digits.

    Raises:
        TypeError: for a value JSON cannot hold (floats are refused on purpose).
        ValueError: for a Decimal NaN or infinity.
    """
    out: list[str] = []
    _write(value, out, indent, 0)
    return "".join(out)


def loads(text: str | bytes) -> Any:
    """Parse JSON text with every fractional number as a Decimal."""
    return json.loads(text, parse_float=Decimal)
