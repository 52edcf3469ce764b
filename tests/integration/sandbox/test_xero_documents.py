"""Which system a document lives in: the column an old sandbox database gains, moving a document
from the documents screen, and making Xero documents from the CLI."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from xero_harness import DEMO_TENANT, XERO_CLIENT_ID, XeroApi, app, body, client  # noqa: F401  (the Xero face's fixtures)

from partsemble.sandbox import InvalidChange, LineInput, SandboxCompany
from partsemble.sandbox.store import dispose_engine


def xero_numbers(client: FlaskClient, company: SandboxCompany) -> list[str]:
    api = XeroApi(client, company.issue_xero_tokens(XERO_CLIENT_ID).access_token)
    return [row["InvoiceNumber"] for row in api.rows("Invoices", "Invoices", page=1)]


def test_a_database_made_before_the_xero_face_gains_the_column_and_stays_quickbooks(database_url: str) -> None:
    old = SandboxCompany.open(database_url)
    old.generate(5, start=date(2026, 1, 1), end=date(2026, 1, 31), seed=3, products=2)
    with old.engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_sandbox_object_entity_system_last_updated_time")
        conn.exec_driver_sql("ALTER TABLE sandbox_object DROP COLUMN xero_status")
        conn.exec_driver_sql("ALTER TABLE sandbox_object DROP COLUMN system")
    old.close()
    dispose_engine(database_url)
    reopened = SandboxCompany.open(database_url)
    columns = {column["name"] for column in sa.inspect(reopened.engine).get_columns("sandbox_object")}
    assert {"system", "xero_status"} <= columns
    indexes = {index["name"] for index in sa.inspect(reopened.engine).get_indexes("sandbox_object")}
    assert "ix_sandbox_object_entity_system_last_updated_time" in indexes
    with reopened.engine.connect() as conn:
        systems = conn.exec_driver_sql("SELECT DISTINCT system FROM sandbox_object").scalars().all()
    assert systems == ["qbo"]
    reopened.close()


def test_the_documents_screen_moves_a_document_to_xero_and_back(client: FlaskClient, company: SandboxCompany, seeded: Any) -> None:
    listing = client.get("/sandbox/documents?type=Invoice&state=active").get_data(as_text=True)
    row = re.search(r'<tr data-entity="Invoice" data-id="(\d+)" data-system="qbo".*?</tr>', listing, re.DOTALL)
    assert row
    invoice = row.group(1)
    assert 'name="system" value="xero"' in row.group(0) and "Move to Xero" in row.group(0)
    moved = client.post(f"/sandbox/documents/Invoice/{invoice}/move", data={"system": "xero", "type": "Invoice", "state": "all"})
    assert moved.status_code == 302 and moved.headers["Location"].startswith("/sandbox/documents")
    number = company.get("Invoice", invoice)["DocNumber"]  # type: ignore[index]
    assert company.system_of("Invoice", invoice) == "xero"
    assert xero_numbers(client, company) == [number]
    only_xero = client.get("/sandbox/documents?system=xero").get_data(as_text=True)
    assert re.findall(r'data-id="(\d+)" data-system="(\w+)"', only_xero) == [(invoice, "xero")]
    client.post(f"/sandbox/documents/Invoice/{invoice}/move", data={"system": "qbo"})
    assert company.system_of("Invoice", invoice) == "qbo" and xero_numbers(client, company) == []


def test_a_move_is_a_change_the_new_face_reads(client: FlaskClient, company: SandboxCompany, seeded: Any) -> None:
    invoice = seeded.edited_invoices[0]
    before = company.get("Invoice", invoice)
    after = company.move_document("Invoice", invoice, "xero")
    assert int(after["SyncToken"]) == int(before["SyncToken"]) + 1  # type: ignore[index]
    assert after["MetaData"]["LastUpdatedTime"] > before["MetaData"]["LastUpdatedTime"]  # type: ignore[index]


def test_voids_cross_systems_as_each_system_keeps_them(company: SandboxCompany, seeded: Any) -> None:
    with pytest.raises(InvalidChange, match="zeroed its amounts"):
        company.move_document("Invoice", seeded.voided_invoice, "xero")
    with pytest.raises(InvalidChange, match="deleted"):
        company.move_document("Invoice", seeded.deleted_invoice, "xero")
    made = company.create_document(
        "Invoice", customer_id="2", txn_date=date(2026, 3, 1), lines=[LineInput("1", Decimal("2"))], system="xero"
    )
    voided = company.void_document("Invoice", made["Id"])
    assert voided["TotalAmt"] == made["TotalAmt"] == Decimal("51.96")
    back = company.move_document("Invoice", made["Id"], "qbo")
    assert back["TotalAmt"] == 0 and company.state("Invoice", made["Id"]) == "voided"


def test_a_bank_transaction_cannot_be_a_draft(company: SandboxCompany, seeded: Any) -> None:
    sale = company.create_document("SalesReceipt", customer_id="2", txn_date=date(2026, 3, 1), lines=[LineInput("1")], system="xero")
    with pytest.raises(InvalidChange, match="always AUTHORISED"):
        company.set_xero_status("SalesReceipt", sale["Id"], "DRAFT")
    with pytest.raises(InvalidChange, match="not in Xero"):
        company.set_xero_status("Invoice", seeded.edited_invoices[0], "DRAFT")


def run(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=["sandbox", *args])
    assert result.exit_code == 0, result.output
    return result


def test_the_cli_generates_xero_documents(app: Flask, client: FlaskClient, company: SandboxCompany) -> None:
    output = run(app, "generate", "40", "--start", "2026-01-01", "--end", "2026-01-31", "--system", "xero", "--void-share", "0.5").output
    assert output.startswith("Generated 40 Xero documents")
    api = XeroApi(client, company.issue_xero_tokens(XERO_CLIENT_ID).access_token)
    rows = [row for kind in ("Invoices", "CreditNotes", "BankTransactions") for row in api.rows(kind, kind, page=1)]
    assert len(rows) == 40
    voided = [row for row in rows if row["Status"] == "VOIDED"]
    assert voided and all(row["Total"] > 0 for row in voided)  # Xero keeps a void's amounts


def test_the_cli_moves_a_share_of_the_demo_into_xero(app: Flask, client: FlaskClient, company: SandboxCompany, seeded: Any) -> None:
    output = run(app, "move", "xero", "--share", "0.5", "--seed", "2").output
    moved = int(re.search(r"Moved (\d+) documents", output).group(1))  # type: ignore[union-attr]
    live = (
        company.count("Invoice", state="active")
        + company.count("SalesReceipt", state="active")
        + company.count("CreditMemo", state="active")
    )
    assert live * 0.4 < moved < live * 0.6
    token = run(app, "xero-token").output
    access = re.search(r"access_token=(\S+)", token).group(1)  # type: ignore[union-attr]
    assert f"xero_tenant_id={DEMO_TENANT}" in token
    answer = body(XeroApi(client, access).get("Invoices", page=1))
    assert answer["pagination"]["itemCount"] > 0
