"""QBO error bodies in their three shapes, and the ConnectorError each answer means."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from partsemble.connectors.errors import (
    AuthError,
    BadRequest,
    ConnectorError,
    NotFound,
    RateLimited,
    Transient,
)
from partsemble.connectors.qbo.decoding import load_json
from partsemble.connectors.transport import retry_after_seconds as retry_after_seconds

OBJECT_NOT_FOUND = "610"
# A throttle is a throttle whatever the HTTP status: QBO sends 3001 (ThrottleExceeded) in a 429,
# a 403 or even a 200, and a SystemFault (10000) inside a 200 when it is having a bad moment.
THROTTLE_EXCEEDED = "3001"
SYSTEM_FAULT = "10000"


@dataclass(frozen=True)
class Fault:
    """The first error of a QBO Fault: type, code (a string), message and detail."""

    type: str = ""
    code: str = ""
    message: str = ""
    detail: str = ""

    @property
    def is_throttle(self) -> bool:
        return self.code == THROTTLE_EXCEEDED or "throttleexceeded" in f"{self.type} {self.message}".replace(" ", "").lower()

    def describe(self) -> str:
        """`type code: message (detail)`, leaving out what is empty."""
        head = " ".join(part for part in (self.type, self.code) if part)
        text = "; ".join(part for part in (self.message, self.detail) if part)
        return f"{head}: {text}" if head and text else head or text


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def fault_from_json(body: Mapping[str, Any]) -> Fault | None:
    """The Fault of a decoded body, as `Fault`/`Error` or lower-case `fault`/`error`; None when there is none."""
    for fault_key, error_key, message_key, detail_key in (
        ("Fault", "Error", "Message", "Detail"),
        ("fault", "error", "message", "detail"),
    ):
        fault = body.get(fault_key)
        if not isinstance(fault, Mapping):
            continue
        errors = fault.get(error_key)
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], Mapping) else {}
        return Fault(
            type=_text(fault.get("type")),
            code=_text(first.get("code", first.get("Code"))),
            message=_text(first.get(message_key)),
            detail=_text(first.get(detail_key)),
        )
    return None


def fault_from_xml(text: str) -> Fault | None:
    """The Fault of an XML body (`<Fault type=..><Error code=..>`, any namespace); None when there is none."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None
    fault = root if root.tag.rpartition("}")[2] == "Fault" else root.find(".//{*}Fault")
    if fault is None:
        return None
    error = fault.find("{*}Error")
    if error is None:
        return Fault(type=fault.get("type", ""))
    return Fault(
        type=fault.get("type", ""),
        code=error.get("code", ""),
        message=(error.findtext("{*}Message") or "").strip(),
        detail=(error.findtext("{*}Detail") or "").strip(),
    )


def fault_from_text(text: str) -> Fault | None:
    """The Fault of a raw body in any of its shapes (JSON, lower-case JSON, XML); None when there is none."""
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return fault_from_xml(stripped)
    try:
        body = load_json(stripped)
    except ValueError:
        return None
    return fault_from_json(body) if isinstance(body, Mapping) else None


def error_for_status(status: int, fault: Fault | None, *, where: str, tid: str, retry_after: Decimal | None = None) -> ConnectorError:
    """The ConnectorError an HTTP error status (with its Fault, if any) means."""
    code = fault.code if fault else ""
    message = f"{where}: HTTP {status}" + (f" {fault.describe()}" if fault and fault.describe() else "")
    details: dict[str, Any] = {"status": status, "code": code, "tid": tid}
    if status == 401:
        return AuthError(message, **details)
    if status == 429 or (fault is not None and fault.is_throttle):
        return RateLimited(message, retry_after=retry_after, **details)
    if code == SYSTEM_FAULT:
        return Transient(message, **details)
    if status == 404 or (400 <= status < 500 and code == OBJECT_NOT_FOUND):
        return NotFound(message, **details)
    if 400 <= status < 500:
        return BadRequest(message, **details)
    if status >= 500:
        return Transient(message, **details)
    return ConnectorError(message, **details)


def error_for_ok_fault(fault: Fault, *, where: str, status: int, tid: str) -> ConnectorError:
    """The ConnectorError a Fault inside a successful (2xx) response means.

    RateLimited for a throttle (3001), Transient for a SystemFault (10000): both retried
    like a 429 or a 5xx. NotFound for 610; BadRequest for anything else.
    """
    message = f"{where}: HTTP {status} carrying a Fault: {fault.describe()}"
    if fault.is_throttle:
        return RateLimited(message, status=status, code=fault.code, tid=tid)
    if fault.code == SYSTEM_FAULT:
        return Transient(message, status=status, code=fault.code, tid=tid)
    kind = NotFound if fault.code == OBJECT_NOT_FOUND else BadRequest
    return kind(message, status=status, code=fault.code, tid=tid)
