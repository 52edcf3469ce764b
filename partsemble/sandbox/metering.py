"""Every API request is counted, may be hit by an injected fault, and is logged."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, make_response, request

from partsemble.sandbox import faults, limits, replies, traffic
from partsemble.sandbox.blueprints import current_company
from partsemble.sandbox.clock import now_us
from partsemble.sandbox.replies import new_intuit_tid
from partsemble.sandbox.store import writing

F = TypeVar("F", bound=Callable[..., Any])


def metered(family: str, detail: Callable[[dict[str, Any]], str | None] = lambda kwargs: None) -> Callable[[F], F]:
    """Count the request in `family` (and `family.<detail>`), throttle it over QBO's limits when the
    company enforces them, else apply any fault that fires; log it.

    Only the path and query string are logged: never a header, a form or a token.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            company = current_company()
            g.intuit_tid = new_intuit_tid()
            with writing(company.engine) as conn:
                ordinals = traffic.count_request(conn, family, detail(kwargs))
                throttled = family != "token" and limits.enforced(conn) and limits.over_limit(conn, now_us())
                rule = None if throttled else faults.choose(faults.rules(conn), faults.seed(conn), family, ordinals)
            response = replies.throttled_reply(None) if throttled else faults.reply_instead(rule) if rule else None
            if response is None:
                response = make_response(view(**kwargs))
                if rule:
                    response = faults.damage(rule, response)
            with writing(company.engine) as conn:
                traffic.log_request(
                    conn,
                    method=request.method,
                    path=request.path,
                    query=request.query_string.decode("utf-8", "replace") if family != "token" else "",
                    family=family,
                    endpoint=request.endpoint or "",
                    ordinal=ordinals.family,
                    status=response.status_code,
                    fault="rate_limit" if throttled else rule.kind if rule else None,
                    intuit_tid=g.intuit_tid,
                    minorversion=request.args.get("minorversion"),
                )
            return response

        return wrapped  # type: ignore[return-value]

    return decorate
