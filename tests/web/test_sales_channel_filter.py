"""Sales show their channel and the Sales list filters by it; a Xero id equal to a QuickBooks id stays a separate sale."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from partsemble.extensions import db
from partsemble.models.sales import Sale


@pytest.fixture
def three_channels(ctx, users):  # type: ignore[no-untyped-def]
    for source, number in (("qbo", "Q-1001"), ("xero", "INV-0042"), ("manual", "M-7")):
        # The QuickBooks invoice and the Xero one share the upstream id "42".
        db.session.add(
            Sale(
                source=source,
                external_type="Invoice" if source != "manual" else "ManualSale",
                external_id="42",
                version="0",
                doc_number=number,
                txn_date=date(2026, 2, 1),
            )
        )
    db.session.commit()
    db.session.rollback()


def numbers(page: str) -> list[str]:
    return sorted(n for n in ("Q-1001", "INV-0042", "M-7") if f">{n}</a>" in page)


def test_each_sale_shows_its_channel_and_the_list_filters_by_it(three_channels, member) -> None:  # type: ignore[no-untyped-def]
    everything = member.get("/sales/").get_data(as_text=True)
    assert numbers(everything) == ["INV-0042", "M-7", "Q-1001"]
    for key, name in (("qbo", "QuickBooks"), ("xero", "Xero"), ("manual", "Manual")):
        assert f'<span class="badge" data-channel="{key}">{name}</span>' in everything
    assert numbers(member.get("/sales/?channel=xero").get_data(as_text=True)) == ["INV-0042"]
    assert numbers(member.get("/sales/?channel=qbo").get_data(as_text=True)) == ["Q-1001"]
    assert numbers(member.get("/sales/?channel=nonsense").get_data(as_text=True)) == ["INV-0042", "M-7", "Q-1001"]


def test_a_xero_id_equal_to_a_quickbooks_id_is_its_own_sale(three_channels) -> None:  # type: ignore[no-untyped-def]
    keyed = db.session.execute(select(Sale.source, Sale.doc_number).where(Sale.external_id == "42").order_by(Sale.source)).all()
    assert [tuple(row) for row in keyed] == [("manual", "M-7"), ("qbo", "Q-1001"), ("xero", "INV-0042")]
    db.session.add(Sale(source="xero", external_type="Invoice", external_id="42", version="1", txn_date=date(2026, 2, 2)))
    with pytest.raises(IntegrityError):  # but the same channel cannot hold it twice
        db.session.commit()
    db.session.rollback()
