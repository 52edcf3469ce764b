"""How Flask-Login finds the user of a session."""

from __future__ import annotations

from flask import Flask

from partsemble.extensions import db, login_manager
from partsemble.models.accounts import User


def init_login(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(session_id: str) -> User | None:
        # The id carries the session version: a changed password or a
        # deactivation invalidates every session issued before it.
        user_id, _, version = session_id.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return user
