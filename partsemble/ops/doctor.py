"""`partsemble doctor`: what this installation is configured to do, and what would break production.

The report is built from the configuration alone, without starting the app, so it
still answers when the app would refuse to start (no secret key, a bad setting).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from partsemble import config as config_module
from partsemble.config import sandbox_refusal, secret_key_weakness
from partsemble.ops.files import readable_by_others, sqlite_path

INTUIT_DOMAIN = "intuit.com"


@dataclass(frozen=True)
class Finding:
    """One problem: an error would break or endanger production; a warning deserves a look."""

    level: str  # "error" or "warning"
    message: str


@dataclass
class Report:
    facts: list[tuple[str, str]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def error(self, message: str) -> None:
        self.findings.append(Finding("error", message))

    def warning(self, message: str) -> None:
        self.findings.append(Finding("warning", message))

    @property
    def failed(self) -> bool:
        return any(f.level == "error" for f in self.findings)


def _database(report: Report, config: Mapping[str, Any], instance: str) -> None:
    uri = config["SQLALCHEMY_DATABASE_URI"]
    shown = sa.make_url(uri).render_as_string(hide_password=True)
    path = sqlite_path(uri, instance)
    if path is None:
        report.facts.append(("database", shown))
        return
    if not path.exists():
        report.facts.append(("database", f"{shown} (not created yet: run `partsemble db upgrade`)"))
        return
    mode = path.stat().st_mode & 0o777
    report.facts.append(("database", f"{shown} (mode {mode:04o})"))
    if readable_by_others(path):
        report.error(
            f"The database {path} can be read by other users of this server (mode {mode:04o}): chmod 600 it, and its -wal and -shm files."
        )


def _secrets(report: Report, config: Mapping[str, Any]) -> None:
    key = config.get("SECRET_KEY") or ""
    if not key:
        report.facts.append(("secret key", "missing"))
        report.error("PARTSEMBLE_SECRET_KEY is not set: the app refuses to start (`partsemble config init` writes one).")
    else:
        weakness = secret_key_weakness(key)
        report.facts.append(("secret key", f"set, {len(key)} characters" + (" (weak)" if weakness else "")))
        if weakness:
            report.error(
                f"PARTSEMBLE_SECRET_KEY is weak: {weakness}. Anyone who guesses it can sign in as anyone and read the QuickBooks tokens."
            )
    if config.get("TOKEN_KEY"):
        report.facts.append(("token key", "PARTSEMBLE_TOKEN_KEY"))
    else:
        report.facts.append(("token key", "derived from the secret key"))
    if config.get("TOKEN_KEY_PREVIOUS"):
        report.warning("PARTSEMBLE_TOKEN_KEY_PREVIOUS is set: finish the rotation with `partsemble qbo rotate-key`, then remove it.")


def _is_intuit(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return urlsplit(url).scheme == "https" and (host == INTUIT_DOMAIN or host.endswith("." + INTUIT_DOMAIN))


def _quickbooks(report: Report, config: Mapping[str, Any]) -> None:
    endpoints = [config.get(name) or "" for name in ("QBO_API_BASE", "QBO_AUTH_URL", "QBO_TOKEN_URL", "QBO_REVOKE_URL")]
    elsewhere = [url for url in endpoints if not _is_intuit(url)]
    where = "Intuit" if not elsewhere else "overridden: " + ", ".join(sorted(set(elsewhere)))
    report.facts.append(("QuickBooks", f"{config['QBO_ENVIRONMENT']}, API {config['QBO_API_BASE']} ({where})"))
    if elsewhere and not config.get("SANDBOX"):
        report.warning("QuickBooks endpoints are overridden: this installation does not talk to Intuit.")
    if not (config.get("QBO_CLIENT_ID") and config.get("QBO_CLIENT_SECRET")):
        report.warning("PARTSEMBLE_QBO_CLIENT_ID / _CLIENT_SECRET are not set: connecting QuickBooks will fail.")


def diagnose(config: Mapping[str, Any], instance: str, env_file: Path | None) -> Report:
    """Everything `partsemble doctor` prints, and the problems it exits non-zero for."""
    report = Report()
    if env_file is None:
        report.facts.append(("env file", "none (settings from the environment only)"))
    else:
        mode = env_file.stat().st_mode & 0o777
        report.facts.append(("env file", f"{env_file} (mode {mode:04o})"))
        if readable_by_others(env_file):
            report.error(
                f"The env file {env_file} can be read by other users of this server (mode {mode:04o}): "
                "it holds the secret key; chmod 600 it."
            )
    report.facts.append(("instance", instance))
    _database(report, config, instance)
    https = bool(config.get("SESSION_COOKIE_SECURE"))
    report.facts.append(("https", "on (secure cookies, HSTS)" if https else "off"))
    report.facts.append(("behind proxy", "yes" if config.get("BEHIND_PROXY") else "no"))
    if not https:
        report.warning("PARTSEMBLE_HTTPS is off: sessions travel in clear text unless this only serves localhost.")
    _secrets(report, config)
    _quickbooks(report, config)
    report.facts.append(("sandbox", "ON" if config.get("SANDBOX") else "off"))
    report.facts.append(("demo mode", "ON" if config.get("DEMO") else "off"))
    refusal = sandbox_refusal(config, debug=bool(config.get("DEBUG")), testing=False)
    if refusal:
        report.error(refusal + " The app refuses to start this way.")
    elif config.get("SANDBOX"):
        report.error(
            "PARTSEMBLE_SANDBOX is on: /sandbox plays a fake QuickBooks company on this server, which "
            "its admins can edit and fill with faults. Demos only."
        )
    report.facts.append(("debug", "ON" if config.get("DEBUG") else "off"))
    if config.get("DEBUG"):
        report.error("PARTSEMBLE_DEBUG is on: it shows tracebacks to visitors and lets the app run without a secret key.")
    return report


def diagnose_environment() -> Report:
    """The report for this process's environment and env file.

    Raises:
        ConfigError: a setting cannot be read at all (the message says which).
    """
    instance, config = config_module.from_environment()
    env_file = Path(config["ENV_FILE"]) if config["ENV_FILE"] else None
    return diagnose(config, instance, env_file)
