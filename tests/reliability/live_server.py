"""Serving a Flask app over real HTTP on 127.0.0.1, in a thread of the test process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


class Gate:
    """Requests to `app` under `prefix` wait at the door until the test opens it: the test decides
    when the sandbox answers, on an event it can see, instead of slowing every answer and hoping a
    loaded machine keeps to the timing. Open unless closed; `arrived` is set by the first request
    held since the last close. A request held longer than `ceiling` seconds goes through anyway
    (the test's own assertions then say what went wrong, rather than a hang)."""

    def __init__(self, app: Flask, prefix: str, ceiling: float = 120) -> None:
        self.prefix = prefix
        self.ceiling = ceiling
        self.opened = threading.Event()
        self.opened.set()
        self.arrived = threading.Event()
        self._inner = app.wsgi_app
        app.wsgi_app = self  # type: ignore[method-assign]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").startswith(self.prefix) and not self.opened.is_set():
            self.arrived.set()
            self.opened.wait(self.ceiling)
        return self._inner(environ, start_response)

    def close(self) -> None:
        self.arrived.clear()
        self.opened.clear()

    def open(self) -> None:
        self.opened.set()
