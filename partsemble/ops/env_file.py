"""`partsemble config init`: the one env file the web app, the CLI and cron all read."""

from __future__ import annotations

import secrets
from pathlib import Path

from partsemble.ops.files import create_private_folder, write_private_file

# 48 random bytes, URL-safe: 64 characters, far beyond what `partsemble doctor` asks for.
SECRET_KEY_BYTES = 48

TEMPLATE = """\
# Partsemble settings, read by the web app, the CLI and cron alike (README, "Configuration").
# Variables set in the environment override this file. Keep it private (mode 0600) and keep
# a copy of PARTSEMBLE_SECRET_KEY with your backups: the stored QuickBooks and Xero tokens need it.
PARTSEMBLE_SECRET_KEY={secret_key}
{database}
# Behind nginx or Caddy serving https (docs/deploy/Caddyfile):
#PARTSEMBLE_HTTPS=1
#PARTSEMBLE_BEHIND_PROXY=1

# Your Intuit app's keys (developer.intuit.com), and its registered redirect URI:
#PARTSEMBLE_QBO_CLIENT_ID=
#PARTSEMBLE_QBO_CLIENT_SECRET=
#PARTSEMBLE_QBO_REDIRECT_URI=https://partsemble.example.com/connections/qbo/callback

# Your Xero app's keys (developer.xero.com), and its registered redirect URI:
#PARTSEMBLE_XERO_CLIENT_ID=
#PARTSEMBLE_XERO_CLIENT_SECRET=
#PARTSEMBLE_XERO_REDIRECT_URI=https://partsemble.example.com/connections/xero/callback
"""


def render_env_file(secret_key: str, database_url: str = "") -> str:
    database = (
        f"PARTSEMBLE_DATABASE_URL={database_url}"
        if database_url
        else "# SQLite in the instance folder by default; for PostgreSQL:\n"
        "#PARTSEMBLE_DATABASE_URL=postgresql+psycopg://partsemble@localhost/partsemble"
    )
    return TEMPLATE.format(secret_key=secret_key, database=database)


def write_env_file(path: Path, *, database_url: str = "") -> None:
    """Write a new env file with a fresh secret key, mode 0600.

    Raises:
        FileExistsError: the file exists; it is never replaced, as its secret key protects
            the stored tokens and every signed-in session.
    """
    create_private_folder(path.parent)
    text = render_env_file(secrets.token_urlsafe(SECRET_KEY_BYTES), database_url)
    write_private_file(path, text.encode("utf-8"), exclusive=True)
