"""`partsemble demo` dates the demo on the sandbox company's calendar, not the machine's.

The sandbox company keeps QuickBooks' US Pacific time. In the hours after midnight UTC the
machine's date is already tomorrow there; a demo dated by it gave its last documents creation
times ahead of the sandbox clock, and seeding stopped with "a change cannot be stamped later
than now".
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from flask import Flask

import partsemble.demo as demo
import partsemble.sandbox.clock as clock

# 00:30 UTC on 2 December is 16:30 on 1 December in the sandbox company's zone (PST, UTC-8).
JUST_AFTER_MIDNIGHT_UTC = int(datetime(2026, 12, 2, 0, 30, tzinfo=timezone.utc).timestamp()) * 1_000_000


def test_the_demo_is_dated_by_the_sandbox_companys_day(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    days: list[date] = []
    monkeypatch.setattr(clock, "now_us", lambda: JUST_AFTER_MIDNIGHT_UTC)
    monkeypatch.setattr(demo, "load_demo", lambda day: days.append(day) or True)

    result = app.test_cli_runner().invoke(demo.demo_command, [])

    assert result.exit_code == 0, result.output
    assert days == [date(2026, 12, 1)]


def test_an_explicit_day_wins(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    days: list[date] = []
    monkeypatch.setattr(demo, "load_demo", lambda day: days.append(day) or True)

    result = app.test_cli_runner().invoke(demo.demo_command, ["--today", "2026-06-30"])

    assert result.exit_code == 0, result.output
    assert days == [date(2026, 6, 30)]
