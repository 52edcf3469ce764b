"""Partsemble: FIFO lot costing and true margins for sales invoiced in QuickBooks Online."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from partsemble import config as config_module
from partsemble.ops.files import create_private_files

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints and CLI commands."""
    overrides = dict(config or {})
    instance, settings = config_module.from_environment(overrides.pop("INSTANCE_PATH", None))
    app = Flask(__name__, instance_path=instance)
    app.config.update(settings)
    app.config.update(overrides)
    config_module.check(
        app.config, debug=bool(app.config.get("DEBUG")) or app.debug, testing=app.testing or bool(app.config.get("TESTING"))
    )
    if not app.config.get("SECRET_KEY"):
        # Debug and tests only (check() refused otherwise): a key per process.
        app.config["SECRET_KEY"] = os.urandom(32).hex()
    create_private_files(app.config, app.instance_path)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def bind_migrations(app: Flask) -> None:
    """Flask-Migrate bound to `app`: the `partsemble db ...` commands, and flask_migrate's upgrade()
    and downgrade() called in the app's context. create_app leaves it out: importing Flask-Migrate
    imports Alembic, Mako and Pygments, 0.19 s of CPU that a web worker, a cron sync and every other
    command never use (about a seventh of a command's start)."""
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    from partsemble.extensions import db

    Migrate(app, db, directory=MIGRATIONS_DIR, compare_type=True, render_as_batch=True)


def _init_extensions(app: Flask) -> None:
    from partsemble.extensions import csrf, db, login_manager
    from partsemble.models import registry  # noqa: F401  (every table in the metadata)
    from partsemble.models.engine import configure_engine

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    csrf.init_app(app)
    login_manager.init_app(app)

    if app.config.get("BEHIND_PROXY"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]


def _register_blueprints(app: Flask) -> None:
    from partsemble.auth import register as register_auth
    from partsemble.web import register as register_web

    register_web(app)
    register_auth(app)

    from partsemble.connections.views import bp as connections_bp
    from partsemble.items.views import bp as items_bp
    from partsemble.lots.views import bp as lots_bp
    from partsemble.products.views import bp as products_bp
    from partsemble.reports.views import bp as reports_bp
    from partsemble.sales import manual_views, sync_views  # noqa: F401  (routes on the sales blueprint)
    from partsemble.sales.views import bp as sales_bp
    from partsemble.settings.views import bp as settings_bp

    app.register_blueprint(sales_bp)
    app.register_blueprint(products_bp)
    app.register_blueprint(lots_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(connections_bp)
    app.register_blueprint(items_bp)

    if app.config.get("SANDBOX"):
        # The embedded QuickBooks-compatible company: demos, browser tests, trying it out. check()
        # refused it above unless in debug, demo or test mode; its screens are for the app's admins.
        from partsemble.sandbox import register as register_sandbox

        register_sandbox(app)
        if not (app.debug or app.testing):
            app.logger.warning(
                "PARTSEMBLE_SANDBOX is on (demo mode): /sandbox plays a QuickBooks company; never on a server with real data"
            )


def _register_cli(app: Flask) -> None:
    from partsemble.cli_commands import register as register_commands

    register_commands(app)
