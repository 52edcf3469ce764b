"""The lot page offers Void only for an untouched lot (the service refuses the others anyway)."""

from __future__ import annotations

from datetime import date

from partsemble.extensions import db
from partsemble.lots import services
from tests import factories


def test_the_lot_page_offers_void_only_for_an_untouched_lot(app, member, users) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        p = factories.product("CND-1")
        untouched = factories.lot(p, "20", "2", date(2026, 1, 1), "L-1").id
        adjusted = factories.lot(p, "20", "2", date(2026, 1, 1), "L-2").id
        services.adjust_lot(db.session, adjusted, "-2", "damage", "", None, on="2026-01-05")
        db.session.remove()
    assert "Void this lot" in member.get(f"/lots/{untouched}").get_data(as_text=True)
    page = member.get(f"/lots/{adjusted}").get_data(as_text=True)
    assert "Void this lot" not in page
