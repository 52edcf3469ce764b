"""The Xero face's accounting reads: which documents it shows, their shapes and amounts, and
the filters and paging a sync leans on (where, IDs, page, If-Modified-Since, unitdp)."""

from __future__ import annotations

import math
from datetime import date, datetime, timezone
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sandbox_harness import stepping_clock
from xero_harness import DEMO_TENANT, EMPTY_TENANT, XERO_CLIENT_ID, XeroApi, app, body, client  # noqa: F401  (the Xero face's fixtures)

from partsemble.sandbox import REALM_ID, LineInput, SandboxCompany

D = Decimal
CANDLE, SOAP, SHIPPING = "1", "4", "8"


@pytest.fixture
def api(client: FlaskClient, company: SandboxCompany) -> XeroApi:
    tokens = company.issue_xero_tokens(XERO_CLIENT_ID, tenant_ids=(DEMO_TENANT, EMPTY_TENANT))
    return XeroApi(client, tokens.access_token)


@pytest.fixture
def stepping(database_url: str, company: SandboxCompany) -> SandboxCompany:
    """The same company, changing one second at a time (an hour ago onwards)."""
    return SandboxCompany(company.engine, database_url, clock=stepping_clock())


def xero_invoice(company: SandboxCompany, day: date = date(2026, 3, 15), **fields: Any) -> dict[str, Any]:
    lines = fields.pop("lines", [LineInput(CANDLE, D("3"))])
    return company.create_document("Invoice", customer_id="2", txn_date=day, lines=lines, system="xero", **fields)


def one(api: XeroApi, payload: dict[str, Any], collection: str = "Invoices", **params: Any) -> dict[str, Any]:
    """The document a stored payload is on the Xero face, found by its number among the page."""
    rows = api.rows(collection, collection, page=1, **params)
    number_field = {"Invoices": "InvoiceNumber", "CreditNotes": "CreditNoteNumber", "BankTransactions": "Reference"}[collection]
    found = [row for row in rows if row[number_field] == payload["DocNumber"]]
    assert len(found) == 1, rows
    return found[0]


