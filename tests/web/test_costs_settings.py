"""Settings → Costs (the closed period) and dated lot adjustments, as admins and members use them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from partsemble.costing import costs_final_through
from partsemble.extensions import db
from partsemble.models.inventory import Lot
from tests.web.test_stock_pages import make_product


def test_an_admin_closes_and_reopens_a_period(app, admin) -> None:  # type: ignore[no-untyped-def]
    page = admin.get("/settings/costs").get_data(as_text=True)
    assert "Every period is open." in page
    saved = admin.post("/settings/costs", {"costs_final_through": "2026-03-31"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/settings/costs")
    page = admin.get("/settings/costs").get_data(as_text=True)
    assert "Costs are final through <strong>2026-03-31</strong>" in page and 'value="2026-03-31"' in page
    with app.app_context():
        assert costs_final_through(db.session) == date(2026, 3, 31)
    admin.post("/settings/costs", {"costs_final_through": ""})
    with app.app_context():
        assert costs_final_through(db.session) is None


def test_a_bad_date_is_shown_next_to_the_field_and_changes_nothing(app, admin) -> None:  # type: ignore[no-untyped-def]
    response = admin.post("/settings/costs", {"costs_final_through": "2026-02-30"})
    assert response.status_code == 400
    assert 'id="costs_final_through-err"' in response.get_data(as_text=True)
    with app.app_context():
        assert costs_final_through(db.session) is None


def test_only_an_admin_may_close_a_period(app, member, viewer) -> None:  # type: ignore[no-untyped-def]
    assert member.post("/settings/costs", {"costs_final_through": "2026-03-31"}).status_code == 403
    assert viewer.get("/settings/costs").status_code == 403
    with app.app_context():
        assert costs_final_through(db.session) is None


def test_a_lot_dated_in_the_closed_period_is_refused_at_its_date_field(app, admin, member) -> None:  # type: ignore[no-untyped-def]
    pid = make_product(member)
    admin.post("/settings/costs", {"costs_final_through": "2026-03-31"})
    response = member.post(
        "/lots/receive",
        {"product_id": pid, "received_date": "2026-03-02", "lot_number": "", "quantity": "5", "unit_cost": "2", "source": "build"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="received_date-err">The lot is dated 2026-03-02, in the closed period' in html


def test_a_member_adjusts_a_lot_on_an_earlier_date(app, member) -> None:  # type: ignore[no-untyped-def]
    pid = make_product(member)
    received = member.post(
        "/lots/receive",
        {"product_id": pid, "received_date": "2026-01-05", "lot_number": "", "quantity": "20", "unit_cost": "3", "source": "build"},
    )
    lot_id = int(received.headers["Location"].rsplit("/", 1)[1])
    adjusted = member.post(f"/lots/{lot_id}/adjust", {"delta": "-2", "adjusted_on": "2026-01-09", "reason": "damage", "note": ""})
    assert adjusted.status_code == 302
    early = member.post(f"/lots/{lot_id}/adjust", {"delta": "-1", "adjusted_on": "2026-01-02", "reason": "damage", "note": ""})
    assert early.status_code == 400 and 'id="adjusted_on-err">The lot was received on 2026-01-05' in early.get_data(as_text=True)
    page = member.get(f"/lots/{lot_id}").get_data(as_text=True)
    assert "2026-01-09" in page
    with app.app_context():
        assert db.session.get(Lot, lot_id).quantity_remaining == Decimal(18)
