"""The sandbox is as strict as QuickBooks (shared/QBO.md): its clock, the CDC cap, request limits,
throttles in any status, CDC's false tombstones, and tax-inclusive documents shaped as recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from sandbox_harness import Api, StaticTokens, company_today

from partsemble.connectors.errors import RateLimited
from partsemble.connectors.qbo.client import QboSource
from partsemble.connectors.qbo.http import QboHttp
from partsemble.connectors.qbo.retry import RetryPolicy
from partsemble.domain.documents import SalesDocument
from partsemble.sandbox import ItemDraft, LineInput, SandboxCompany
from partsemble.sandbox.clock import SECOND, now_us, parse_timestamp
from tests import qbo_recordings as rec

D = Decimal
ENTITIES = ("Invoice", "SalesReceipt", "CreditMemo")


def client(server: str, api: Api, retry: RetryPolicy = RetryPolicy(), page_size: int = 1000) -> QboSource:
    http = QboHttp(
        requests.Session(), api_base=f"{server}/sandbox/v3", realm_id=api.realm, tokens=StaticTokens(api.access_token), retry=retry
    )
    return QboSource(http, page_size=page_size)


def test_no_change_is_ever_stamped_later_than_real_time(company: SandboxCompany) -> None:
    today = company_today()
    company.generate(50, start=today - timedelta(days=3), end=today, seed=2)  # dated through today
    company.clock = lambda: now_us() + 3600 * SECOND  # a clock that would run an hour ahead
    customer = company.create_customer("Early Bird")
    assert parse_timestamp(customer["MetaData"]["LastUpdatedTime"]) <= now_us()


def test_the_cdc_cap_counts_every_entity_of_the_answer_and_cuts_deletions_first(api: Api, company: SandboxCompany) -> None:
    today = company_today()
    generated = company.generate(
        1100,
        start=today - timedelta(days=10),
        end=today,
        seed=3,
        credit_memo_share="0.1",
        sales_receipt_share="0.45",
        void_share="0",
        unlinked_share="0",
    )
    kinds = {
        doc_id: entity for entity in ENTITIES for doc_id in range(generated.first_id, generated.last_id + 1) if company.get(entity, doc_id)
    }
    for entity in ENTITIES:
        company.delete_document(entity, min(doc_id for doc_id, kind in kinds.items() if kind == entity))
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")

    combined = api.cdc(",".join(ENTITIES), since).json()["CDCResponse"][0]["QueryResponse"]
    rows = [row for element in combined for entity in ENTITIES for row in element.get(entity, [])]
    assert len(rows) == 1000 and not any(row.get("status") == "Deleted" for row in rows)
    assert sum(element.get("maxResults", 0) for element in combined) == 1000

    for entity in ENTITIES:
        [element] = api.cdc(entity, since).json()["CDCResponse"][0]["QueryResponse"]
        assert [row["Id"] for row in element[entity] if row.get("status") == "Deleted"] == [
            str(min(doc_id for doc_id, kind in kinds.items() if kind == entity))
        ]


@pytest.mark.parametrize(("kind", "status"), [("throttle_403", 403), ("throttle_200", 200), ("throttle", 429)])
def test_a_throttle_comes_in_any_status_and_the_client_knows_it(
    server: str, api: Api, company: SandboxCompany, kind: str, status: int
) -> None:
    company.add_fault("query", kind, ordinals=[1])
    raw = api.query("SELECT * FROM Item")
    assert raw.status_code == status and "3001" in raw.text and "ThrottleExceeded" in raw.text
    company.clear_faults()
    company.add_fault("query", kind)
    with pytest.raises(RateLimited) as caught:
        list(client(server, api, RetryPolicy(max_retries=0)).list_items())
    assert caught.value.code == "3001"


def test_past_the_requests_a_second_qbo_answers_429_in_xml(api: Api, company: SandboxCompany) -> None:
    # QBO allows 10 a second; 3 here so that a slow machine's burst still reaches the limit.
    company.enforce_request_limits(True, per_second=3)
    answers = [api.query("SELECT * FROM Item") for _ in range(6)]
    statuses = [answer.status_code for answer in answers]
    throttled = [entry for entry in company.request_log() if entry.fault == "rate_limit"]
    assert statuses[:3] == [200] * 3 and 429 in statuses
    assert throttled and all(entry.status == 429 for entry in throttled)
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert '<Error code="3001">' in refused.text and "Retry-After" not in refused.headers
    company.enforce_request_limits(False)
    assert api.query("SELECT * FROM Item").status_code == 200


def test_the_client_reads_everything_under_the_request_limits(server: str, api: Api, company: SandboxCompany) -> None:
    today = company_today()
    company.generate(
        90,
        start=today - timedelta(days=10),
        end=today,
        seed=9,
        credit_memo_share="0",
        sales_receipt_share="0",
        void_share="0",
        unlinked_share="0",
    )
    company.enforce_request_limits(True, per_second=3)
    pages = list(client(server, api, page_size=5).changed_documents(None, today - timedelta(days=30)))
    ids = [doc.id for page in pages for doc in page.documents]
    assert len(ids) == len(set(ids)) == company.count("Invoice")
    assert any(entry.fault == "rate_limit" for entry in company.request_log())  # it was throttled, and waited


def test_cdc_reporting_a_live_document_deleted_is_caught_by_the_client(server: str, api: Api, company: SandboxCompany, seeded: Any) -> None:
    since = datetime.now(UTC) - timedelta(minutes=5)
    edited = company.update_document("Invoice", seeded.edited_invoices[0], private_note="changed today")
    company.set_quirk("cdc_live_reported_deleted", True)
    [element] = api.cdc("Invoice", since.isoformat()).json()["CDCResponse"][0]["QueryResponse"]
    assert {"status": "Deleted", "Id": edited["Id"]}.items() <= element["Invoice"][-1].items()
    assert client(server, api).deletions(since) == []  # a read still finds it: it is kept


def test_a_tax_inclusive_invoice_has_the_shape_of_the_recorded_australian_one(company: SandboxCompany) -> None:
    recorded = rec.body("kotlin_au_invoice_192_taxinclusive.json")
    company.set_prices_include_tax(True)
    customer = company.create_customer("Jordan Burgess")
    party = company.create_item(ItemDraft("Gold party", "Service", None, unit_price=D("2200")))
    made = company.create_document(
        "Invoice", customer_id=customer["Id"], txn_date=date(2021, 4, 29), lines=[LineInput(party["Id"], D("3"))], tax_percent=D("10")
    )
    [ours], [theirs] = ([line for line in doc["Line"] if "SalesItemLineDetail" in line] for doc in (made, recorded))
    assert made["GlobalTaxCalculation"] == recorded["GlobalTaxCalculation"] == "TaxInclusive"
    for field in ("TaxInclusiveAmt", "UnitPrice", "Qty"):
        assert ours["SalesItemLineDetail"][field] == theirs["SalesItemLineDetail"][field]
    assert ours["Amount"] == theirs["Amount"]
    assert made["TotalAmt"] == recorded["TotalAmt"]
    assert made["TxnTaxDetail"]["TotalTax"] == recorded["TxnTaxDetail"]["TotalTax"]


def test_a_voided_tax_inclusive_document_zeroes_its_gross_too(company: SandboxCompany, seeded: Any) -> None:
    company.set_prices_include_tax(True)
    invoice = company.create_document(
        "Invoice", customer_id="2", txn_date=company_today(), lines=[LineInput("1", D("2"))], tax_percent=D("10")
    )
    voided = company.void_document("Invoice", invoice["Id"])
    [line] = [line for line in voided["Line"] if "SalesItemLineDetail" in line]
    assert line["SalesItemLineDetail"]["TaxInclusiveAmt"] == 0 and line["Amount"] == 0 and voided["TotalAmt"] == 0


def test_parsed_tax_inclusive_documents_carry_net_amounts(server: str, api: Api, company: SandboxCompany, seeded: Any) -> None:
    company.set_prices_include_tax(True)
    company.create_document(
        "SalesReceipt", customer_id="2", txn_date=company_today(), lines=[LineInput("1", D("4.5"), D("11.00"))], tax_percent=D("10")
    )
    since = datetime.now(UTC) - timedelta(minutes=5)
    [doc] = [
        d for page in client(server, api).changed_documents(since, company_today()) for d in page.documents if d.type == "SalesReceipt"
    ]
    assert isinstance(doc, SalesDocument)
    assert [(line.amount, line.quantity) for line in doc.lines if line.item_id] == [(D("45.00"), D("4.5"))]
    assert doc.total_amount == D("49.50")
