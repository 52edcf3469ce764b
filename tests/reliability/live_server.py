"""Serving a Flask app over real HTTP on 127.0.0.1, in a thread of the test process."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import make_server


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve `app` on a free port; yield its base URL (http://127.0.0.1:PORT)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = True  # a request still sleeping in a "slow" fault must not hold up shutdown
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def point_at_sandbox(config: dict, base: str) -> None:  # type: ignore[type-arg]
    """Every QBO endpoint of the app's configuration aimed at the sandbox served at `base`."""
    config.update(
        QBO_API_BASE=f"{base}/sandbox/v3",
        QBO_AUTH_URL=f"{base}/sandbox/oauth2/authorize",
        QBO_TOKEN_URL=f"{base}/sandbox/oauth2/tokens/bearer",
        QBO_REVOKE_URL=f"{base}/sandbox/oauth2/tokens/revoke",
        QBO_APP_URL=f"{base}/sandbox/app",
    )
