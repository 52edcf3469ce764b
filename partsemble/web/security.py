"""Security headers on every response."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response
from werkzeug.routing import IntegerConverter

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self' {form_targets}; "
    "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


class RowIdConverter(IntegerConverter):
    """`<int:...>` in every route: a row id fits a 32-bit column (PostgreSQL's integer), so a larger
    number is a 404 like any unknown id, not a database error."""

    def __init__(self, map, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def register(app: Flask) -> None:
    # Before any blueprint adds its routes: rules pick their converters when added.
    app.url_map.converters["int"] = RowIdConverter

    @app.after_request
    def _headers(response: Response) -> Response:
        # Connecting submits a form that redirects to the OAuth page on Intuit's or Xero's host.
        origins = (_origin(app.config.get(name, "")) for name in ("QBO_AUTH_URL", "XERO_AUTH_URL"))
        form_targets = " ".join(dict.fromkeys(o for o in origins if o))
        response.headers.setdefault("Content-Security-Policy", CSP.format(form_targets=form_targets).replace(" ;", ";"))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Pages and exports hold business data: no copy in a shared or browser cache.
        if response.mimetype in ("text/html", "text/csv") or "attachment" in response.headers.get("Content-Disposition", ""):
            response.headers["Cache-Control"] = "no-store"
        return response
