"""Linking accounting items to products, creating products from items, marking items not tracked."""
from __future__ import annotations

from difflib import SequenceMatcher

from sqlalchemy import select

from partsemble.extensions import db
from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.engine import begin_write
from partsemble.products.services import ProductInput, parse_product
from partsemble.validation import InputError


def get_item(external_id: str) -> AccountingItem | None:
    return db.session.scalar(select(AccountingItem).where(AccountingItem.source == "qbo", AccountingItem.external_id == external_id))


def _locked_item(external_id: str) -> AccountingItem:
    item = db.session.scalar(
        select(AccountingItem).where(AccountingItem.source == "qbo", AccountingItem.external_id == external_id).with_for_update()
    )
    if item is None:
        db.session.rollback()
        raise InputError("No such accounting item; refresh the item list.")
    return item


def link_item(external_id: str, product_id: int) -> AccountingItem:
    """Link an item to a product (each links to at most one of the other), and commit.

    Raises:
        InputError: unknown product, or the product is linked to another item.
    """
    begin_write(db.session)
    item = _locked_item(external_id)
    product = db.session.get(Product, product_id)
    if product is None:
        db.session.rollback()
        raise InputError("Choose a product.", "product_id")
    other = db.session.scalar(select(AccountingItem).where(AccountingItem.product_id == product.id, AccountingItem.id != item.id))
    if other is not None:
        db.session.rollback()
        raise InputError(f"{product.name} is already linked to the item '{other.name}'. Unlink that first.", "product_id")
    item.product_id = product.id
    item.not_tracked = False
    db.session.commit()
    return item


def unlink_item(external_id: str) -> AccountingItem:
    begin_write(db.session)
    item = _locked_item(external_id)
    item.product_id = None
    db.session.commit()
    return item


def set_not_tracked(external_id: str, not_tracked: bool) -> AccountingItem:
    """Mark an item not tracked (its lines are skipped by the sync), or tracked again. Commits."""
    begin_write(db.session)
    item = _locked_item(external_id)
    item.not_tracked = not_tracked
    if not_tracked:
        item.product_id = None
    db.session.commit()
    return item


def _new_product_for(item: AccountingItem, kind: str) -> Product:
    sku = (item.sku or "").strip() or f"QBO-{item.external_id}"
    data: ProductInput = parse_product(item.name, sku.replace(" ", "-"), kind, "each")
    if db.session.scalar(select(Product.id).where(Product.sku_key == Product.key_for(data.sku))) is not None:
        raise InputError(f"A product with the SKU {data.sku} exists already: link the item to it instead.", "sku")
    product = Product(name=data.name, sku=data.sku, sku_key=Product.key_for(data.sku), type=data.type, unit=data.unit, active=True)
    db.session.add(product)
    db.session.flush()
    item.product_id = product.id
    item.not_tracked = False
    return product


def create_product_from(external_id: str, kind: str = "finished_good") -> Product:
    """Create a product from an item (name and SKU copied) and link them, and commit.

    Raises:
        InputError: the item is linked already, or its SKU is taken.
    """
    begin_write(db.session)
    item = _locked_item(external_id)
    if item.product_id is not None:
        db.session.rollback()
        raise InputError("This item is linked to a product already.")
    try:
        product = _new_product_for(item, kind)
    except InputError:
        db.session.rollback()
        raise
    db.session.commit()
    return product


def create_products_from(external_ids: list[str]) -> int:
    """Create a finished good for each unlinked item, all or nothing, and commit.

    Raises:
        InputError: naming the first item that cannot get a product.
    """
    begin_write(db.session)
    created = 0
    for external_id in dict.fromkeys(external_ids):
        item = _locked_item(external_id)
        if item.product_id is not None:
            continue
        try:
            _new_product_for(item, "finished_good")
        except InputError as exc:
            db.session.rollback()
            raise InputError(f"{item.name}: {exc.message}") from None
        created += 1
    db.session.commit()
    return created


def suggestions(item: AccountingItem, limit: int = 5) -> list[Product]:
    """Products to link to: same SKU first, then the most similar names; products linked elsewhere last out."""
    linked = set(db.session.scalars(select(AccountingItem.product_id).where(AccountingItem.product_id.is_not(None), AccountingItem.id != item.id)))
    candidates = [p for p in db.session.scalars(select(Product).where(Product.active.is_(True))) if p.id not in linked]
    sku = (item.sku or "").casefold()
    name = item.name.casefold()

    def score(product: Product) -> tuple[int, float]:
        same_sku = 1 if sku and product.sku_key == sku else 0
        return (same_sku, SequenceMatcher(None, name, product.name.casefold()).ratio())

    ranked = sorted(candidates, key=score, reverse=True)
    return [p for p in ranked if score(p)[0] or score(p)[1] >= 0.45][:limit]
