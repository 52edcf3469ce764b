"""The shared retry loop (connectors/retry.py) with QBO's failure log: status, code and intuit_tid."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from partsemble.connectors import retry as shared
from partsemble.connectors.errors import ConnectorError, NotFound
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


def log_failure(where: str, error: ConnectorError, outcome: str) -> None:
    """Log one failed request; `where` and error messages never carry tokens."""
    # Not-found is often the answer hoped for (a deletion confirmed), so it is not a warning.
    logger.log(
        logging.INFO if isinstance(error, NotFound) else logging.WARNING,
        "QBO %s failed: status=%s code=%s intuit_tid=%s error=%s (%s); %s",
        where,
        error.status if error.status is not None else "-",
        error.code or "-",
        error.tid or "-",
        type(error).__name__,
        error.message,
        outcome,
    )
