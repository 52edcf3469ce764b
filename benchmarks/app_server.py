"""Serve Partsemble on a database (for the pages benchmark): python -m benchmarks.app_server PORT DB_URL INSTANCE."""

from __future__ import annotations

import sys

from werkzeug.serving import make_server


def main() -> None:
    port, url, instance = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    from benchmarks.common import app_for

    app = app_for(url, instance, TESTING=False, DEBUG=False)
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


if __name__ == "__main__":
    main()
