"""A run's outcome in words: Finished, Finished with N problems, Stopped: <reason>."""

from __future__ import annotations

import pytest

from partsemble.sync.summary import outcome_words


@pytest.mark.parametrize(
    ("status", "errors", "message", "words"),
    [
        ("succeeded", 0, "Finished: 4 documents read, all applied or already up to date.", "Finished"),
        ("succeeded", 1, "Finished: 4 documents read; 1 need your attention (see the list).", "Finished with 1 problem"),
        ("succeeded", 12, "Finished: 40 documents read; 12 need your attention (see the list).", "Finished with 12 problems"),
        (
            "failed",
            0,
            "Stopped after 240 s so the server stays responsive. 9 documents were finished and are kept; press Sync Now again to continue.",
            "Stopped: time limit reached after 240 s (press Sync Now again to continue)",
        ),
        (
            "failed",
            3,
            "QuickBooks connection expired - Reconnect in Settings. Your data is kept. 0 documents were finished.",
            "Stopped: QuickBooks connection expired - Reconnect in Settings",
        ),
        (
            "failed",
            0,
            "QuickBooks did not answer properly (HTTP 503). Try again in a few minutes.",
            "Stopped: QuickBooks did not answer properly (HTTP 503)",
        ),
        (
            "failed",
            0,
            "Stopped: this sync looked stalled and another one took over.",
            "Stopped: this sync looked stalled and another one took over",
        ),
        (
            "failed",
            0,
            "Interrupted: the process running this sync stopped before it finished. What it finished is kept.",
            "Stopped: the process running this sync stopped before it finished",
        ),
        (
            "failed",
            0,
            "The sync stopped because of an internal error (logged). What it finished is kept.",
            "Stopped: an internal error (logged)",
        ),
        ("failed", 0, "", "Stopped"),
        ("running", 0, "", "Running"),
    ],
)
def test_a_run_reads_finished_with_its_problems_or_stopped_with_its_reason(status, errors, message, words) -> None:
    assert outcome_words(status, errors, message) == words
