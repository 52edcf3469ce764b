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

Every mutant's tests are a new pytest session, and each session would migrate a new SQLite
template database (tests/conftest.py): about a second of CPU per mutant, often more than the
tests that kill it. The first session keeps its migrated template in TEMPLATE_CACHE (inside the
scratch folder mutmut runs from) and the others copy it. The migrations are the same for every
mutant and run no code of a mutated area on an empty database.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

MAX_EXAMPLES = 25
TEMPLATE_CACHE = Path(".mutation-template") / "template.db"

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


def _cached(migrate: Callable[[str, Path], None]) -> Callable[[str, Path], None]:
    def migrate_once(url: str, tmp: Path) -> None:
        target = sa.make_url(url)
        if target.get_backend_name() != "sqlite" or not target.database:
            migrate(url, tmp)
            return
        if not TEMPLATE_CACHE.exists():
            migrate(url, tmp)
            TEMPLATE_CACHE.parent.mkdir(exist_ok=True)
            partial = TEMPLATE_CACHE.with_name(f"{uuid.uuid4().hex}.part")
            shutil.copy(target.database, partial)
            os.replace(partial, TEMPLATE_CACHE)  # whole or not at all, whichever worker wins
            return
        shutil.copy(TEMPLATE_CACHE, target.database)

    migrate_once.cached = True  # type: ignore[attr-defined]
    return migrate_once


def pytest_sessionstart(session: pytest.Session) -> None:
    conftest = sys.modules.get("tests.conftest")
    if conftest is not None and not getattr(conftest._migrate, "cached", False):
        conftest._migrate = _cached(conftest._migrate)
