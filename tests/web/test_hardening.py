"""Refusals instead of 500s, and exports kept out of caches."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "path", ["/lots/2147483648", "/lots/99999999999999999999", "/products/2147483648", "/lots/2147483648/customers.csv"]
)
def test_an_id_beyond_the_column_range_is_a_404(member, path) -> None:  # type: ignore[no-untyped-def]
    assert member.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/lots/export.csv", "/products/export.csv"])
def test_csv_exports_are_not_stored_by_caches(member, path) -> None:  # type: ignore[no-untyped-def]
    response = member.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_product_page_lists_its_lots_fifty_at_a_time_in_fifo_order(app, member) -> None:  # type: ignore[no-untyped-def]
    from datetime import date, timedelta

    from tests.factories import lot, product

    with app.app_context():
        candle = product("PAGED-1")
        start = date(2025, 1, 1)
        # Received newest first, so the pages can only be in FIFO order if the query sorts them.
        for day in reversed(range(61)):
            lot(candle, "1", "2", received=start + timedelta(days=day), number=f"P-{day:03d}")
        product_id = candle.id

    def lots_section(url: str) -> str:  # the page's lot table, without the ledger below it
        return member.get(url).get_data(as_text=True).split('id="ledger"')[0]

    first = lots_section(f"/products/{product_id}")
    assert "P-000" in first and "P-049" in first and "P-050" not in first
    assert f"/products/{product_id}?lots_page=2#lots" in first
    second = lots_section(f"/products/{product_id}?lots_page=2")
    assert "P-050" in second and "P-060" in second and "P-049" not in second
    assert "Page 2 of 2 · 61 rows" in second
