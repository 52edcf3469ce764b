"""What a user does again and again in the browser tests: log in, connect QuickBooks (and Xero), press
Sync Now, and change documents in the sandbox company's own screens (or move them into its Xero face)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from playwright.sync_api import Page, Response, expect

from tests.e2e.server import ADMIN_EMAIL, ADMIN_PASSWORD, LiveServer

COMPANY = "Juniper & Wick Co."
# The demo's sales span the last few months; a year back takes them all.
INITIAL_SYNC_DATE = date.today() - timedelta(days=365)
SYNC_TIMEOUT = 60_000
# The sandbox's Xero face has the demo company as an organisation and Xero's empty demo one beside it
# (partsemble.sandbox.xero.schema.ORGANISATIONS): connecting means choosing one.
XERO_ORGANISATION = COMPANY
XERO_ORGANISATIONS = (COMPANY, "Demo Company (Global)")


def login(page: Page, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/sales/$"))


def connect(page: Page, initial: date = INITIAL_SYNC_DATE) -> None:
    """Settings > QuickBooks connection > Connect, approve on the sandbox's consent page, come back."""
    page.goto("/settings/connection")
    page.locator('[data-provider="qbo"]').get_by_label("Initial sync date").fill(initial.isoformat())
    page.get_by_role("button", name="Connect QuickBooks Online").click()
    page.wait_for_url(re.compile(r"/sandbox/oauth2/authorize\?"))
    page.locator("#approve").click()
    page.wait_for_url(re.compile(r"/settings/connection$"))
    expect(page.locator(".flash")).to_have_text(f"Connected to {COMPANY}")


def connect_xero(page: Page, initial: date = INITIAL_SYNC_DATE, organisation: str = XERO_ORGANISATION) -> None:
    """Settings > Xero card > Connect Xero, allow every organisation on the sandbox's Xero consent page,
    choose `organisation` on Partsemble's page (the authorization reaches two), come back."""
    page.goto("/settings/connection")
    card = page.locator('[data-provider="xero"]')
    card.get_by_label("Initial sync date").fill(initial.isoformat())
    card.get_by_role("button", name="Connect Xero", exact=True).click()
    page.wait_for_url(re.compile(r"/sandbox/xero/identity/connect/authorize\?"))
    boxes = page.locator("#xero-consent").get_by_role("checkbox")
    expect(boxes).to_have_count(len(XERO_ORGANISATIONS))
    for i in range(len(XERO_ORGANISATIONS)):
        boxes.nth(i).check()
    page.locator("#allow-access").click()
    page.wait_for_url(re.compile(r"/connections/xero/organisation$"))
    for name in XERO_ORGANISATIONS:
        expect(page.get_by_role("radio", name=name, exact=True)).to_have_count(1)
    page.get_by_role("radio", name=organisation, exact=True).check()
    page.get_by_role("button", name="Connect this organisation").click()
    page.wait_for_url(re.compile(r"/settings/connection$"))
    expect(page.locator(".flash")).to_have_text(f"Connected to {organisation} (Xero)")


