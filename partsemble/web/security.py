"""Security headers on every response."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self' {form_targets}; "
    "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


def register(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        # Connecting submits a form that redirects to the OAuth page on Intuit's host.
        form_targets = _origin(app.config.get("QBO_AUTH_URL", ""))
        response.headers.setdefault("Content-Security-Policy", CSP.format(form_targets=form_targets).replace(" ;", ";"))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
