"""The htmx contract in one place.

Full page for a normal request, the partial for an htmx request, and
`Vary: HX-Request` on both so caches keep them apart. Failures of a long action
come back as a 200 error partial, because htmx does not swap 4xx/5xx bodies.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, make_response, render_template, request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def page_or_partial(page_template: str, partial_template: str, /, **context: Any) -> Response:
    """Render the partial for htmx requests and the page (which includes it) otherwise."""
    body = render_template(partial_template if is_htmx() else page_template, **context)
    response = make_response(body)
    response.headers["Vary"] = "HX-Request"
    return response


def partial(template: str, *, trigger: str | dict[str, Any] | None = None, **context: Any) -> Response:
    """Render a fragment, optionally firing client-side events after the swap."""
    response = make_response(render_template(template, **context))
    response.headers["Vary"] = "HX-Request"
    if trigger:
        add_trigger(response, trigger)
    return response


def error_partial(message: str, *, title: str = "That did not work") -> Response:
    """A 200 fragment that says what went wrong, for htmx to swap in."""
    response = make_response(render_template("web/_error.html", title=title, message=message))
    response.headers["Vary"] = "HX-Request"
    return response


def add_trigger(response: Response, trigger: str | dict[str, Any]) -> Response:
    """Fire events after the swap (HX-Trigger), so other parts of the page refresh."""
    response.headers["HX-Trigger"] = trigger if isinstance(trigger, str) else json.dumps(trigger)
    return response
