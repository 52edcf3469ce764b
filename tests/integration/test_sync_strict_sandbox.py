"""The real client and sync against a sandbox as strict as QuickBooks: shared import times, a clock
never ahead of real time, the CDC cap across entities, tax-inclusive prices."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from partsemble.connectors.base import ChangePage, SalesSource
from partsemble.connectors.errors import WindowTooLarge
from partsemble.domain.documents import DocumentType, SalesDocument
from partsemble.extensions import db
from partsemble.models.sales import Sale
from partsemble.sandbox import ItemDraft, LineInput
from partsemble.sync.service import SyncSettings
from tests.integration.sandbox_app import Live, live_sandbox, stock_and_link

pytestmark = pytest.mark.no_invariant_check  # each sync checks the ledger itself
D = Decimal
ENTITIES = ("Invoice", "SalesReceipt", "CreditMemo")


def upstream_documents(live: Live, first_id: int, last_id: int) -> set[tuple[str, str]]:
    return {
        (entity, str(doc_id))
        for doc_id in range(first_id, last_id + 1)
        for entity in ENTITIES
        if live.company.get(entity, doc_id) is not None
    }


def synced_sales(live: Live) -> list[tuple[str, str]]:
    with live.app.app_context():
        rows = db.session.execute(select(Sale.external_type, Sale.external_id).where(Sale.source == "qbo")).tuples().all()
        db.session.remove()
    return [(doc_type, doc_id) for doc_type, doc_id in rows]


def generated_company(live: Live, n: int, **shares: Any) -> Any:
    generated = live.company.generate(
        n, start=live.today - timedelta(days=60), end=live.today, seed=12, products=4, unlinked_share="0", **shares
    )
    stock_and_link(live, {item_id: name for item_id, name, _ in generated.products}, live.today - timedelta(days=90))
    return generated


def test_a_sync_over_pages_of_one_shared_time_gets_every_document_exactly_once(app_config: dict[str, Any]) -> None:
    with live_sandbox(app_config, QBO_PAGE_SIZE=25) as live:
        generated = generated_company(live, 160, credit_memo_share="0.1", sales_receipt_share="0.25", void_share="0.05")
        upstream = upstream_documents(live, generated.first_id, generated.last_id)
        stamps = {live.company.get(entity, doc_id)["MetaData"]["LastUpdatedTime"] for entity, doc_id in upstream}
        assert len(stamps) == 1  # one import: every page of every type shares one time

        pages = list(live.source().changed_documents(None, live.today - timedelta(days=120)))
        read = Counter(doc.key for page in pages for doc in page.documents)
        assert set(read) == upstream and set(read.values()) == {1}
        assert sum(1 for page in pages if len(page.documents) == 25) >= 5

        summary = live.sync()
        sales = synced_sales(live)
        assert summary.errors == 0 and summary.created + summary.voided == len(upstream)
        assert sorted(sales) == sorted(upstream)


@pytest.mark.parametrize("change", ["edit", "delete"])
def test_a_change_inside_a_block_of_one_time_while_it_is_paged_skips_nothing(app_config: dict[str, Any], change: str) -> None:
    """Stepping through one shared time by position: an invoice already read that is edited (or deleted)
    meanwhile leaves the block, and every later row moves up one place. Nothing may be skipped for that."""
    with live_sandbox(app_config, QBO_PAGE_SIZE=25) as live:
        generated = generated_company(live, 120, credit_memo_share="0", sales_receipt_share="0", void_share="0")
        upstream = upstream_documents(live, generated.first_id, generated.last_id)

        def change_one_already_read(page: ChangePage) -> Any:
            doc_id = page.documents[2].id
            if change == "delete":
                live.company.delete_document("Invoice", doc_id)
                return {"Id": doc_id, "SyncToken": "0"}
            return live.company.update_document("Invoice", doc_id, private_note="edited meanwhile")

        source = ChangesUpstreamAfterTheFirstPage(live.source(), change_one_already_read)
        summary = live.sync(source)
        assert source.changed is not None
        assert summary.errors == 0 and sorted(synced_sales(live)) == sorted(upstream)
        with live.app.app_context():
            version = db.session.scalar(select(Sale.version).where(Sale.external_id == source.changed["Id"]))
            db.session.remove()
        assert version == source.changed["SyncToken"] == ("1" if change == "edit" else "0")


def test_a_document_created_upstream_right_after_a_sync_is_picked_up_by_the_next(app_config: dict[str, Any]) -> None:
    with live_sandbox(app_config) as live:
        generated = generated_company(live, 30, credit_memo_share="0", void_share="0")
        assert live.sync().created == 30
        item_id = generated.products[0][0]
        customer = live.company.customers()[0]["Id"]
        late = live.company.create_document("Invoice", customer_id=customer, txn_date=live.today, lines=[LineInput(item_id, D("2"))])
        again = live.sync()
        assert (again.created, again.errors) == (1, 0)
        assert ("Invoice", late["Id"]) in synced_sales(live)


class ChangesUpstreamAfterTheFirstPage:
    """The real source; once its first page has been read, someone changes the company upstream."""

    def __init__(self, source: SalesSource, change: Any, pause: float = 0) -> None:
        self._source = source
        self._change = change
        self._pause = pause
        self.changed: Any = None

    def changed_documents(self, since: datetime | None, not_before: date) -> Iterator[ChangePage]:
        for page in self._source.changed_documents(since, not_before):
            yield page
            if self.changed is None:
                self.changed = self._change(page)
                time.sleep(self._pause)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)


def test_an_invoice_added_while_a_sync_reads_is_picked_up_next_time_even_without_overlap(app_config: dict[str, Any]) -> None:
    """The high-water mark is QBO's time at the first answer, not the end of the run: with a clock that
    never runs ahead, a mark set any later would lose this invoice for good."""
    with live_sandbox(app_config) as live:
        generated = generated_company(live, 20, credit_memo_share="0", void_share="0")
        item_id, customer = generated.products[0][0], live.company.customers()[0]["Id"]
        # The pause: the rest of this sync ends in a later second than the invoice's stamp.
        source = ChangesUpstreamAfterTheFirstPage(
            live.source(),
            lambda _page: live.company.create_document(
                "Invoice", customer_id=customer, txn_date=live.today, lines=[LineInput(item_id, D("1"))]
            ),
            pause=1.1,
        )
        no_overlap = SyncSettings(overlap=timedelta(0))
        first = live.sync(source, no_overlap)
        assert source.changed is not None and first.created == 20
        second = live.sync(settings=no_overlap)
        assert ("Invoice", source.changed["Id"]) in synced_sales(live)
        assert second.created == 1


def test_a_capped_cdc_answer_is_asked_again_one_type_at_a_time_and_no_deletion_is_lost(app_config: dict[str, Any]) -> None:
    """QBO caps a CDC answer at 1,000 objects across all entities, deletions cut first (QBO.md)."""
    with live_sandbox(app_config) as live:
        since = datetime.now(UTC) - timedelta(minutes=10)
        generated = live.company.generate(
            1100,
            start=live.today - timedelta(days=20),
            end=live.today,
            seed=3,
            products=2,
            credit_memo_share="0.1",
            sales_receipt_share="0.45",
            void_share="0",
            unlinked_share="0",
        )
        upstream = upstream_documents(live, generated.first_id, generated.last_id)
        per_type = Counter(entity for entity, _ in upstream)
        assert sum(per_type.values()) > 1000 and max(per_type.values()) < 1000
        gone = sorted(min(doc for doc in upstream if doc[0] == entity) for entity in ENTITIES)
        for entity, doc_id in gone:
            live.company.delete_document(entity, doc_id)
        live.company.reset_counters()

        deletions = live.source().deletions(since)

        assert sorted((str(d.type), d.id) for d in deletions) == gone
        counters = live.company.counters()
        assert counters["cdc"] == 4  # the capped answer for all three types, then one per type
        assert sum(counters.get(f"read.{entity}", 0) for entity in ENTITIES) == 3


def test_one_type_alone_at_the_cdc_cap_is_too_large_a_window(app_config: dict[str, Any]) -> None:
    with live_sandbox(app_config) as live:
        since = datetime.now(UTC) - timedelta(minutes=10)
        generated = live.company.generate(
            1001,
            start=live.today - timedelta(days=5),
            end=live.today,
            seed=4,
            products=1,
            credit_memo_share="0",
            sales_receipt_share="0",
            void_share="0",
            unlinked_share="0",
        )
        live.company.delete_document("Invoice", generated.first_id)
        with pytest.raises(WindowTooLarge, match="compare ids"):
            live.source().deletions(since)


def test_a_tax_inclusive_company_never_counts_tax_as_revenue(app_config: dict[str, Any]) -> None:
    with live_sandbox(app_config) as live:
        company = live.company
        company.set_prices_include_tax(True)
        customer = company.create_customer("Sydney Stockist")["Id"]
        candle = company.create_item(ItemDraft("Boxed Candle", "Inventory", "BOX-1", unit_price=D("22.00")))["Id"]
        stock_and_link(live, {candle: "Boxed Candle"}, live.today - timedelta(days=30))
        day = live.today - timedelta(days=1)
        documents = [
            company.create_document(
                "Invoice",
                customer_id=customer,
                txn_date=day,
                lines=[LineInput(candle, D("3"))],
                tax_percent=D("10"),
                discount_percent=D("10"),
            ),
            company.create_document(
                "SalesReceipt", customer_id=customer, txn_date=day, tax_percent=D("10"), lines=[LineInput(candle, D("4.5"), D("11.00"))]
            ),
            company.create_document(
                "CreditMemo", customer_id=customer, txn_date=live.today, tax_percent=D("10"), lines=[LineInput(candle, D("1"))]
            ),
        ]
        assert all(doc["GlobalTaxCalculation"] == "TaxInclusive" and doc["TxnTaxDetail"]["TotalTax"] > 0 for doc in documents)
        summary = live.sync()
        assert (summary.created, summary.errors) == (3, 0)
        with live.app.app_context():
            revenue = dict(db.session.execute(select(Sale.external_id, Sale.revenue)).tuples().all())
            db.session.remove()
        # Gross 66.00 less 10% is 59.40 with 5.40 tax; gross 49.50 holds 4.50 tax; gross 22.00 holds 2.00.
        assert [revenue[doc["Id"]] for doc in documents] == [D("54.00"), D("45.00"), D("-20.00")]
        for doc in documents:
            sign = -1 if doc["Id"] == documents[2]["Id"] else 1
            assert revenue[doc["Id"]] == sign * (doc["TotalAmt"] - doc["TxnTaxDetail"]["TotalTax"])


def test_the_parsed_lines_of_a_tax_inclusive_document_hold_net_amounts(app_config: dict[str, Any]) -> None:
    with live_sandbox(app_config) as live:
        live.company.set_prices_include_tax(True)
        customer = live.company.create_customer("Perth Boutique")["Id"]
        item = live.company.create_item(ItemDraft("Gift Set", "Inventory", "GS-1", unit_price=D("1.00")))["Id"]
        recorded_like = live.company.create_document(
            "Invoice", customer_id=customer, txn_date=live.today, lines=[LineInput(item, D("450"))], tax_percent=D("10")
        )
        [page] = [page for page in live.source().changed_documents(None, live.today) if page.documents]
        [doc] = page.documents
        assert isinstance(doc, SalesDocument) and doc.type is DocumentType.INVOICE
        # As the recorded AU invoice 185: 450 x 1.00 gross is 409.09 net, unit price 0.9090889, tax 40.91.
        line = recorded_like["Line"][0]
        assert (
            line["Amount"],
            line["SalesItemLineDetail"]["UnitPrice"],
            line["SalesItemLineDetail"]["TaxInclusiveAmt"],
            recorded_like["TxnTaxDetail"]["TotalTax"],
        ) == (D("409.09"), D("0.9090889"), D("450.00"), D("40.91"))
        assert [(item_line.amount, item_line.quantity) for item_line in doc.lines if item_line.item_id] == [(D("409.09"), D("450"))]
