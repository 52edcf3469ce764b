"""The main navigation and the home page redirect."""

from __future__ import annotations

from flask import Flask, redirect, url_for
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
        return {"nav_items": NAV}

    @app.route("/favicon.ico")
    @public
    def favicon() -> Response:
        return redirect(url_for("static", filename="favicon.svg"), code=301)

    @app.route("/")
    def index() -> Response:
        return redirect(url_for(NAV[0][0]))
