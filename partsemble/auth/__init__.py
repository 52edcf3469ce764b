"""Login, logout, users and roles."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from partsemble.auth.loader import init_login
    from partsemble.auth.views import bp

    init_login(app)
    app.register_blueprint(bp)
