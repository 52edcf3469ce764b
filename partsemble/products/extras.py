"""What the product page shows beyond stock: filled in by the features that own it."""
from __future__ import annotations

from partsemble.models.catalog import Product


def product_page_extras(product: Product) -> dict[str, object]:
    return {}
