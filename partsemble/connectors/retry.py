"""How long to wait and how often to try again: timeouts, backoff and the retry loop, for every connector.

Seconds are Decimal everywhere in the house; `wire_seconds` is the one place
they become the plain number that `time.sleep` and requests insist on.
"""

from __future__ import annotations

import logging
import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import TypeVar

from partsemble.connectors.errors import ConnectorError, NotFound, RateLimited

T = TypeVar("T")

# How a connector logs one failed request: (where, error, what happens next).
FailureLog = Callable[[str, ConnectorError, str], None]


def failure_log(logger: logging.Logger, system: str, trace_name: str) -> FailureLog:
    """A FailureLog writing status, code and the vendor's request id (`trace_name`) to `logger`;
    `where` and error messages never carry tokens."""

    def log_failure(where: str, error: ConnectorError, outcome: str) -> None:
        # Not-found is often the answer hoped for (a deletion confirmed), so it is not a warning.
        logger.log(
            logging.INFO if isinstance(error, NotFound) else logging.WARNING,
            "%s %s failed: status=%s code=%s %s=%s error=%s (%s); %s",
            system,
            where,
            error.status if error.status is not None else "-",
            error.code or "-",
            trace_name,
            error.tid or "-",
            type(error).__name__,
            error.message,
            outcome,
        )

    return log_failure


def wire_seconds(seconds: Decimal) -> float:  # durations only: time.sleep and requests take float seconds
    """Decimal seconds as the number the standard library takes, rounded up to the millisecond, never negative."""
    milliseconds = int(seconds.scaleb(3).to_integral_value(rounding=ROUND_CEILING))
    return max(milliseconds, 0) / 1000


def sleep_seconds(seconds: Decimal) -> None:
    """Block for `seconds`."""
    time.sleep(wire_seconds(seconds))


def random_fraction() -> Decimal:
    """A random Decimal in [0, 1), to a millionth: jitter only, never security."""
    return Decimal(_random.randrange(1_000_000)).scaleb(-6)


def monotonic_seconds() -> Decimal:
    """A monotonic clock reading in Decimal seconds."""
    return Decimal(time.monotonic_ns()).scaleb(-9)


@dataclass(frozen=True)
class Timeouts:
    """Connect and read timeouts in seconds; QBO itself gives up on a request after 120 s, Xero's limit is similar."""

    connect: Decimal = Decimal(5)
    read: Decimal = Decimal(60)

    def for_requests(self) -> tuple[float, float]:  # durations only (requests wants float seconds)
        """The (connect, read) pair requests' `timeout=` takes."""
        return (wire_seconds(self.connect), wire_seconds(self.read))


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, and for how long in total, a retriable failure is tried again.

    `sleep`, `random` and `clock` are injectable so tests neither wait nor guess.
    """

    max_retries: int = 4
    budget: Decimal = Decimal(120)  # seconds from the first attempt, waits included
    backoff_base: Decimal = Decimal(1)
    backoff_cap: Decimal = Decimal(60)
    sleep: Callable[[Decimal], None] = sleep_seconds
    random: Callable[[], Decimal] = random_fraction  # returns a Decimal in [0, 1)
    clock: Callable[[], Decimal] = monotonic_seconds

    def backoff(self, retry: int) -> Decimal:
        """The wait before retry number `retry` (0 first): base doubled each time, capped, upper half jittered."""
        doubling: int = 2**retry  # retry >= 0, so a whole number (typeshed types int ** int as Any)
        ceiling = min(self.backoff_cap, self.backoff_base * doubling)
        half = ceiling / 2
        return half + half * self.random()

    def wait_after(self, error: ConnectorError, retry: int) -> Decimal:
        """How long to wait after `error`: the server's Retry-After when it gave one, else the backoff."""
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return error.retry_after
        return self.backoff(retry)


def run_with_retries(policy: RetryPolicy, attempt: Callable[[], T], where: str, log_failure: FailureLog) -> T:
    """Call `attempt` until it returns, retrying retriable ConnectorErrors within the policy.

    Every failure goes to `log_failure` with `where` (method and path) and what happens next.

    Raises:
        ConnectorError: the first error that may not be retried, or the last
            retriable one once the retry count or the time budget is spent.
    """
    started = policy.clock()
    retries = 0
    server_errors = 0
    while True:
        try:
            return attempt()
        except ConnectorError as error:
            if error.status == 500:
                server_errors += 1
            wait = Decimal(0)
            reason = _why_not_retry(policy, error, retries, server_errors)
            if reason is None:
                wait = policy.wait_after(error, retries)
                if policy.clock() - started + wait > policy.budget:
                    reason = f"waiting {wait}s more would exceed the {policy.budget}s budget"
            log_failure(where, error, f"giving up: {reason}" if reason else f"retrying in {wait}s")
            if reason is not None:
                raise
        policy.sleep(wait)
        retries += 1


def _why_not_retry(policy: RetryPolicy, error: ConnectorError, retries: int, server_errors: int) -> str | None:
    if not error.retriable:
        return "not retriable"
    if retries >= policy.max_retries:
        return f"{retries} retries done"
    # Intuit's advice, kept for every source: a 500 is worth exactly one more try, unlike 502/503/504.
    if server_errors > 1:
        return "HTTP 500 twice"
    return None
