"""Flask extensions, created unbound and bound to the app in create_app."""

from __future__ import annotations

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from partsemble.models.base import db

__all__ = ["csrf", "db", "login_manager", "migrate"]

migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
