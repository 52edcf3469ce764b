"""`make demo` prints the address it really serves."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_demo_passes_its_host_and_port_to_the_printed_login_step() -> None:
    plan = subprocess.run(["make", "-n", "demo", "HOST=0.0.0.0", "PORT=5100"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "partsemble demo --url http://0.0.0.0:5100" in plan
    assert "partsemble run --host 0.0.0.0 --port 5100" in plan


def test_the_demo_command_prints_the_url_it_is_given(app) -> None:  # type: ignore[no-untyped-def]
    from partsemble.demo import demo_command

    result = app.test_cli_runner().invoke(demo_command, ["--url", "http://127.0.0.1:5100/", "--today", "2026-06-30"])
    assert result.exit_code == 0, result.output
    assert "Log in at http://127.0.0.1:5100 as" in result.output
    assert "127.0.0.1:5000" not in result.output
