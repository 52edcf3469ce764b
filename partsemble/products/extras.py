"""What the product page shows beyond stock: its margin and its month-by-month chart."""
from __future__ import annotations

from partsemble.models.catalog import Product
from partsemble.reports import periods
from partsemble.reports.margins import product_margin
from partsemble.reports.monthly import product_months
from partsemble.reports.svg import chart_panel


def product_page_extras(product: Product) -> dict[str, object]:
    """`margin` (revenue and margin of the last 12 calendar months, None if nothing sold),
    `chart_partial` and `margin_chart` (the panel that partial draws). Products that are
    not finished goods and never had a costed line get nothing: they have no margin."""
    window = periods.preset_period("last_12_months", periods.today())
    assert window.start is not None and window.end is not None
    margin = product_margin(product.id, window)
    if margin is None and not product.is_finished_good:
        return {}
    months = product_months(product.id, window.start, window.end)
    return {
        "margin": margin,
        "chart_partial": "products/_chart.html",
        "margin_chart": chart_panel(months, f"product-{product.id}-chart", product.name),
    }
