"""Browser tests: headless Chromium (Debian's, at /usr/bin/chromium) against a real server per test.

Each test gets its own server process on a free port, its own instance directory and its own
database (SQLite, or a scratch PostgreSQL database when PARTSEMBLE_TEST_DATABASE_URL is set),
copied from one database migrated and loaded with `partsemble demo` at the start of the session,
with the sandbox QuickBooks company beside it. After the test, `partsemble check` must pass on
that database. Screenshots land in tests/e2e/artifacts/ (git-ignored); a failed test leaves
FAILED-<test>.png there and prints the server's log.

Run: `.venv/bin/python -m pytest tests/e2e -rA --durations=0` (add PARTSEMBLE_TEST_DATABASE_URL
for PostgreSQL). Without /usr/bin/chromium every test here is skipped, with the reason in the summary.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import LiveServer, Template, seed_template, start_server

CHROMIUM = Path("/usr/bin/chromium")
SKIP_REASON = "Chromium not found at /usr/bin/chromium: browser tests skipped (apt-get install -y chromium)"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
E2E_DIR = Path(__file__).parent
FAILED = pytest.StashKey[bool]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if item.get_closest_marker("e2e") and E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    report = yield
    # The page fixture saves a screenshot when the test body failed.
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    """`partsemble db upgrade` and `partsemble demo`, once; every server starts from a copy."""
    seeded = seed_template(tmp_path_factory.mktemp("e2e-template"), os.environ.get("PARTSEMBLE_TEST_DATABASE_URL", ""))
    yield seeded
    seeded.database.drop()


@pytest.fixture
def server(template: Template, tmp_path: Path) -> Iterator[LiveServer]:
    """A fresh server with the demo business and the sandbox company, not yet connected."""
    live = start_server(tmp_path, template)
    try:
        yield live
        # The ledger and the sales must be consistent after every scenario (partsemble check).
        problems = live.violations()
        assert problems == [], "partsemble check failed:\n" + "\n".join(problems)
    finally:
        live.stop()
        live.database.drop()


class PageWatch:
    """What the page did that no test asked for: dialogs, script errors, CSP violations."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []

    def on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(f"CSP: {message.text}")

    def on_page_error(self, error: Any) -> None:
        self.errors.append(f"script error: {error}")


def open_page(browser: Any, server: LiveServer, watch: PageWatch, viewport: dict[str, int] = LAPTOP) -> tuple[Any, Any]:
    context = browser.new_context(base_url=server.url, viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("dialog", watch.on_dialog)
    page.on("console", watch.on_console)
    page.on("pageerror", watch.on_page_error)
    return context, page


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(browser: Any, server: LiveServer, watch: PageWatch, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A laptop-sized page on the server. No dialog may open and no script may fail (CSP included)."""
    failed_shot = ARTIFACTS / f"FAILED-{request.node.name}.png"
    failed_shot.unlink(missing_ok=True)
    context, page = open_page(browser, server, watch)
    yield page
    try:
        if request.node.stash.get(FAILED, False):
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(failed_shot), full_page=True)
            print(f"server log:\n{server.log()}")
    finally:
        context.close()
    assert watch.dialogs == [], f"unexpected dialogs: {watch.dialogs}"
    assert watch.errors == [], f"errors in the page: {watch.errors}"


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """shot(page, "name") saves a full-page screenshot as artifacts/<test>-<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name.removeprefix("test_"))

    def take(page: Any, name: str, *, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{test}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
