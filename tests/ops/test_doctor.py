"""`partsemble doctor` says what is configured and fails on what would break production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from partsemble import config
from partsemble.config import secret_key_weakness
from partsemble.ops.doctor import diagnose

STRONG_KEY = "Vb3q9ZkT1xQm0Lr7sYw2Nd8HfJc5GpUe4AoRiKt6MvBnXzCyWh"
PARTSEMBLE = str(Path(sys.executable).parent / "partsemble")


@pytest.mark.parametrize(
    ("key", "weak"),
    [
        (STRONG_KEY, False),
        ("Vb3q9ZkT1xQm0Lr7", True),  # 16 characters
        ("ab" * 20, True),  # long but two characters
        ("changeme-" + STRONG_KEY, True),
        ("my-Secret-" + STRONG_KEY, True),
    ],
)
def test_secret_key_strength(key, weak) -> None:  # type: ignore[no-untyped-def]
    assert (secret_key_weakness(key) is not None) is weak


PRODUCTION = {
    "PARTSEMBLE_SECRET_KEY": STRONG_KEY,
    "PARTSEMBLE_HTTPS": "1",
    "PARTSEMBLE_BEHIND_PROXY": "1",
    "PARTSEMBLE_QBO_CLIENT_ID": "id",
    "PARTSEMBLE_QBO_CLIENT_SECRET": "secret",
}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({}, None),
        ({"PARTSEMBLE_SANDBOX": "1"}, "PARTSEMBLE_SANDBOX is on outside a demo"),
        ({"PARTSEMBLE_SANDBOX": "1", "PARTSEMBLE_DEMO": "1"}, "PARTSEMBLE_SANDBOX is on: /sandbox"),
        ({"PARTSEMBLE_DEBUG": "1"}, "PARTSEMBLE_DEBUG is on"),
        ({"PARTSEMBLE_SECRET_KEY": ""}, "PARTSEMBLE_SECRET_KEY is not set"),
        ({"PARTSEMBLE_SECRET_KEY": "secret123"}, "PARTSEMBLE_SECRET_KEY is weak"),
    ],
)
def test_what_breaks_production_is_an_error(tmp_path, change, error) -> None:  # type: ignore[no-untyped-def]
    settings = config.load({**PRODUCTION, **change}, str(tmp_path))
    report = diagnose(settings, str(tmp_path), None)
    errors = [f.message for f in report.findings if f.level == "error"]
    assert report.failed is (error is not None)
    assert (errors == []) if error is None else any(error in message for message in errors), errors


def test_the_report_names_every_setting_that_matters(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = config.load({**PRODUCTION, "PARTSEMBLE_TOKEN_KEY": "another passphrase"}, str(tmp_path))
    report = diagnose(settings, str(tmp_path), None)
    facts = dict(report.facts)
    assert set(facts) >= {"database", "https", "secret key", "token key", "QuickBooks", "sandbox", "demo mode", "debug"}
    assert facts["https"].startswith("on") and facts["sandbox"] == "off" and facts["debug"] == "off"
    assert facts["token key"] == "PARTSEMBLE_TOKEN_KEY"
    assert "https://quickbooks.api.intuit.com/v3 (Intuit)" in facts["QuickBooks"]
    assert STRONG_KEY not in " ".join(facts.values())  # the report may be pasted into a support request


def test_endpoints_away_from_intuit_and_missing_keys_are_warnings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = config.load(
        {"PARTSEMBLE_SECRET_KEY": STRONG_KEY, "PARTSEMBLE_HTTPS": "1", "PARTSEMBLE_QBO_API_BASE": "http://127.0.0.1:5000/sandbox/v3"},
        str(tmp_path),
    )
    report = diagnose(settings, str(tmp_path), None)
    assert not report.failed
    warnings = " ".join(f.message for f in report.findings if f.level == "warning")
    assert "does not talk to Intuit" in warnings and "CLIENT_ID" in warnings


def test_files_others_can_read_are_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env_file = tmp_path / "partsemble.env"
    env_file.write_text(f"PARTSEMBLE_SECRET_KEY={STRONG_KEY}\n")
    database = tmp_path / "partsemble.db"
    database.write_bytes(b"")
    env_file.chmod(0o644)
    database.chmod(0o640)
    settings = config.load(PRODUCTION, str(tmp_path))
    errors = [f.message for f in diagnose(settings, str(tmp_path), env_file).findings if f.level == "error"]
    assert len(errors) == 2 and "env file" in errors[0] and "database" in errors[1]
    env_file.chmod(0o600)
    database.chmod(0o600)
    assert not diagnose(settings, str(tmp_path), env_file).failed


def run_doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PARTSEMBLE, "doctor"], env=env, capture_output=True, text=True, timeout=60, check=False)


def test_doctor_answers_even_when_the_app_would_refuse_to_start(tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = {"PATH": os.environ.get("PATH", ""), "PARTSEMBLE_INSTANCE_PATH": str(tmp_path)}
    missing = run_doctor(base)
    assert missing.returncode == 1
    assert "secret key    missing" in missing.stdout and "Not ready for production." in missing.stderr
    (tmp_path / "partsemble.env").write_text(f"PARTSEMBLE_SECRET_KEY={STRONG_KEY}\nPARTSEMBLE_HTTPS=1\n")
    (tmp_path / "partsemble.env").chmod(0o600)
    ready = run_doctor(base)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert f"env file      {tmp_path / 'partsemble.env'} (mode 0600)" in ready.stdout
    refused = run_doctor({**base, "PARTSEMBLE_SANDBOX": "1"})
    assert refused.returncode == 1 and "The app refuses to start this way." in refused.stdout + refused.stderr
