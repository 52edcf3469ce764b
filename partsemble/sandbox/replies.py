"""Response bodies exactly as QBO writes them: JSON documents, JSON and XML faults.

Bodies are assembled from stored JSON texts, never re-encoded, so a document
is byte-for-byte what was stored.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from xml.sax.saxutils import escape

from flask import Response

from partsemble.sandbox import jsontext
from partsemble.sandbox.clock import response_time

JSON = "application/json;charset=UTF-8"
XML = "application/xml;charset=UTF-8"
NOT_FOUND_DETAIL = (
    "Object Not Found : Something you're trying to use has been made inactive. "
    "Check the fields with accounts, customers, items, vendors or employees."
)


def new_intuit_tid() -> str:
    """A transaction id in the shape Intuit puts in the `intuit_tid` header."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def _time() -> str:
    return jsontext.dumps(response_time())


def json_reply(body: str, status: int = 200) -> Response:
    return Response(body, status=status, content_type=JSON)


def entity_reply(entity: str, payload_text: str) -> Response:
    """`{"Invoice": {...}, "time": ...}` around a stored payload."""
    return json_reply(f'{{{jsontext.dumps(entity)}:{payload_text},"time":{_time()}}}')


def query_reply(entity: str, start_position: int, rows: Sequence[str]) -> Response:
    """A QueryResponse; with no rows it has no entity key at all, as in QBO."""
    if not rows:
        return json_reply(f'{{"QueryResponse":{{}},"time":{_time()}}}')
    return json_reply(
        f'{{"QueryResponse":{{{jsontext.dumps(entity)}:[{",".join(rows)}],'
        f'"startPosition":{start_position},"maxResults":{len(rows)}}},"time":{_time()}}}'
    )


def cdc_reply(changes: Sequence[tuple[str, Sequence[str]]]) -> Response:
    """A CDCResponse: one QueryResponse element per entity, `{}` for an entity without changes."""
    parts = [
        f'{{{jsontext.dumps(entity)}:[{",".join(rows)}],"startPosition":1,"maxResults":{len(rows)}}}' if rows else "{}"
        for entity, rows in changes
    ]
    if not any(rows for _, rows in changes):
        parts = ["{}"]
    return json_reply(f'{{"CDCResponse":[{{"QueryResponse":[{",".join(parts)}]}}],"time":{_time()}}}')


def fault_body(code: str, message: str, detail: str, *, fault_type: str = "ValidationFault", element: str | None = None) -> str:
    error = {"Message": message, "Detail": detail, "code": code}
    if element is not None:
        error["element"] = element
    return jsontext.dumps({"Fault": {"Error": [error], "type": fault_type}, "time": response_time()})


def fault_reply(
    code: str, message: str, detail: str, *, status: int = 400, fault_type: str = "ValidationFault", element: str | None = None
) -> Response:
    return json_reply(fault_body(code, message, detail, fault_type=fault_type, element=element), status)


def not_found_reply() -> Response:
    """HTTP 400 with code 610 "Object Not Found", QBO's answer for a missing or deleted id."""
    return fault_reply("610", "Object Not Found", NOT_FOUND_DETAIL, element="")


def authentication_failed_reply() -> Response:
    """The lower-case JSON 401 of an expired, revoked or unknown access token."""
    body = {
        "fault": {
            "error": [{"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401", "code": "3200"}],
            "type": "AUTHENTICATION",
        }
    }
    return json_reply(jsontext.dumps(body), 401)


def authorization_failed_reply() -> Response:
    """The 403 of a token used on a company it was not issued for."""
    body = {
        "fault": {
            "error": [{"message": "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403", "code": "3100"}],
            "type": "AUTHORIZATION",
        }
    }
    return json_reply(jsontext.dumps(body), 403)


def _xml(fault_type: str, code: str, message: str, detail: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<IntuitResponse time="{response_time()}"><Fault type="{fault_type}"><Error code="{code}">'
        f"<Message>{escape(message)}</Message><Detail>{escape(detail)}</Detail></Error></Fault></IntuitResponse>"
    )


def throttled_reply(retry_after: int | None, status: int = 429) -> Response:
    """ThrottleExceeded (3001) in XML, as QBO sends it even when JSON was asked for; usually a 429,
    sometimes a 403 that says so in its message."""
    response = Response(
        _xml(
            "SERVICE",
            "3001",
            f"message=ThrottleExceeded; errorCode=003001; statusCode={status}",
            "The request limit was reached.  Try again later",
        ),
        status=status,
        content_type=XML,
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def xml_unauthorized_reply() -> Response:
    """The XML flavour of QBO's 401."""
    return Response(
        _xml(
            "AuthenticationFault",
            "100",
            "General Authentication Error",
            "AuthenticationErrorGeneral: SRV-110-Authentication Failure , statusCode: 401",
        ),
        status=401,
        content_type=XML,
    )


def system_fault_body() -> str:
    return fault_body(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your data. Please wait a few minutes and try again.",
        fault_type="SystemFault",
    )


def server_error_reply() -> Response:
    return json_reply(system_fault_body(), 500)


def fault_in_ok_reply() -> Response:
    """A 200 that carries a Fault instead of data: QBO does this."""
    return json_reply(system_fault_body(), 200)


def throttle_in_ok_reply() -> Response:
    """A 200 whose body is a ThrottleExceeded Fault: a throttle whatever the status says."""
    return json_reply(
        fault_body(
            "3001",
            "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "The request limit was reached.  Try again later",
            fault_type="SERVICE",
        ),
        200,
    )


def unavailable_reply() -> Response:
    """A 503 from the gateway in front of QBO: HTML, not JSON."""
    return Response(
        "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center>"
        "<h1>503 Service Temporarily Unavailable</h1></center></body></html>",
        status=503,
        content_type="text/html",
    )
