"""Scenario 10: Sync Now and the error fix work from the keyboard alone, and every form field has a label."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.flows import SYNC_TIMEOUT, connect, count, login
from tests.e2e.server import LiveServer

pytestmark = pytest.mark.e2e

# Fields a user can reach that have neither a <label for=id> with text nor an aria-label; ids used twice
# (a label then names the wrong field); fields that claim to be invalid on a form nobody submitted.
UNLABELLED = """() => {
  const fields = Array.from(document.querySelectorAll('input, select, textarea'))
    .filter(el => el.type !== 'hidden' && !el.closest('[hidden]'));
  const named = el => {
    const label = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
    return (label && label.textContent.trim()) || (el.getAttribute('aria-label') || '').trim();
  };
  const ids = Array.from(document.querySelectorAll('[id]'), el => el.id);
  return {
    fields: fields.length,
    unlabelled: fields.filter(el => !named(el)).map(el => el.outerHTML),
    duplicate_ids: ids.filter((id, i) => ids.indexOf(id) !== i),
    invalid: fields.filter(el => !['false', null].includes(el.getAttribute('aria-invalid'))).map(el => el.outerHTML),
  };
}"""
FOCUS = """() => {
  const el = document.activeElement;
  const style = el ? getComputedStyle(el) : null;
  return el ? {id: el.id, tag: el.tagName, text: el.textContent.trim(), cls: el.className, href: el.getAttribute('href'),
               outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0} : null;
}"""


def assert_every_field_labelled(page: Page, at_least: int) -> None:
    found = page.evaluate(UNLABELLED)
    assert found["unlabelled"] == [], page.url
    assert found["duplicate_ids"] == [], page.url
    assert found["invalid"] == [], page.url
    assert found["fields"] >= at_least, page.url


def tab_to(page: Page, matches, limit: int = 80) -> dict:  # type: ignore[no-untyped-def]
    """Press Tab until the focused element matches; fail after `limit` presses."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS)
        if focused and matches(focused):
            assert focused["outline"], f"no visible focus on {focused}"
            return focused
    raise AssertionError(f"not reached with {limit} presses of Tab; focus is on {page.evaluate(FOCUS)}")


def test_sync_now_and_the_fix_link_work_with_the_keyboard(page: Page, server: LiveServer, shot) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    assert_every_field_labelled(page, 2)
    login(page)
    page.goto("/settings/connection")
    assert_every_field_labelled(page, 1)
    connect(page)
    assert_every_field_labelled(page, 2)  # sync settings: initial sync date and the restock checkbox

    page.goto("/sales/")
    tab_to(page, lambda f: f["id"] == "sync-button")
    shot(page, "sync-focused", full_page=False)
    with page.expect_response(lambda r: r.request.headers.get("hx-target") == "sales-table", timeout=SYNC_TIMEOUT):
        page.keyboard.press("Enter")
    expect(page.locator("#sync-button")).to_be_enabled()
    assert server.scalar("SELECT count(*) FROM sync_runs") == 1
    assert count(page, "created") == server.scalar("SELECT created FROM sync_runs")

    fix = tab_to(page, lambda f: "fix-link" in f["cls"])
    assert fix["href"] == "/items/4" and fix["text"] == "Link 'Lavender Soap 200g' to a product"
    shot(page, "fix-link-focused", full_page=False)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/items/4$"))
    assert_every_field_labelled(page, 2)

    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Link to Lavender Soap 200g")
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success").nth(1)).to_have_text("Retried the waiting documents: 12 applied.")
    assert server.scalar("SELECT count(*) FROM failed_documents") == 0
    shot(page, "linked")


FORMS = {  # page: the fewest fields it must have (so an empty or broken page cannot pass)
    "/lots/receive": 7,
    "/sales/manual/new": 4 + 3 * 3,
    "/sales/": 6,
    "/products/new": 4,
    "/settings/users": 4,
    "/account/password": 2,
}


def test_every_form_field_has_a_label(page: Page, server: LiveServer) -> None:
    login(page)
    for path, at_least in FORMS.items():
        page.goto(path)
        assert_every_field_labelled(page, at_least)
    page.goto("/sales/manual/new")
    page.get_by_role("button", name="+ Add a line").click()
    expect(page.locator("fieldset.line-row")).to_have_count(4)
    assert_every_field_labelled(page, FORMS["/sales/manual/new"] + 3)
