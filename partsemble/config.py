"""The one place that reads the environment.

Every setting comes from a ``PARTSEMBLE_``-prefixed variable, either in the process
environment or in the env file (``PARTSEMBLE_CONFIG``, else ``<instance>/partsemble.env``);
the environment wins. One file serves the web app, the CLI and cron alike, since cron
and systemd timers start with an almost empty environment. Tests pass a mapping to
``create_app`` instead, which overrides both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PREFIX = "PARTSEMBLE_"
ENV_FILE_NAME = "partsemble.env"

# Intuit's addresses, the one place they are written: the defaults of the QBO_* URL settings.
# The connectors take every URL as an argument; the sandbox and the tests point them elsewhere.
INTUIT_HOSTS = {
    "production": {
        "QBO_API_BASE": "https://quickbooks.api.intuit.com/v3",
    },
    "sandbox": {
        "QBO_API_BASE": "https://sandbox-quickbooks.api.intuit.com/v3",
    },
}
INTUIT_AUTH_URL = "https://appcenter.intuit.com/connect/oauth2"
INTUIT_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
INTUIT_REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
INTUIT_APP_URL = "https://app.qbo.intuit.com/app"
# Xero's addresses, likewise the defaults of the XERO_* URL settings.
XERO_AUTH_URL = "https://login.xero.com/identity/connect/authorize"
XERO_TOKEN_URL = "https://identity.xero.com/connect/token"
XERO_REVOKE_URL = "https://identity.xero.com/connect/revocation"
XERO_CONNECTIONS_URL = "https://api.xero.com/connections"
XERO_API_BASE = "https://api.xero.com/api.xro/2.0"
# offline_access brings the refresh token; the others read documents and items. Xero apps created
# after March 2026 must ask for granular scopes instead (PARTSEMBLE_XERO_SCOPES).
XERO_DEFAULT_SCOPES = ("offline_access", "accounting.transactions.read", "accounting.settings.read")


class ConfigError(RuntimeError):
    """The configuration cannot run the app; the message says what to set."""


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}{name} must be a whole number, not {raw!r}") from exc


def _seconds(environ: Mapping[str, str], name: str, default: str) -> str:
    """Durations stay strings of decimal seconds; the users parse them as Decimal."""
    raw = environ.get(PREFIX + name) or default
    from decimal import Decimal, InvalidOperation

    try:
        if Decimal(raw) < 0:
            raise ConfigError(f"{PREFIX}{name} must not be negative")
    except InvalidOperation as exc:
        raise ConfigError(f"{PREFIX}{name} must be a number of seconds, not {raw!r}") from exc
    return raw


def _scopes(raw: str | None) -> tuple[str, ...]:
    """PARTSEMBLE_XERO_SCOPES: scopes separated by spaces or commas; Xero's defaults when unset."""
    if raw is None or not raw.strip():
        return XERO_DEFAULT_SCOPES
    scopes = tuple(dict.fromkeys(s for s in raw.replace(",", " ").split() if s))
    if "offline_access" not in scopes:
        # Without it Xero grants no refresh token and the connection dies after 30 minutes.
        raise ConfigError(f"{PREFIX}XERO_SCOPES must include offline_access, not only {' '.join(scopes)!r}")
    return scopes


def default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "partsemble.db")


