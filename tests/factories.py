"""Small builders for tests: products and lots through the real services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from partsemble.extensions import db
from partsemble.lots.services import LotInput, receive_lot
from partsemble.models.catalog import Product
from partsemble.models.inventory import Lot
from partsemble.products.services import ProductInput, create_product


def product(sku: str = "CND-1", name: str | None = None, kind: str = "finished_good", unit: str = "each") -> Product:
    return create_product(db.session, ProductInput(name or f"Product {sku}", sku, kind, unit))


def lot(p: Product, quantity: str, cost: str, received: date = date(2026, 1, 1), number: str = "") -> Lot:
    return receive_lot(db.session, LotInput(p.id, number, received, Decimal(quantity), Decimal(cost)), None)
