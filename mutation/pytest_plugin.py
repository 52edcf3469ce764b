"""Loaded into every pytest run of `make mutate` (-p mutation.pytest_plugin).

Under mutmut each call into a mutated module passes through a trampoline, and the
machine is shared, so Hypothesis's speed health checks and deadlines would fail
tests for being slow rather than wrong. The "mutation" profile draws the same
examples every run (a mutant is killed or survives for a reason, not by luck) and
judges only correctness.

Every mutant that a property reaches runs that property again; at the hundreds of
examples the suite asks for, one surviving mutant of the parser costs a minute. Here
a property runs at most MAX_EXAMPLES examples: a mutant that only a rarer example
would show survives, is listed, and gets a test of its own with that example.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

MAX_EXAMPLES = 25

settings.register_profile(
    "mutation",
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        test = getattr(item, "obj", None)
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is not None and own.max_examples > MAX_EXAMPLES:
            test._hypothesis_internal_use_settings = settings(own, max_examples=MAX_EXAMPLES)  # type: ignore[union-attr]
