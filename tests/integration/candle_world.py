"""The sync tests' shared world: Candle A (item 1) with lots 20 @ 145 (2026-01-01) and
30 @ 148 (2026-01-02), Candle B (item 2) with one lot 100 @ 2, and a QuickBooks connection
syncing from 2026-01-01. The items a test module's source knows are its own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from partsemble.connectors.memory import InMemorySource
from partsemble.domain.documents import ItemRecord
from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem
from partsemble.models.sync import Connection
from tests import factories


def build(items: Sequence[ItemRecord]) -> dict[str, object]:
    """The products, lots, connection and links, committed; the source pages two documents at a time."""
    a = factories.product("CND-A", "Candle A")
    b = factories.product("CND-B", "Candle B")
    factories.lot(a, "20", "145", date(2026, 1, 1))
    factories.lot(a, "30", "148", date(2026, 1, 2))
    factories.lot(b, "100", "2", date(2026, 1, 1))
    db.session.add(Connection(provider="qbo", realm_id="1", status="connected", initial_sync_date=date(2026, 1, 1)))
    for external_id, product in (("1", a), ("2", b)):
        db.session.add(
            AccountingItem(source="qbo", external_id=external_id, name=product.name, item_type="Inventory", product_id=product.id)
        )
    db.session.commit()
    return {"a": a.id, "b": b.id, "source": InMemorySource(list(items), page_size=2)}
