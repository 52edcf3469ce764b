"""Flask extensions, created unbound and bound to the app in create_app. Flask-Migrate is bound only
where migrations are run (partsemble.bind_migrations)."""

from __future__ import annotations

from flask_login import LoginManager
from flask_wtf import CSRFProtect

from partsemble.models.base import db

__all__ = ["csrf", "db", "login_manager"]

login_manager = LoginManager()
csrf = CSRFProtect()
