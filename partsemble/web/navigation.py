"""The main navigation (only what exists) and the home page redirect."""
from __future__ import annotations

from flask import Flask, current_app, redirect, url_for
from werkzeug.wrappers import Response

from partsemble.web.guard import public

NAV = (
    ("sales.index", "Sales"),
    ("products.index", "Products"),
    ("lots.index", "Lots"),
    ("items.index", "Accounting items"),
    ("reports.index", "Reports"),
    ("settings.index", "Settings"),
)


def register(app: Flask) -> None:
    @app.context_processor
    def _nav() -> dict[str, object]:
        views = current_app.view_functions
        return {
            "nav_items": [(endpoint, label) for endpoint, label in NAV if endpoint in views],
            "config_endpoints": views,
        }

    @app.route("/favicon.ico")
    @public
    def favicon() -> Response:
        return redirect(url_for("static", filename="favicon.svg"), code=301)

    @app.route("/")
    def index() -> Response:
        first = next(endpoint for endpoint, _ in NAV if endpoint in current_app.view_functions)
        return redirect(url_for(first))
