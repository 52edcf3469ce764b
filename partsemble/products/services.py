"""Product use cases: create, edit, archive, import. Each commits one business fact."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from partsemble.csvio import collect, read_rows
from partsemble.models.catalog import PRODUCT_TYPES, AccountingItem, Product
from partsemble.models.transactions import AnySession, write_transaction
from partsemble.validation import InputError, parse_text

TYPE_ALIASES = {t: t for t in PRODUCT_TYPES} | {
    "raw material": "raw_material",
    "sub-assembly": "sub_assembly",
    "sub assembly": "sub_assembly",
    "finished good": "finished_good",
}


@dataclass(frozen=True)
class ProductInput:
    name: str
    sku: str
    type: str
    unit: str = "each"
    accounting_item_external_id: str | None = None
    accounting_item_source: str = "qbo"  # the item's channel (AccountingItem.source)


def parse_product(name: object, sku: object, type_: object, unit: object) -> ProductInput:
    """Validate a product's fields.

    Raises:
        InputError: naming the field at fault.
    """
    name_text = parse_text(name, "name", "Name", max_length=200)
    sku_text = parse_text(sku, "sku", "SKU", max_length=64)
    if any(ch.isspace() for ch in sku_text):
        raise InputError("SKU cannot contain spaces.", "sku")
    if len(Product.key_for(sku_text)) > 64:  # 'ß' compares as 'ss': the key can outgrow the SKU
        raise InputError("SKU is too long.", "sku")
    kind = TYPE_ALIASES.get(str(type_ or "").strip().lower())
    if kind is None:
        raise InputError(f"Type must be one of {', '.join(PRODUCT_TYPES)}, not {str(type_ or '')[:40]!r}.", "type")
    unit_text = parse_text(unit or "each", "unit", "Unit", max_length=20)
    return ProductInput(name_text, sku_text, kind, unit_text)


def _sku_taken(session: AnySession, sku: str, except_id: int | None = None) -> bool:
    query = select(Product.id).where(Product.sku_key == Product.key_for(sku))
    if except_id is not None:
        query = query.where(Product.id != except_id)
    return session.scalar(query) is not None


def create_product(session: AnySession, data: ProductInput) -> Product:
    """Create a product and commit.

    Raises:
        InputError: the SKU is taken (case-insensitively).
    """
    with write_transaction(session):
        if _sku_taken(session, data.sku):
            raise InputError(f"Another product already has the SKU {data.sku}.", "sku")
        product = Product(name=data.name, sku=data.sku, sku_key=Product.key_for(data.sku), type=data.type, unit=data.unit, active=True)
        session.add(product)
    return product


def update_product(session: AnySession, product_id: int, data: ProductInput) -> Product:
    """Change a product's fields and commit.

    Raises:
        InputError: unknown product, SKU taken, or a linked item's product stops being linkable.
    """
    with write_transaction(session):
        product = session.get(Product, product_id)
        if product is None:
            raise InputError("No such product.")
        if _sku_taken(session, data.sku, except_id=product_id):
            raise InputError(f"Another product already has the SKU {data.sku}.", "sku")
        product.name, product.sku, product.sku_key = data.name, data.sku, Product.key_for(data.sku)
        product.type, product.unit = data.type, data.unit
    return product


def set_active(session: AnySession, product_id: int, active: bool) -> Product:
    """Archive (active=False) or restore a product. Its history and stock stay."""
    with write_transaction(session):
        product = session.get(Product, product_id)
        if product is None:
            raise InputError("No such product.")
        product.active = active
    return product


PRODUCT_CSV_COLUMNS = ("sku", "name", "type", "unit")
# The accounting_channel column of an import: which channel's item accounting_item names (QuickBooks when empty).
ITEM_CHANNELS = {"": "qbo", "qbo": "qbo", "quickbooks": "qbo", "xero": "xero"}


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    linked: int


def import_products(session: AnySession, data: bytes | str) -> ImportResult:
    """Upsert products by SKU from a CSV (sku,name,type,unit[,accounting_item][,accounting_channel]), all or nothing.

    `accounting_item` holds an item Id of a connected accounting system, QuickBooks unless
    `accounting_channel` says Xero; the item must be in the local item list and not linked to another
    product. Linking replaces the product's item of that channel (its item of the other channel stays).

    Raises:
        CsvRejected: every bad row with its column; nothing is written.
    """
    rows = read_rows(data, PRODUCT_CSV_COLUMNS, optional=("accounting_item", "accounting_channel"))
    existing = {p.sku_key: p for p in session.scalars(select(Product))}
    items = {(i.source, i.external_id): i for i in session.scalars(select(AccountingItem))}
    seen: dict[str, int] = {}
    claimed: dict[tuple[str, str], str] = {}

    def parse(line: int, values: dict[str, str]) -> ProductInput:
        data_row = parse_product(values.get("name"), values.get("sku"), values.get("type"), values.get("unit"))
        key = Product.key_for(data_row.sku)
        if key in seen:
            raise InputError(f"SKU {data_row.sku} appears again (first on row {seen[key]})", "sku")
        seen[key] = line
        item_id = (values.get("accounting_item") or "").strip() or None
        source = ITEM_CHANNELS.get((values.get("accounting_channel") or "").strip().casefold())
        if source is None:
            raise InputError("accounting_channel must be QuickBooks or Xero (or empty for QuickBooks)", "accounting_channel")
        if item_id is not None:
            item = items.get((source, item_id))
            channel = "Xero" if source == "xero" else "QuickBooks"
            if item is None:
                raise InputError(f"no accounting item has the Id {item_id!r} in {channel}; refresh the item list first", "accounting_item")
            product = existing.get(key)
            if item.product_id is not None and (product is None or item.product_id != product.id):
                raise InputError(f"item {item_id} ({item.name}) is already linked to another product", "accounting_item")
            if (source, item_id) in claimed:
                raise InputError(f"item {item_id} is also claimed by SKU {claimed[(source, item_id)]}", "accounting_item")
            claimed[(source, item_id)] = data_row.sku
        return ProductInput(data_row.name, data_row.sku, data_row.type, data_row.unit, item_id, source)

    inputs: list[ProductInput] = collect(rows, parse)
    with write_transaction(session):
        created = updated = linked = 0
        for item_input in inputs:
            key = Product.key_for(item_input.sku)
            product = session.scalar(select(Product).where(Product.sku_key == key))
            if product is None:
                product = Product(sku_key=key, active=True)
                session.add(product)
                created += 1
            else:
                updated += 1
            product.name, product.sku, product.type, product.unit = item_input.name, item_input.sku, item_input.type, item_input.unit
            if item_input.accounting_item_external_id:
                session.flush()
                source = item_input.accounting_item_source
                item = session.scalar(
                    select(AccountingItem).where(
                        AccountingItem.source == source, AccountingItem.external_id == item_input.accounting_item_external_id
                    )
                )
                assert item is not None  # checked above, within the same request
                if item.product_id != product.id:
                    # The product's item of this channel gives way; its item of another channel stays linked.
                    previous = session.scalar(
                        select(AccountingItem).where(AccountingItem.product_id == product.id, AccountingItem.source == source)
                    )
                    if previous is not None:
                        previous.product_id = None
                        session.flush()
                    item.product_id = product.id
                    item.not_tracked = False
                    linked += 1
    return ImportResult(created, updated, linked)
