"""Products and the local copy of the accounting system's items."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partsemble.models.base import Quantity, UTCDateTime, db, utcnow
from partsemble.models.sales import CHANNEL_NAMES

if TYPE_CHECKING:
    from partsemble.models.inventory import Lot
    from partsemble.models.transactions import AnySession

PRODUCT_TYPES = ("raw_material", "component", "sub_assembly", "finished_good")
PRODUCT_TYPE_LABELS = {
    "raw_material": "Raw material",
    "component": "Component",
    "sub_assembly": "Sub-assembly",
    "finished_good": "Finished good",
}


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("type IN ('raw_material', 'component', 'sub_assembly', 'finished_good')", name="type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str] = mapped_column(String(64))
    # SKUs are unique regardless of case: "cnd-01" and "CND-01" are one product.
    sku_key: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(20), index=True)
    unit: Mapped[str] = mapped_column(String(20), default="each")
    active: Mapped[bool] = mapped_column(default=True)
    # Kept equal to the sum of the product's stock transactions (checked by `partsemble check`).
    stock_on_hand: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    # At most one item per channel (source): a product sold in QuickBooks and in Xero has two.
    accounting_items: Mapped[list[AccountingItem]] = relationship(back_populates="product", order_by="AccountingItem.source")
    lots: Mapped[list[Lot]] = relationship(back_populates="product", lazy="dynamic")  # type: ignore[type-var]

    @staticmethod
    def key_for(sku: str) -> str:
        return sku.strip().casefold()

    @property
    def type_label(self) -> str:
        return PRODUCT_TYPE_LABELS[self.type]

    def accounting_item_for(self, source: str) -> AccountingItem | None:
        """The item of this channel (qbo, xero) the product is linked to, if any."""
        return next((item for item in self.accounting_items if item.source == source), None)

    @property
    def is_finished_good(self) -> bool:
        return self.type == "finished_good"


# The channels whose accounting items are copied (AccountingItem.source); manual sales have no items.
ITEM_SOURCES = ("qbo", "xero")
ITEM_TYPES = ("Inventory", "NonInventory", "Service", "Group", "Category")
# Lines of these item types carry goods: unlinked, they block the document.
STOCK_LIKE_ITEM_TYPES = ("Inventory", "NonInventory")


class AccountingItem(db.Model):
    """An item of a connected accounting system: a QBO Item (source "qbo") or a Xero Item ("xero")."""

    __tablename__ = "accounting_items"
    # One item of each channel per product: (source, product_id) is unique, product_id alone is not.
    __table_args__ = (UniqueConstraint("source", "external_id"), UniqueConstraint("source", "product_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="qbo")
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(100))
    item_type: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    not_tracked: Mapped[bool] = mapped_column(default=False)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    product: Mapped[Product | None] = relationship(back_populates="accounting_items")

    @property
    def channel_name(self) -> str:
        return CHANNEL_NAMES.get(self.source, self.source)

    @property
    def is_stock_like(self) -> bool:
        return self.item_type in STOCK_LIKE_ITEM_TYPES

    @property
    def blocks_sales(self) -> bool:
        return self.is_stock_like and self.product_id is None and not self.not_tracked


# The product lookups every feature's forms use (the lot, sale, item and product pages); here, below
# those features, so none of them imports another for its product list.


def get_product(session: AnySession, product_id: int) -> Product | None:
    return session.get(Product, product_id)


def all_products_for_choice(session: AnySession, *, finished_goods_only: bool = False, include_archived: bool = False) -> list[Product]:
    query = select(Product).order_by(Product.name)
    if not include_archived:
        query = query.where(Product.active.is_(True))
    if finished_goods_only:
        query = query.where(Product.type == "finished_good")
    return list(session.scalars(query))
