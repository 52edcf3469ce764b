"""Linking accounting items to products, creating products from items, marking items not tracked.

An item is named by its channel (source: qbo, xero) and its Id there: a Xero ItemID may equal a
QuickBooks item Id, and they are two items. A product is linked to at most one item of each channel.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from sqlalchemy import select

from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.transactions import AnySession, write_transaction
from partsemble.products.services import ProductInput, parse_product
from partsemble.validation import InputError

# The SKU a product made from an item without a SKU gets: the channel's prefix and the item's Id.
SKU_PREFIXES = {"qbo": "QBO", "xero": "XERO"}


def get_item(session: AnySession, source: str, external_id: str) -> AccountingItem | None:
    return session.scalar(select(AccountingItem).where(AccountingItem.source == source, AccountingItem.external_id == external_id))


def _locked_item(session: AnySession, source: str, external_id: str) -> AccountingItem:
    """Raises: InputError for an unknown item (the caller's transaction rolls back)."""
    item = session.scalar(
        select(AccountingItem).where(AccountingItem.source == source, AccountingItem.external_id == external_id).with_for_update()
    )
    if item is None:
        raise InputError("No such accounting item; refresh the item list.")
    return item


def _item_of_channel(session: AnySession, product: Product, item: AccountingItem) -> AccountingItem | None:
    """The other item of the same channel the product is linked to, if any."""
    return session.scalar(
        select(AccountingItem).where(
            AccountingItem.product_id == product.id, AccountingItem.source == item.source, AccountingItem.id != item.id
        )
    )


def link_item(session: AnySession, source: str, external_id: str, product_id: int) -> AccountingItem:
    """Link an item to a product, and commit. A product has at most one item of each channel (one
    QuickBooks item and one Xero item); an item at most one product.

    Raises:
        InputError: unknown product, or the product is linked to another item of the same channel.
    """
    with write_transaction(session):
        item = _locked_item(session, source, external_id)
        product = session.get(Product, product_id)
        if product is None:
            raise InputError("Choose a product.", "product_id")
        other = _item_of_channel(session, product, item)
        if other is not None:
            raise InputError(
                f"{product.name} is already linked to the {item.channel_name} item '{other.name}'. "
                f"A product has one {item.channel_name} item: unlink that first.",
                "product_id",
            )
        item.product_id = product.id
        item.not_tracked = False
    return item


def unlink_item(session: AnySession, source: str, external_id: str) -> AccountingItem:
    with write_transaction(session):
        item = _locked_item(session, source, external_id)
        item.product_id = None
    return item


def set_not_tracked(session: AnySession, source: str, external_id: str, not_tracked: bool) -> AccountingItem:
    """Mark an item not tracked (its lines are skipped by the sync), or tracked again. Commits."""
    with write_transaction(session):
        item = _locked_item(session, source, external_id)
        item.not_tracked = not_tracked
        if not_tracked:
            item.product_id = None
    return item


def _new_product_for(session: AnySession, item: AccountingItem, kind: str) -> Product:
    sku = (item.sku or "").strip() or f"{SKU_PREFIXES.get(item.source, item.source.upper())}-{item.external_id}"
    data: ProductInput = parse_product(item.name, sku.replace(" ", "-"), kind, "each")
    if session.scalar(select(Product.id).where(Product.sku_key == Product.key_for(data.sku))) is not None:
        raise InputError(f"A product with the SKU {data.sku} exists already: link the item to it instead.", "sku")
    product = Product(name=data.name, sku=data.sku, sku_key=Product.key_for(data.sku), type=data.type, unit=data.unit, active=True)
    session.add(product)
    session.flush()
    item.product_id = product.id
    item.not_tracked = False
    return product


def create_product_from(session: AnySession, source: str, external_id: str, kind: str = "finished_good") -> Product:
    """Create a product from an item (name and SKU copied) and link them, and commit.

    Raises:
        InputError: the item is linked already, or its SKU is taken.
    """
    with write_transaction(session):
        item = _locked_item(session, source, external_id)
        if item.product_id is not None:
            raise InputError("This item is linked to a product already.")
        product = _new_product_for(session, item, kind)
    return product


def create_products_from(session: AnySession, items: list[tuple[str, str]]) -> int:
    """Create a finished good for each unlinked item (source, external Id), all or nothing, and commit.

    Raises:
        InputError: naming the first item that cannot get a product.
    """
    with write_transaction(session):
        created = 0
        for source, external_id in dict.fromkeys(items):
            item = _locked_item(session, source, external_id)
            if item.product_id is not None:
                continue
            try:
                _new_product_for(session, item, "finished_good")
            except InputError as exc:
                raise InputError(f"{item.name}: {exc.message}") from None
            created += 1
    return created


def suggestions(session: AnySession, item: AccountingItem, limit: int = 5) -> list[Product]:
    """Products to link to: same SKU first (a QuickBooks SKU, a Xero Code), then the most similar names;
    products already linked to another item of the item's channel are left out."""
    linked = set(
        session.scalars(
            select(AccountingItem.product_id).where(
                AccountingItem.product_id.is_not(None), AccountingItem.source == item.source, AccountingItem.id != item.id
            )
        )
    )
    candidates = [p for p in session.scalars(select(Product).where(Product.active.is_(True))) if p.id not in linked]
    sku = Product.key_for(item.sku or "")
    name = item.name.casefold()

    def score(product: Product) -> tuple[int, float]:
        same_sku = 1 if sku and product.sku_key == sku else 0
        return (same_sku, SequenceMatcher(None, name, product.name.casefold()).ratio())

    ranked = sorted(candidates, key=score, reverse=True)
    return [p for p in ranked if score(p)[0] or score(p)[1] >= 0.45][:limit]
