"""Refusals instead of 500s, and exports kept out of caches."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/lots/2147483648", "/lots/99999999999999999999", "/products/2147483648", "/lots/2147483648/customers.csv"])
def test_an_id_beyond_the_column_range_is_a_404(member, path) -> None:  # type: ignore[no-untyped-def]
    assert member.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/lots/export.csv", "/products/export.csv"])
def test_csv_exports_are_not_stored_by_caches(member, path) -> None:  # type: ignore[no-untyped-def]
    response = member.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
