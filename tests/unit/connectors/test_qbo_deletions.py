"""deletions: CDC tombstones, each confirmed by reading the object."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from qbo_doubles import COMPANY_URL

from partsemble.connectors.errors import NotFound, Transient, WindowTooLarge
from partsemble.connectors.qbo.client import QboSource
from partsemble.domain.documents import Deletion, DocumentType

PACIFIC = timezone(timedelta(hours=-7))
NOW = datetime(2026, 5, 20, 10, 0, tzinfo=PACIFIC)
SINCE = datetime(2026, 5, 19, 9, 30, 0, 250000, tzinfo=PACIFIC)  # the fraction is dropped on the wire
CDC_URL = f"{COMPANY_URL}/cdc"


@pytest.fixture
def source(http) -> QboSource:
    return QboSource(http, now=lambda: NOW)


def test_empty_cdc_answer_means_no_deletions(source, serve, qbo_json, sent_params):
    serve(qbo_json("cdc_empty.json"), url=CDC_URL)

    assert source.deletions(SINCE) == []
    assert sent_params() == [
        {
            "entities": "Invoice,SalesReceipt,CreditMemo",
            "changedSince": "2026-05-19T09:30:00-07:00",
            "minorversion": "75",
        }
    ]


def test_tombstone_is_confirmed_by_610_and_a_readable_object_is_not_deleted(source, serve, qbo_json, qbo_text, mocked):
    serve(qbo_json("cdc_tombstones.json"), url=CDC_URL)
    serve(qbo_text("fault_object_not_found.json"), status=400, url=f"{COMPANY_URL}/invoice/979")
    serve(qbo_json("sales_receipt_cad.json"), url=f"{COMPANY_URL}/salesreceipt/1044")

    deletions = source.deletions(SINCE)

    assert deletions == [Deletion(type=DocumentType.INVOICE, id="979", deleted_at=datetime(2026, 5, 19, 12, 55, 50, tzinfo=PACIFIC))]
    # The live invoice 130 in the same answer is not read: only tombstones are.
    assert [call.request.path_url.split("?")[0] for call in mocked.calls] == [
        "/v3/company/9341453/cdc",
        "/v3/company/9341453/invoice/979",
        "/v3/company/9341453/salesreceipt/1044",
    ]


@pytest.mark.parametrize("status", [200, 400, 404])
def test_610_in_any_status_confirms_the_deletion(source, serve, qbo_json, qbo_text, status):
    serve(qbo_json("cdc_tombstones.json"), url=CDC_URL)
    serve(qbo_text("fault_object_not_found.json"), status=status, url=f"{COMPANY_URL}/invoice/979")
    serve(qbo_text("fault_object_not_found.json"), status=status, url=f"{COMPANY_URL}/salesreceipt/1044")

    assert [deletion.key for deletion in source.deletions(SINCE)] == [("Invoice", "979"), ("SalesReceipt", "1044")]


def test_a_404_without_610_does_not_confirm_and_raises(source, serve, qbo_json):
    serve(qbo_json("cdc_tombstones.json"), url=CDC_URL)
    serve("<html>Not Found</html>", status=404, content_type="text/html", url=f"{COMPANY_URL}/invoice/979")

    with pytest.raises(NotFound) as raised:
        source.deletions(SINCE)

    assert raised.value.code == ""


def test_a_failing_confirmation_read_raises_instead_of_guessing(source, serve, qbo_json):
    serve(qbo_json("cdc_tombstones.json"), url=CDC_URL)
    serve("", status=503, url=f"{COMPANY_URL}/invoice/979")

    with pytest.raises(Transient):
        source.deletions(SINCE)


@pytest.mark.parametrize(
    ("since", "allowed"),
    [(NOW - timedelta(days=30), True), (NOW - timedelta(days=30, seconds=1), False)],
)
def test_since_must_be_within_30_days(source, serve, qbo_json, mocked, since, allowed):
    if allowed:
        serve(qbo_json("cdc_empty.json"), url=CDC_URL)
        assert source.deletions(since) == []
    else:
        with pytest.raises(ValueError, match="30 days"):
            source.deletions(since)
        assert len(mocked.calls) == 0


def test_naive_since_is_refused(source):
    with pytest.raises(ValueError, match="timezone-aware"):
        source.deletions(datetime(2026, 5, 19))


def _cdc(**lists: list[dict]) -> dict:
    return {
        "CDCResponse": [{"QueryResponse": [{entity: rows} for entity, rows in lists.items()] or [{}]}],
        "time": "2026-05-20T10:00:00.000-07:00",
    }


def _live(count: int) -> list[dict]:
    meta = {"LastUpdatedTime": "2026-05-19T10:00:00-07:00"}
    return [{"Id": str(n), "SyncToken": "1", "MetaData": meta} for n in range(count)]


def _tombstone(doc_id: str) -> dict:
    meta = {"LastUpdatedTime": "2026-05-19T11:00:00-07:00"}
    return {"domain": "QBO", "status": "Deleted", "Id": doc_id, "MetaData": meta}


def test_a_cut_off_answer_is_asked_again_one_type_at_a_time(source, serve, qbo_text, sent_params):
    serve(_cdc(Invoice=_live(700), SalesReceipt=_live(300)), url=CDC_URL)
    serve(_cdc(Invoice=_live(700) + [_tombstone("5001")]), url=CDC_URL)
    serve(_cdc(SalesReceipt=_live(300)), url=CDC_URL)
    serve(_cdc(CreditMemo=[_tombstone("77")]), url=CDC_URL)
    serve(qbo_text("fault_object_not_found.json"), status=400, url=f"{COMPANY_URL}/invoice/5001")
    serve(qbo_text("fault_object_not_found.json"), status=400, url=f"{COMPANY_URL}/creditmemo/77")

    deletions = source.deletions(SINCE)

    assert [deletion.key for deletion in deletions] == [("Invoice", "5001"), ("CreditMemo", "77")]
    assert [params.get("entities") for params in sent_params()[:4]] == [
        "Invoice,SalesReceipt,CreditMemo",
        "Invoice",
        "SalesReceipt",
        "CreditMemo",
    ]


def test_one_type_with_1000_changes_raises_window_too_large(source, serve):
    serve(_cdc(Invoice=_live(1000)), url=CDC_URL)
    serve(_cdc(Invoice=_live(1000)), url=CDC_URL)

    with pytest.raises(WindowTooLarge, match="compare ids"):
        source.deletions(SINCE)
