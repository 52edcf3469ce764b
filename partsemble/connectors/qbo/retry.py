"""The shared retry loop (connectors/retry.py) with QBO's failure log: status, code and intuit_tid."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from partsemble.connectors import retry as shared
from partsemble.connectors.retry import RetryPolicy, Timeouts, monotonic_seconds, random_fraction, sleep_seconds, wire_seconds

__all__ = [
    "RetryPolicy",
    "Timeouts",
    "log_failure",
    "monotonic_seconds",
    "random_fraction",
    "run_with_retries",
    "sleep_seconds",
    "wire_seconds",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")


def run_with_retries(policy: RetryPolicy, attempt: Callable[[], T], where: str) -> T:
    """The shared retry loop, each failure logged with status, code and intuit_tid.

    Raises:
        ConnectorError: the first error that may not be retried, or the last
            retriable one once the retry count or the time budget is spent.
    """
    return shared.run_with_retries(policy, attempt, where, log_failure)


log_failure = shared.failure_log(logger, "QBO", "intuit_tid")