def load(environ: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables."""
    env = environ.get
    qbo_environment = (env(PREFIX + "QBO_ENVIRONMENT") or "production").strip().lower()
    if qbo_environment not in INTUIT_HOSTS:
        raise ConfigError(f"{PREFIX}QBO_ENVIRONMENT must be 'production' or 'sandbox', not {qbo_environment!r}")
    https = _flag(env(PREFIX + "HTTPS"))
    xero_scopes = _scopes(env(PREFIX + "XERO_SCOPES"))
    config: dict[str, Any] = {
        "SECRET_KEY": env(PREFIX + "SECRET_KEY") or None,
        "DEBUG": _flag(env(PREFIX + "DEBUG")),
        "SQLALCHEMY_DATABASE_URI": env(PREFIX + "DATABASE_URL") or default_database_url(instance_path),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "BEHIND_PROXY": _flag(env(PREFIX + "BEHIND_PROXY")),
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "HOME_CURRENCY": (env(PREFIX + "HOME_CURRENCY") or "USD").upper(),
        "WTF_CSRF_TIME_LIMIT": None,
        # QuickBooks Online
        "QBO_CLIENT_ID": env(PREFIX + "QBO_CLIENT_ID") or "",
        "QBO_CLIENT_SECRET": env(PREFIX + "QBO_CLIENT_SECRET") or "",
        "QBO_REDIRECT_URI": env(PREFIX + "QBO_REDIRECT_URI") or "",
        "QBO_ENVIRONMENT": qbo_environment,
        "QBO_API_BASE": env(PREFIX + "QBO_API_BASE") or INTUIT_HOSTS[qbo_environment]["QBO_API_BASE"],
        "QBO_AUTH_URL": env(PREFIX + "QBO_AUTH_URL") or INTUIT_AUTH_URL,
        "QBO_TOKEN_URL": env(PREFIX + "QBO_TOKEN_URL") or INTUIT_TOKEN_URL,
        "QBO_REVOKE_URL": env(PREFIX + "QBO_REVOKE_URL") or INTUIT_REVOKE_URL,
        "QBO_APP_URL": env(PREFIX + "QBO_APP_URL") or INTUIT_APP_URL,
        "QBO_CONNECT_TIMEOUT": _seconds(environ, "QBO_CONNECT_TIMEOUT", "10"),
        "QBO_READ_TIMEOUT": _seconds(environ, "QBO_READ_TIMEOUT", "60"),
        "QBO_MAX_RETRIES": _int(environ, "QBO_MAX_RETRIES", 5),
        "QBO_RETRY_BUDGET": _seconds(environ, "QBO_RETRY_BUDGET", "120"),
        "QBO_BACKOFF_BASE": _seconds(environ, "QBO_BACKOFF_BASE", "1"),
        "QBO_PAGE_SIZE": _int(environ, "QBO_PAGE_SIZE", 1000),
        # Xero (timeouts, retries and the token key are the QBO_* and TOKEN_KEY settings, shared)
        "XERO_CLIENT_ID": env(PREFIX + "XERO_CLIENT_ID") or "",
        "XERO_CLIENT_SECRET": env(PREFIX + "XERO_CLIENT_SECRET") or "",
        "XERO_REDIRECT_URI": env(PREFIX + "XERO_REDIRECT_URI") or "",
        "XERO_SCOPES": xero_scopes,
        "XERO_AUTH_URL": env(PREFIX + "XERO_AUTH_URL") or XERO_AUTH_URL,
        "XERO_TOKEN_URL": env(PREFIX + "XERO_TOKEN_URL") or XERO_TOKEN_URL,
        "XERO_REVOKE_URL": env(PREFIX + "XERO_REVOKE_URL") or XERO_REVOKE_URL,
        "XERO_CONNECTIONS_URL": env(PREFIX + "XERO_CONNECTIONS_URL") or XERO_CONNECTIONS_URL,
        "XERO_API_BASE": env(PREFIX + "XERO_API_BASE") or XERO_API_BASE,
        "TOKEN_KEY": env(PREFIX + "TOKEN_KEY") or "",
        "TOKEN_KEY_PREVIOUS": env(PREFIX + "TOKEN_KEY_PREVIOUS") or "",
        # Sync
        "SYNC_TIME_LIMIT": _seconds(environ, "SYNC_TIME_LIMIT", "240"),
        "SYNC_LOCK_STALE_AFTER": _seconds(environ, "SYNC_LOCK_STALE_AFTER", "300"),
        # Password hashes: scrypt, not read from the environment. Only the test suite sets another
        # method (a cheap pbkdf2), through the mapping it passes to create_app.
        "PASSWORD_HASH_METHOD": "scrypt",
        # Login throttling
        "LOGIN_MAX_FAILURES": _int(environ, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCKOUT_SECONDS": _int(environ, "LOGIN_LOCKOUT_SECONDS", 900),
        # The embedded QBO-compatible sandbox
        "SANDBOX": _flag(env(PREFIX + "SANDBOX")),
        # Demo mode: `make demo` and the servers of the browser tests. It only permits the sandbox.
        "DEMO": _flag(env(PREFIX + "DEMO")),
        "SANDBOX_DATABASE_URL": env(PREFIX + "SANDBOX_DATABASE_URL") or "sqlite:///" + str(Path(instance_path) / "sandbox.db"),
        "SANDBOX_ACCESS_TOKEN_LIFETIME": _int(environ, "SANDBOX_ACCESS_TOKEN_LIFETIME", 3600),
    }
    return config


# A key from `partsemble config init` has 64 characters drawn from 64; these bounds refuse
# what people type by hand ("changeme", "secret123") without judging real random keys.
MIN_SECRET_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 12
PLACEHOLDERS = ("changeme", "change-me", "change_me", "secret", "password", "example", "default", "dev-key", "test-key")


def secret_key_weakness(key: str) -> str | None:
    """Why `key` is too weak to sign sessions and derive the token key, or None when it is fine."""
    if len(key) < MIN_SECRET_LENGTH:
        return f"it has {len(key)} characters; use at least {MIN_SECRET_LENGTH} random ones"
    if len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return f"it uses only {len(set(key))} different characters, so it is not random"
    lowered = key.lower()
    for word in PLACEHOLDERS:
        if word in lowered:
            return f"it contains {word!r}, which looks like a placeholder"
    return None


def sandbox_refusal(config: Mapping[str, Any], *, debug: bool, testing: bool) -> str | None:
    """Why the sandbox may not be mounted with these settings, or None when it may (or is off).

    The test suite's apps count as a demo: TESTING comes only from the mapping a test passes to
    create_app (load() never reads it from the environment), so no installation can set it.
    """
    if not config.get("SANDBOX") or debug or testing or config.get("DEMO"):
        return None
    return (
        "PARTSEMBLE_SANDBOX is on outside a demo: /sandbox is a fake QuickBooks and Xero company that "
        "injects faults and answers for the app's QuickBooks and Xero connections. Turn it off, or set "
        "PARTSEMBLE_DEMO=1 (as `make demo` does) on a server that holds no real data."
    )


def check(config: Mapping[str, Any], *, debug: bool, testing: bool) -> None:
    """Refuse to run with settings that would be unsafe in production.

    Raises:
        ConfigError: with the variable to set.
    """
    if not config.get("SECRET_KEY") and not (debug or testing):
        raise ConfigError(
            "PARTSEMBLE_SECRET_KEY is not set. Partsemble signs sessions and encrypts "
            "QuickBooks and Xero tokens with it. `partsemble config init` writes an env file with a "
            "fresh one (instance/partsemble.env, read by the web app, the CLI and cron)."
        )
    weakness = secret_key_weakness(config.get("SECRET_KEY") or "") if not (debug or testing) else None
    if weakness:
        raise ConfigError(
            f"PARTSEMBLE_SECRET_KEY is too weak: {weakness}. Anyone who guesses it can sign in as "
            "anyone and read the QuickBooks and Xero tokens. `partsemble config init` writes a strong one."
        )
    refusal = sandbox_refusal(config, debug=debug, testing=testing)
    if refusal:
        raise ConfigError(refusal)


def env_file_path(environ: Mapping[str, str], instance: str) -> Path:
    """The env file to read: PARTSEMBLE_CONFIG when set, else partsemble.env in the instance folder."""
    explicit = environ.get(PREFIX + "CONFIG")
    return Path(explicit) if explicit else Path(instance) / ENV_FILE_NAME


def read_env_file(path: Path) -> dict[str, str]:
    """The settings of an env file: ``NAME=value`` lines, ``#`` comments, optional quotes.

    The format is the common subset of systemd's EnvironmentFile, docker's --env-file and
    a shell's `set -a; . file`, so one file can feed all three. No variable expansion.

    Raises:
        ConfigError: on a line that is not a PARTSEMBLE_ setting, with its line number.
    """
    settings: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not name.startswith(PREFIX) or not name.replace("_", "").isalnum():
            # Anything else is a typo or a setting meant for another program; ignoring it
            # would leave the app running on a default the admin thought they had changed.
            raise ConfigError(f"{path}, line {number}: expected PARTSEMBLE_NAME=value, not {raw.strip()!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        settings[name] = value
    return settings


def effective_environment(environ: Mapping[str, str] | None = None, instance: str | None = None) -> tuple[dict[str, str], Path | None]:
    """The settings in force: the env file's, overridden by the environment; and the file read, if any.

    The file is looked for in `instance` when given (tests), else in the instance folder
    the environment names, so a test never picks up the checkout's own file.

    Raises:
        ConfigError: PARTSEMBLE_CONFIG names a file that does not exist, or the file is malformed.
    """
    environ = os.environ if environ is None else environ
    path = env_file_path(environ, instance or instance_path(environ))
    if not path.is_file():
        if environ.get(PREFIX + "CONFIG"):
            raise ConfigError(f"PARTSEMBLE_CONFIG names {path}, which does not exist (`partsemble config init` writes one).")
        return dict(environ), None
    return {**read_env_file(path), **environ}, path


def from_environment(instance: str | None = None) -> tuple[str, dict[str, Any]]:
    """The instance folder and the Flask config, from the environment and the env file.

    An explicit `instance` (tests) wins over PARTSEMBLE_INSTANCE_PATH, which the env file
    may set itself when it is found through PARTSEMBLE_CONFIG.
    """
    settings, path = effective_environment(os.environ, instance)
    folder = instance or instance_path(settings)
    config = load(settings, folder)
    config["ENV_FILE"] = str(path) if path else ""
    return folder, config


def instance_path(environ: Mapping[str, str] | None = None) -> str:
    """Where the SQLite files live: PARTSEMBLE_INSTANCE_PATH, else ./instance of the checkout."""
    environ = os.environ if environ is None else environ
    explicit = environ.get(PREFIX + "INSTANCE_PATH")
    if explicit:
        return str(Path(explicit).resolve())
    return str(Path(__file__).resolve().parent.parent / "instance")
