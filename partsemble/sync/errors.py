"""Why a sync could not start: one root, so every caller catches one thing and shows its words."""

from __future__ import annotations


class SyncNotStarted(Exception):
    """A sync (or an item-list refresh) could not start; nothing was written.

    str(exc) is the message for the user. `level` is how to show it: "warning" when
    waiting is enough (another sync runs), "error" when someone has to fix something.
    """

    level = "error"


class SyncNotReady(SyncNotStarted):
    """Nothing to sync from: not connected, the connection expired, or no initial sync date."""


class TokenKeyProblem(SyncNotStarted):
    """The stored QuickBooks tokens cannot be decrypted with the configured keys."""


class SourceUnavailable(SyncNotStarted):
    """The item list could not be read from QuickBooks (a sync run records such failures itself)."""