def _is_sync_post(response: Response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/sales/sync")


def _is_table_refresh(response: Response) -> bool:
    return response.request.method == "GET" and response.request.headers.get("hx-target") == "sales-table"


def press_sync_now(page: Page) -> None:
    """Press Sync Now on the Sales page and wait for the summary and the refreshed sales table."""
    # The table replaces itself (outerHTML) on the sales-changed event; the old one carries a mark.
    page.locator("#sales-table").evaluate("table => { table.dataset.stale = 'yes'; }")
    with page.expect_response(_is_table_refresh, timeout=SYNC_TIMEOUT):
        with page.expect_response(_is_sync_post, timeout=SYNC_TIMEOUT) as answer:
            page.locator("#sync-button").click()
        assert answer.value.status == 200
    expect(page.locator("#sales-table:not([data-stale])")).to_have_count(1)
    expect(page.locator("#sync-button")).to_be_enabled()


def sync_now(page: Page) -> None:
    page.goto("/sales/")
    press_sync_now(page)


def count(page: Page, name: str) -> int:
    return int(page.locator(f"#sync-panel [data-count={name}]").inner_text())


def counts(page: Page) -> dict[str, int]:
    return {name: count(page, name) for name in ("created", "updated", "voided", "skipped", "errors")}


def csrf_token(page: Page) -> str:
    return str(page.locator('meta[name="csrf-token"]').get_attribute("content"))


def money(text: str) -> Decimal:
    """ "-$1,234.50" as Decimal("-1234.50")."""
    cleaned = text.strip().replace(",", "").replace("$", "")
    return Decimal(cleaned)


def quantity(text: str) -> Decimal:
    return Decimal(text.split()[0].replace(",", ""))


def formatted_money(value: Decimal) -> str:
    amount = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


# The database keeps Decimals as scaled integers (partsemble.models.base.ScaledDecimal).
def db_money(raw: Any) -> Decimal:
    return Decimal(int(raw or 0)).scaleb(-6)


def db_quantity(raw: Any) -> Decimal:
    return Decimal(int(raw or 0)).scaleb(-4)


# -- the sandbox company's own screens (selectors documented in partsemble/sandbox/ui_*.py) -----


def sandbox_create_customer(page: Page, name: str) -> str:
    page.goto("/sandbox/customers")
    page.locator("#display_name").fill(name)
    page.locator("#create-customer").click()
    row = page.locator("#customers tr[data-id]").filter(has_text=name)
    expect(row).to_have_count(1)
    return str(row.get_attribute("data-id"))


def sandbox_create_invoice(page: Page, customer: str, lines: list[tuple[str, int]], txn_date: date | None = None) -> tuple[str, str]:
    """A new invoice; lines are (item label as the select shows it, quantity). Returns (Id, DocNumber)."""
    page.goto("/sandbox/documents/new?type=Invoice")
    page.locator("#customer_id").select_option(label=customer)
    page.locator("#txn_date").fill((txn_date or date.today()).isoformat())
    for i, (item, qty) in enumerate(lines):
        page.locator(f"#line-{i}-item").select_option(label=item)
        page.locator(f"#line-{i}-qty").fill(str(qty))
    page.locator("#save").click()
    page.wait_for_url(re.compile(r"/sandbox/documents/Invoice/\d+$"))
    message = page.locator(".flash").filter(has_text="created").inner_text()
    found = re.search(r"Invoice (\S+) created \(Id (\d+)\)", message)
    assert found, message
    return found.group(2), found.group(1)


def sandbox_set_quantity(page: Page, doc_id: str, line: int, qty: int) -> None:
    page.goto(f"/sandbox/documents/Invoice/{doc_id}/edit")
    page.locator(f"#line-{line}-qty").fill(str(qty))
    page.locator(f"#line-{line}-amount").fill("")
    page.locator("#save").click()
    page.wait_for_url(re.compile(rf"/sandbox/documents/Invoice/{doc_id}$"))
    expect(page.locator(".flash").filter(has_text="saved")).to_have_count(1)


def sandbox_void(page: Page, doc_id: str) -> None:
    page.goto(f"/sandbox/documents/Invoice/{doc_id}")
    page.locator("#void").click()
    expect(page.locator("#document-state")).to_have_text(re.compile("voided"))


def sandbox_delete(page: Page, doc_id: str) -> None:
    page.goto(f"/sandbox/documents/Invoice/{doc_id}/delete")
    page.locator("#confirm-delete").click()
    page.wait_for_url(re.compile(r"/sandbox/documents"))
    expect(page.locator(".flash").filter(has_text=f"Invoice {doc_id} deleted.")).to_have_count(1)


@dataclass(frozen=True)
class SandboxDocument:
    entity: str  # Invoice, SalesReceipt or CreditMemo
    id: str
    number: str  # DocNumber
    items: frozenset[str]  # the names of the items its lines sell


def sandbox_documents_selling(server: LiveServer, item: str, also: Iterable[str] = ()) -> list[SandboxDocument]:
    """The live QuickBooks documents of the sandbox company (newest first) that sell `item` and no
    other item than those in `also`, read from the sandbox's own database."""
    allowed = {item, *also}
    with server.sandbox() as sandbox:
        names = {
            str(i): json.loads(p)["Name"]
            for i, p in sandbox.exec_driver_sql("SELECT id, payload FROM sandbox_object WHERE entity = 'Item'")
        }
        rows = sandbox.exec_driver_sql(
            "SELECT entity, id, payload FROM sandbox_object WHERE entity IN ('Invoice', 'SalesReceipt', 'CreditMemo') "
            "AND system = 'qbo' AND NOT voided AND deleted_at IS NULL ORDER BY id DESC"
        ).all()
    found = []
    for entity, doc_id, payload in rows:
        body = json.loads(payload)
        sold = frozenset(
            names[line["SalesItemLineDetail"]["ItemRef"]["value"]]
            for line in body["Line"]
            if line.get("DetailType") == "SalesItemLineDetail"
        )
        if item in sold and sold <= allowed:
            found.append(SandboxDocument(entity, str(doc_id), str(body.get("DocNumber", "")), sold))
    return found


def sandbox_move_to_xero(page: Page, entity: str, doc_id: str) -> None:
    """On the sandbox's Documents list (this type, QuickBooks' documents), page to the document and
    press its Move to Xero: it leaves QuickBooks and appears in the Xero organisation, changed now."""
    page.goto("/sandbox/documents")
    page.locator("#type").select_option(entity)
    page.locator("#system").select_option("qbo")
    page.locator("#filter").click()
    page.wait_for_url(re.compile(r"/sandbox/documents\?.*system=qbo"))
    row = page.locator(f'#documents tr[data-entity="{entity}"][data-id="{doc_id}"]')
    while row.count() == 0:
        following = page.locator("a[rel=next]")
        assert following.count() == 1, f"{entity} {doc_id} is not on any page of QuickBooks' documents"
        target = str(following.get_attribute("href"))
        following.click()
        page.wait_for_url(re.compile(re.escape(target) + "$"))
    expect(row).to_have_attribute("data-system", "qbo")
    row.get_by_role("button", name="Move to Xero").click()
    page.wait_for_url(re.compile(r"/sandbox/documents"))
    expect(page.locator(".flash-success")).to_have_text(f"{entity} {doc_id} now lives in Xero.")


def add_slow_upstream(server: LiveServer, seconds: str = "0.5") -> None:
    """Every QuickBooks query answers late, so a sync stays running long enough to watch it."""
    server.cli("sandbox", "faults", "add", "query", "slow", "--delay", seconds)
