"""Login on every page and roles enforced on the server, whatever the view forgets."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def public(view: F) -> F:
    """Mark a view as reachable without login (the login page, health check)."""
    view.partsemble_public = True  # type: ignore[attr-defined]
    return view


def requires_role(role: str) -> Callable[[F], F]:
    """Only users with at least `role` (viewer < member < admin) may call the view."""

    def decorate(view: F) -> F:
        view.partsemble_role = role  # type: ignore[attr-defined]

        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(401)
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.partsemble_role = role  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def any_user(view: F) -> F:
    """A state-changing view every logged-in user may call (log out, own password)."""
    view.partsemble_role = "viewer"  # type: ignore[attr-defined]
    return view


def view_role(view: Callable[..., Any]) -> str | None:
    return getattr(view, "partsemble_role", None)


def is_public(view: Callable[..., Any]) -> bool:
    return bool(getattr(view, "partsemble_public", False))


def register(app: Flask) -> None:
    @app.before_request
    def _require_login_and_role() -> Any:
        endpoint = request.endpoint
        if endpoint is None:
            return None  # 404s are answered by the error handler
        view = current_app.view_functions.get(endpoint)
        if endpoint == "static" or (view is not None and is_public(view)):
            return None
        if not current_user.is_authenticated:
            if request.headers.get("HX-Request") == "true":
                response = current_app.response_class("", 401)
                response.headers["HX-Redirect"] = url_for("auth.login")
                return response
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        # A view that changes state and did not say who may call it is for members.
        if request.method not in SAFE_METHODS and view is not None and view_role(view) is None and not current_user.has_role("member"):
            abort(403)
        return None
