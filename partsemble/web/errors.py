"""Error pages: plain words, no stack traces, no secrets; fragments for htmx."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from partsemble.web.htmx import is_htmx

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Please log in", "Your session has ended. Log in again to continue."),
    403: ("Not allowed", "Your role does not allow this. Ask an admin if you need it."),
    404: ("Not found", "There is nothing at this address."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "The upload is larger than 5 MB."),
    429: ("Too many attempts", "Wait a little and try again."),
    500: ("Something went wrong", "The error was logged. Nothing was half-saved: try again."),
}


def _render(status: int, message: str | None = None):  # type: ignore[no-untyped-def]
    title, default = MESSAGES.get(status, ("Error", "Something went wrong."))
    template = "web/_error.html" if is_htmx() else "web/error.html"
    return render_template(template, title=title, message=message or default, status=status), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):  # type: ignore[no-untyped-def]
        return _render(400, "The form expired or did not come from this site. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):  # type: ignore[no-untyped-def]
        status = error.code or 500
        return _render(status, error.description if status in (400, 429) and error.description else None)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error")
        from partsemble.extensions import db

        db.session.rollback()
        return _render(500)
