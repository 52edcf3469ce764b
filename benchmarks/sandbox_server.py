"""Serve the QBO sandbox alone (for the end-to-end benchmark): python -m benchmarks.sandbox_server PORT DB_URL."""

from __future__ import annotations

import sys

from flask import Flask
from flask_wtf import CSRFProtect
from werkzeug.serving import make_server

import partsemble.sandbox

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"


def main() -> None:
    port, url = int(sys.argv[1]), sys.argv[2]
    app = Flask("sandbox")
    app.config.update(
        SECRET_KEY="bench",
        SANDBOX_DATABASE_URL=url,
        SANDBOX_ACCESS_TOKEN_LIFETIME=3600,
        QBO_CLIENT_ID=CLIENT_ID,
        QBO_CLIENT_SECRET=CLIENT_SECRET,
    )
    CSRFProtect().init_app(app)
    partsemble.sandbox.register(app)
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


if __name__ == "__main__":
    main()
