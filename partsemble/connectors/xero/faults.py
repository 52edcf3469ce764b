"""Xero error answers, and the ConnectorError each one means, with a message a person can act on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

import requests

from partsemble.connectors.decoding import load_json
from partsemble.connectors.errors import (
    AuthError,
    BadRequest,
    ConnectorError,
    DailyLimitReached,
    Forbidden,
    NotFound,
    RateLimited,
    Transient,
)
from partsemble.connectors.transport import retry_after_seconds

# When a day-limit answer says nothing of when it ends, wait the whole rolling day out.
DAY_LIMIT_FALLBACK = timedelta(days=1)
_MOST_DETAIL = 300  # characters of an error body kept in a message


def correlation_id(response: requests.Response) -> str:
    """Xero's id for one request, for a support ticket."""
    return response.headers.get("Xero-Correlation-Id", "")


def error_for_response(response: requests.Response, where: str, now: Callable[[], datetime]) -> ConnectorError:
    """The ConnectorError a non-2xx Xero answer means."""
    status = response.status_code
    body = _body(response)
    details: dict[str, Any] = {"status": status, "tid": correlation_id(response)}
    detail = describe_body(body)
    said = f": {detail}" if detail else ""
    if status == 429:
        return _rate_limited(response, where, now, details)
    if status == 401:
        return AuthError(f"{where}: Xero refused the access token (HTTP 401{said}). Reconnect Xero if this goes on.", **details)
    if status == 403:
        return Forbidden(
            f"{where}: Xero refused access to this organisation (HTTP 403{said}). The organisation may have been "
            "disconnected in Xero, or the connection lacks a permission; reconnect Xero.",
            **details,
        )
    if status == 404:
        return NotFound(f"{where}: Xero has no such record (HTTP 404{said})", **details)
    if 400 <= status < 500:
        code = body.get("Type", "") if isinstance(body, Mapping) else ""
        return BadRequest(
            f"{where}: Xero rejected the request (HTTP {status}{said})", code=code if isinstance(code, str) else "", **details
        )
    if status >= 500:
        return Transient(f"{where}: Xero is having trouble (HTTP {status}{said})", **details)
    return ConnectorError(f"{where}: unexpected HTTP {status}{said}", **details)


def _rate_limited(response: requests.Response, where: str, now: Callable[[], datetime], details: dict[str, Any]) -> ConnectorError:
    problem = response.headers.get("X-Rate-Limit-Problem", "").strip().lower()
    wait = retry_after_seconds(response.headers.get("Retry-After"))
    if problem == "day":
        resume_at = now() + (DAY_LIMIT_FALLBACK if wait is None else timedelta(seconds=_ceiling_seconds(wait)))
        return DailyLimitReached(
            f"{where}: Xero's daily limit of API calls for this organisation is used up; "
            f"the sync can go on from {resume_at.isoformat(timespec='minutes')}",
            resume_at=resume_at,
            code="day",
            **details,
        )
    # minute, the app-wide minute, 5 calls at once, or an unnamed limit: all pass within a minute.
    return RateLimited(f"{where}: Xero's {problem or 'rate'} limit was hit (HTTP 429)", retry_after=wait, code=problem or "rate", **details)


def _body(response: requests.Response) -> object:
    text = response.content.decode("utf-8", errors="replace")
    try:
        return load_json(text)
    except ValueError:
        return text.strip()


def describe_body(body: object) -> str:
    """What an error body says, in Xero's shapes: ValidationException with its messages, problem+json, or text."""
    if isinstance(body, str):
        # An HTML error page says nothing useful and a lot of it.
        return "" if body.lstrip().startswith("<") else body[:_MOST_DETAIL]
    if not isinstance(body, Mapping):
        return ""
    validation = _validation_messages(body)
    if validation:
        return "; ".join(dict.fromkeys(validation))[:_MOST_DETAIL]
    parts = [body.get(key) for key in ("Title", "Detail", "Type", "Message", "title", "detail")]
    texts = [part for part in parts if isinstance(part, str) and part]
    return ": ".join(dict.fromkeys(texts))[:_MOST_DETAIL]


def _validation_messages(body: Mapping[str, Any]) -> list[str]:
    messages: list[str] = []
    elements = body.get("Elements")
    for element in elements if isinstance(elements, list) else []:
        errors = element.get("ValidationErrors") if isinstance(element, Mapping) else None
        for error in errors if isinstance(errors, list) else []:
            message = error.get("Message") if isinstance(error, Mapping) else None
            if isinstance(message, str) and message:
                messages.append(message)
    if messages:
        return messages
    message = body.get("Message")
    return [message] if isinstance(message, str) and message and body.get("Type") == "ValidationException" else []


def _ceiling_seconds(seconds: Decimal) -> int:
    return int(seconds.to_integral_value(rounding=ROUND_CEILING))