def qbo_ids(client: FlaskClient, company: SandboxCompany, entity: str) -> set[str]:
    token = company.issue_tokens("qbo-client").access_token
    response = client.get(
        f"/sandbox/v3/company/{REALM_ID}/query",
        query_string={"query": f"SELECT * FROM {entity} STARTPOSITION 1 MAXRESULTS 1000", "minorversion": "75"},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    assert response.status_code == 200
    return {row["Id"] for row in body(response)["QueryResponse"].get(entity, [])}


def test_each_face_shows_only_the_documents_of_its_system(client: FlaskClient, api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    made = xero_invoice(company)
    assert [row["InvoiceNumber"] for row in api.rows("Invoices", "Invoices", page=1)] == [made["DocNumber"]]
    assert made["Id"] not in qbo_ids(client, company, "Invoice")
    assert seeded.edited_invoices[0] in qbo_ids(client, company, "Invoice")
    company.move_document("Invoice", made["Id"], "qbo")
    assert api.rows("Invoices", "Invoices", page=1) == []
    assert made["Id"] in qbo_ids(client, company, "Invoice")


def test_a_percent_discount_is_every_lines_discount_rate_and_tax_is_on_top(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    doc = one(api, xero_invoice(company, lines=[LineInput(CANDLE, D("3"))], discount_percent=D("10")))
    line = doc["LineItems"][0]
    assert (doc["Type"], doc["Status"], doc["LineAmountTypes"]) == ("ACCREC", "AUTHORISED", "Exclusive")
    assert (line["Quantity"], line["UnitAmount"], line["DiscountRate"], line["LineAmount"]) == (D("3"), D("24.00"), D("10"), D("64.80"))
    assert (line["ItemCode"], line["Item"]["Code"], line["Item"]["Name"]) == ("CND-LAV-8", "CND-LAV-8", "Lavender Candle 8oz")
    assert line["TaxAmount"] == D("5.35")  # 8.25 % of 64.80, not of 72.00
    assert (doc["SubTotal"], doc["TotalTax"], doc["Total"], doc["TotalDiscount"]) == (D("64.80"), D("5.35"), D("70.15"), D("7.20"))


def test_an_amount_discount_is_spread_over_the_lines(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    lines = [LineInput(CANDLE, D("2")), LineInput(SHIPPING, D("1"), D("12.00"))]
    doc = one(api, xero_invoice(company, lines=lines, discount_amount=D("5.00")))
    amounts = [(line["DiscountAmount"], line["LineAmount"], line["TaxAmount"], line["TaxType"]) for line in doc["LineItems"]]
    assert amounts == [(D("4.00"), D("44.00"), D("3.63"), "OUTPUT"), (D("1.00"), D("11.00"), D("0"), "NONE")]
    assert (doc["SubTotal"], doc["Total"]) == (D("55.00"), D("58.63"))


def test_the_last_line_takes_the_rounding_of_a_spread_discount(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    lines = [LineInput(CANDLE, D("1")), LineInput("2", D("1"), D("24.00")), LineInput(SHIPPING, D("1"), D("24.00"))]
    doc = one(api, xero_invoice(company, lines=lines, discount_amount=D("5.00")))
    assert [line["DiscountAmount"] for line in doc["LineItems"]] == [D("1.67"), D("1.67"), D("1.66")]
    assert doc["TotalDiscount"] == D("5.00")


def test_inclusive_line_amounts_hold_their_tax(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    made = xero_invoice(company, lines=[LineInput(CANDLE, D("2"), D("22.00"))], tax_inclusive=True, tax_percent=D("10"))
    doc = one(api, made)
    line = doc["LineItems"][0]
    assert doc["LineAmountTypes"] == "Inclusive"
    assert (line["UnitAmount"], line["LineAmount"], line["TaxAmount"]) == (D("22.00"), D("44.00"), D("4.00"))
    assert (doc["SubTotal"], doc["TotalTax"], doc["Total"]) == (D("40.00"), D("4.00"), D("44.00"))


def test_a_document_without_tax_is_no_tax(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    doc = one(api, xero_invoice(company, tax_percent=D("0")))
    assert doc["LineAmountTypes"] == "NoTax"
    assert (doc["LineItems"][0]["TaxAmount"], doc["TotalTax"], doc["Total"]) == (D("0"), D("0"), D("72.00"))


def test_the_currency_rate_divides_to_the_home_amount(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    doc = one(api, xero_invoice(company, currency="EUR", exchange_rate=D("0.8"), tax_percent=D("0")))
    assert (doc["CurrencyCode"], doc["CurrencyRate"], doc["Total"]) == ("EUR", D("1.25"), D("72.00"))
    assert doc["Total"] / doc["CurrencyRate"] == D("57.6")  # QBO: 72.00 x 0.8


def test_a_voided_invoice_keeps_its_amounts(api: XeroApi, stepping: SandboxCompany, seeded: Any) -> None:
    made = xero_invoice(stepping)
    before = one(api, made)
    stepping.void_document("Invoice", made["Id"])
    after = one(api, made)
    assert (before["Status"], after["Status"]) == ("AUTHORISED", "VOIDED")
    assert (after["Total"], after["SubTotal"], after["LineItems"][0]["LineAmount"]) == (D("77.94"), D("72.00"), D("72.00"))
    assert after["Total"] == before["Total"]
    assert after["UpdatedDateUTC"] > before["UpdatedDateUTC"]


def test_statuses_follow_the_document(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    xero_invoice(company, paid=True, doc_number="X-PAID")
    draft = xero_invoice(company, doc_number="X-DRAFT")
    gone = xero_invoice(company, doc_number="X-GONE")
    company.set_xero_status("Invoice", draft["Id"], "DRAFT")
    company.delete_document("Invoice", gone["Id"])
    statuses = {row["InvoiceNumber"]: row["Status"] for row in api.rows("Invoices", "Invoices", page=1)}
    assert statuses == {"X-PAID": "PAID", "X-DRAFT": "DRAFT", "X-GONE": "DELETED"}
    drafts = api.rows("Invoices", "Invoices", page=1, where='Status=="DRAFT"')
    assert [row["InvoiceNumber"] for row in drafts] == ["X-DRAFT"]


def test_credit_notes_and_receive_money_have_their_own_shapes(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    note = company.create_document(
        "CreditMemo", customer_id="3", txn_date=date(2026, 3, 2), lines=[LineInput(CANDLE, D("1"))], system="xero"
    )
    sale = company.create_document(
        "SalesReceipt", customer_id="3", txn_date=date(2026, 3, 2), lines=[LineInput(CANDLE, D("2"))], system="xero"
    )
    credit = one(api, note, "CreditNotes")
    receive = one(api, sale, "BankTransactions")
    assert (credit["Type"], credit["Total"], "TotalDiscount" in credit) == ("ACCRECCREDIT", D("25.98"), False)
    assert (receive["Type"], receive["Status"], receive["Total"]) == ("RECEIVE", "AUTHORISED", D("51.96"))
    assert credit["CreditNoteID"] != receive["BankTransactionID"]
    assert api.rows("Invoices", "Invoices", page=1) == []


def test_dates_are_microsoft_json_dates_with_iso_twins(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    doc = one(api, xero_invoice(company, day=date(2026, 3, 15)))
    midnight = int(datetime(2026, 3, 15, tzinfo=timezone.utc).timestamp()) * 1000
    assert (doc["Date"], doc["DateString"]) == (f"/Date({midnight}+0000)/", "2026-03-15T00:00:00")
    updated_ms = int(doc["UpdatedDateUTC"][len("/Date(") : -len("+0000)/")])
    iso = datetime.fromisoformat(doc["UpdatedDateUTCString"]).replace(tzinfo=timezone.utc)
    assert updated_ms == int(iso.timestamp() * 1000)
    assert abs(updated_ms / 1000 - datetime.now(timezone.utc).timestamp()) < 120


def test_unitdp_4_gives_four_decimal_unit_amounts(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    made = xero_invoice(company, lines=[LineInput(CANDLE, D("2"), D("9.1234"))])
    assert one(api, made)["LineItems"][0]["UnitAmount"] == D("9.12")
    line = one(api, made, unitdp=4)["LineItems"][0]
    assert (line["UnitAmount"], line["LineAmount"]) == (D("9.1234"), D("18.25"))


def test_where_filters_on_type_and_dates(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    for day in (date(2026, 3, 1), date(2026, 3, 15), date(2026, 3, 31)):
        xero_invoice(company, day=day, doc_number=f"D-{day.day}")
    where = 'Type=="ACCREC" AND Date >= DateTime(2026, 03, 10) AND Date <= DateTime(2026,03,31)'
    assert sorted(row["InvoiceNumber"] for row in api.rows("Invoices", "Invoices", page=1, where=where)) == ["D-15", "D-31"]
    assert [r["InvoiceNumber"] for r in api.rows("Invoices", "Invoices", page=1, where="Date < DateTime(2026,3,15)")] == ["D-1"]
    assert api.rows("Invoices", "Invoices", page=1, where='Type=="ACCPAY"') == []


@pytest.mark.parametrize(
    "where",
    [
        "Type=ACCREC",
        'Type=="ACCREC" OR Type=="ACCPAY"',
        "Total > 5",
        'Date >= "2026-03-01"',
        "Date >= DateTime(2026,2,30)",
        'Type=="ACCREC" AND',
    ],
)
def test_a_where_clause_outside_the_subset_is_a_validation_exception(api: XeroApi, company: SandboxCompany, where: str) -> None:
    response = api.get("Invoices", page=1, where=where)
    assert response.status_code == 400
    problem = body(response)
    assert (problem["ErrorNumber"], problem["Type"]) == (10, "ValidationException")
    assert problem["Elements"][0]["ValidationErrors"][0]["Message"]


def test_ids_pick_documents_of_the_kind_asked(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    for n in (1, 2, 3):
        xero_invoice(company, doc_number=f"I-{n}")
    ids = {row["InvoiceNumber"]: row["InvoiceID"] for row in api.rows("Invoices", "Invoices", page=1)}
    picked = api.rows("Invoices", "Invoices", page=1, IDs=f"{ids['I-1']},{ids['I-3']}")
    assert sorted(row["InvoiceNumber"] for row in picked) == ["I-1", "I-3"]
    single = api.get(f"Invoices/{ids['I-2']}")
    assert [row["InvoiceNumber"] for row in body(single)["Invoices"]] == ["I-2"]
    assert api.get(f"CreditNotes/{ids['I-2']}").status_code == 404
    assert api.rows("CreditNotes", "CreditNotes", page=1, IDs=ids["I-2"]) == []
    assert api.get("Invoices", page=1, IDs="not-a-guid").status_code == 400


def test_pages_of_100_with_page_count_and_a_1000_cap(api: XeroApi, company: SandboxCompany) -> None:
    summary = company.generate(250, start=date(2026, 1, 1), end=date(2026, 3, 31), seed=7, products=5, system="xero")
    invoices = summary.documents["Invoice"]
    assert invoices > 100
    first = body(api.get("Invoices", page=1))
    pages = math.ceil(invoices / 100)
    assert first["pagination"] == {"page": 1, "pageSize": 100, "pageCount": pages, "itemCount": invoices}
    assert len(first["Invoices"]) == 100 and all("LineItems" in row for row in first["Invoices"])
    last = body(api.get("Invoices", page=pages))["Invoices"]
    assert len(last) == invoices - 100 * (pages - 1)
    assert body(api.get("Invoices", page=pages + 1))["Invoices"] == []
    seen = [row["InvoiceID"] for page in range(1, pages + 1) for row in body(api.get("Invoices", page=page))["Invoices"]]
    assert len(seen) == len(set(seen)) == invoices
    capped = body(api.get("Invoices", page=1, pageSize=5000))
    assert capped["pagination"]["pageSize"] == 1000 and len(capped["Invoices"]) == invoices
    unpaged = body(api.get("Invoices"))
    assert "pagination" not in unpaged and len(unpaged["Invoices"]) == invoices
    assert not any("LineItems" in row for row in unpaged["Invoices"])  # over 100 without page: no lines


def test_if_modified_since_returns_what_changed_after_it(api: XeroApi, stepping: SandboxCompany, seeded: Any) -> None:
    made = [xero_invoice(stepping, doc_number=f"M-{n}") for n in (1, 2, 3)]
    stamps = {row["InvoiceNumber"]: row["UpdatedDateUTCString"] for row in api.rows("Invoices", "Invoices", page=1)}
    second = datetime.fromisoformat(stamps["M-2"]).replace(tzinfo=timezone.utc)
    http_date = format_datetime(second, usegmt=True)
    after_second = api.rows("Invoices", "Invoices", page=1, headers={"If-Modified-Since": http_date})
    assert [row["InvoiceNumber"] for row in after_second] == ["M-3"]
    iso = stamps["M-1"][:19]  # no zone: UTC, as Xero reads it
    assert [r["InvoiceNumber"] for r in api.rows("Invoices", "Invoices", page=1, headers={"If-Modified-Since": iso})] == ["M-2", "M-3"]
    stepping.void_document("Invoice", made[0]["Id"])
    changed = api.rows("Invoices", "Invoices", page=1, headers={"If-Modified-Since": http_date})
    assert [(row["InvoiceNumber"], row["Status"]) for row in changed] == [("M-3", "AUTHORISED"), ("M-1", "VOIDED")]
    assert api.get("Invoices", page=1, headers={"If-Modified-Since": "yesterday"}).status_code == 400


def test_items_carry_codes_and_tracking(api: XeroApi, stepping: SandboxCompany, seeded: Any) -> None:
    items = {item["Name"]: item for item in api.rows("Items", "Items")}
    assert items["Lavender Candle 8oz"]["Code"] == "CND-LAV-8" and items["Lavender Candle 8oz"]["IsTrackedAsInventory"] is True
    assert items["Lavender Soap 200g"]["Code"] == "Lavender Soap 200g"  # no SKU: its name is its code
    assert items["Shipping"]["IsTrackedAsInventory"] is False
    assert "Candles" not in items  # a QBO category is not a Xero item
    latest = max(item["UpdatedDateUTC"] for item in items.values())
    stamp = datetime.fromtimestamp(int(latest[6:-7]) / 1000, timezone.utc)
    stepping.update_item(CANDLE, unit_price=D("25.00"))
    changed = api.rows("Items", "Items", headers={"If-Modified-Since": stamp.strftime("%Y-%m-%dT%H:%M:%S")})
    assert [(item["Code"], item["SalesDetails"]["UnitPrice"]) for item in changed] == [("CND-LAV-8", D("25.00"))]


def test_the_empty_organisation_holds_nothing_and_the_tenant_header_is_required(api: XeroApi, company: SandboxCompany, seeded: Any) -> None:
    xero_invoice(company)
    assert len(api.rows("Invoices", "Invoices", page=1)) == 1
    empty = XeroApi(api.client, api.access_token, EMPTY_TENANT)
    assert body(empty.get("Invoices", page=1))["pagination"]["itemCount"] == 0
    assert empty.rows("Items", "Items") == []
    organisation = empty.rows("Organisation", "Organisations")[0]
    assert (organisation["OrganisationID"], organisation["Name"]) == (EMPTY_TENANT, "Demo Company (Global)")
    missing = XeroApi(api.client, api.access_token, None).get("Invoices", page=1)
    assert missing.status_code == 403 and "xero-tenant-id" in body(missing)["Detail"]
    assert api.get("Journals", page=1).status_code == 404
