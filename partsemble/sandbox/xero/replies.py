"""Answers in Xero's shapes: the collection envelope, problem+json 401/403, the 400
ValidationException, 404, 429 and 500."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response

from partsemble.sandbox import jsontext
from partsemble.sandbox.clock import now_us
from partsemble.sandbox.xero.dates import ms_date

JSON = "application/json; charset=utf-8"
PROBLEM = "application/problem+json; charset=utf-8"
PROVIDER = "Partsemble"


def json_response(body: Any, status: int = 200, content_type: str = JSON) -> Response:
    return Response(jsontext.dumps(body), status=status, content_type=content_type)


def collection_reply(key: str, rows: Sequence[Mapping[str, Any]], pagination: Mapping[str, int] | None = None) -> Response:
    """`{"Id", "Status": "OK", "ProviderName", "DateTimeUTC", ["pagination",] key: [...]}`."""
    body: dict[str, Any] = {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": PROVIDER, "DateTimeUTC": ms_date(now_us())}
    if pagination is not None:
        body["pagination"] = dict(pagination)
    body[key] = list(rows)
    return json_response(body)


def problem_reply(status: int, title: str, detail: str) -> Response:
    body = {"Type": None, "Title": title, "Status": status, "Detail": detail, "Instance": str(uuid.uuid4()), "Extensions": {}}
    return json_response(body, status, PROBLEM)


def unauthorized_reply(detail: str = "AuthenticationUnsuccessful") -> Response:
    return problem_reply(401, "Unauthorized", detail)


def forbidden_reply(detail: str = "AuthorizationUnsuccessful") -> Response:
    return problem_reply(403, "Forbidden", detail)


def validation_reply(message: str) -> Response:
    body = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [{"ValidationErrors": [{"Message": message}]}],
    }
    return json_response(body, 400)


def not_found_reply() -> Response:
    return Response("The resource you're looking for cannot be found", status=404, content_type="text/html; charset=utf-8")


def throttled_reply(problem: str, retry_after: int | None) -> Response:
    """429; the limit headers are the caller's (they say which limit and how long to wait)."""
    response = problem_reply(429, "Too Many Requests", f"Rate limit exceeded: {problem}")
    response.headers["X-Rate-Limit-Problem"] = problem
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def server_error_reply() -> Response:
    return problem_reply(500, "An error occurred", "An error occurred in Xero. Check the API Status page for current service status.")
