"""Sales (synced documents and manual sales), their lines, lot draws and history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partsemble.models.base import Money, Quantity, ScaledDecimal, UnitCost, UTCDateTime, db, utcnow

if TYPE_CHECKING:
    from partsemble.models.catalog import Product
    from partsemble.models.inventory import Lot

SALE_SOURCES = ("qbo", "xero", "manual")
# Each source is a sales channel; its name as people read it.
CHANNEL_NAMES = {"qbo": "QuickBooks", "xero": "Xero", "manual": "Manual"}
SALE_TYPES = ("Invoice", "SalesReceipt", "CreditMemo", "ManualSale")
SALE_TYPE_LABELS = {
    "Invoice": "Invoice",
    "SalesReceipt": "Sales receipt",
    "CreditMemo": "Credit memo",
    "ManualSale": "Manual",
}
# What Xero calls the documents that become a sales receipt and a credit memo (connectors/xero/kinds.py).
XERO_TYPE_LABELS = {"SalesReceipt": "Receive Money", "CreditMemo": "Credit note"}
SALE_STATUSES = ("active", "voided", "deleted")


def document_name(external_type: str, number: str) -> str:
    """A document as the costing's notes and messages name it: "Credit memo 1001"."""
    return f"{SALE_TYPE_LABELS.get(external_type, external_type)} {number}".strip()


def document_label(source: str, external_type: str) -> str:
    """A document type in the words of the system it came from: a Xero credit note, a QuickBooks credit memo."""
    if source == "xero" and external_type in XERO_TYPE_LABELS:
        return XERO_TYPE_LABELS[external_type]
    return SALE_TYPE_LABELS.get(external_type, external_type)


LINE_KINDS = ("tracked", "return", "price_adjustment", "skipped")


class Sale(db.Model):
    __tablename__ = "sales"
    __table_args__ = (
        UniqueConstraint("source", "external_type", "external_id"),
        CheckConstraint("status IN ('active', 'voided', 'deleted')", name="status"),
        Index("ix_sales_txn_date_id", "txn_date", "id"),
        Index("ix_sales_status_txn_date", "status", "txn_date"),
        Index("ix_sales_customer_name", "customer_name"),
        Index("ix_sales_customer_ref_txn_date", "customer_ref", "txn_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    external_type: Mapped[str] = mapped_column(String(24))
    external_id: Mapped[str] = mapped_column(String(64))
    # The upstream version applied (QBO SyncToken); manual sales count their edits.
    version: Mapped[str] = mapped_column(String(32))
    doc_number: Mapped[str] = mapped_column(String(64), default="")
    customer_ref: Mapped[str] = mapped_column(String(64), default="")
    customer_name: Mapped[str] = mapped_column(String(255), default="")
    txn_date: Mapped[date] = mapped_column(Date)
    source_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    currency: Mapped[str] = mapped_column(String(3), default="")
    exchange_rate: Mapped[Decimal] = mapped_column(ScaledDecimal(8), default=Decimal(1))
    status: Mapped[str] = mapped_column(String(16), default="active")
    revenue: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    margin: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    # Revenue, cost and margin count the tracked lines only; this is every item line less discounts
    # (home currency, tax excluded, negative for a credit memo), shown beside them for reference.
    document_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0), server_default=text("0"))
    shortage: Mapped[bool] = mapped_column(default=False)
    no_cost_basis: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_sync_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    lines: Mapped[list[SaleLine]] = relationship(back_populates="sale", cascade="all, delete-orphan", order_by="SaleLine.position")
    revisions: Mapped[list[SaleRevision]] = relationship(back_populates="sale", cascade="all, delete-orphan", order_by="SaleRevision.id")

    @property
    def type_label(self) -> str:
        return document_label(self.source, self.external_type)

    @property
    def channel_name(self) -> str:
        return CHANNEL_NAMES.get(self.source, self.source)

    @property
    def is_credit(self) -> bool:
        return self.external_type == "CreditMemo"

    @property
    def counts(self) -> bool:
        """Voided and deleted sales stay visible but count in no total."""
        return self.status == "active"

    @property
    def tracked_lines(self) -> list[SaleLine]:
        """Lines that move stock or money: sales, returns and price adjustments."""
        return [line for line in self.lines if line.kind != "skipped"]

    @property
    def skipped_lines(self) -> list[SaleLine]:
        """Lines shown for reference: they have no effect on stock or margin."""
        return [line for line in self.lines if line.kind == "skipped"]


class SaleLine(db.Model):
    __tablename__ = "sale_lines"
    __table_args__ = (
        CheckConstraint("kind IN ('tracked', 'return', 'price_adjustment', 'skipped')", name="kind"),
        Index("ix_sale_lines_product_id_sale_id", "product_id", "sale_id"),
        # Lines costed partly at average (lots ran out) or at zero: the provisional figures.
        Index(
            "ix_sale_lines_provisional",
            "product_id",
            "sale_id",
            sqlite_where=text("shortage_quantity > 0 OR no_cost_basis IS 1"),
            postgresql_where=text("shortage_quantity > 0 OR no_cost_basis IS true"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    skip_reason: Mapped[str] = mapped_column(String(200), default="")
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    item_external_id: Mapped[str] = mapped_column(String(64), default="")
    item_name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    unit_price: Mapped[Decimal] = mapped_column(UnitCost(), default=Decimal(0))
    # Line amount in the home currency before its share of document discounts.
    amount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    discount: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    revenue: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    margin: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    shortage_quantity: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    shortage_unit_cost: Mapped[Decimal] = mapped_column(UnitCost(), default=Decimal(0))
    shortage_cost: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    no_cost_basis: Mapped[bool] = mapped_column(default=False)
    return_lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"))

    sale: Mapped[Sale] = relationship(back_populates="lines")
    product: Mapped[Product | None] = relationship()
    return_lot: Mapped[Lot | None] = relationship(foreign_keys=[return_lot_id])
    consumptions: Mapped[list[LotConsumption]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="LotConsumption.id"
    )

    @property
    def document_amount(self) -> Decimal:
        """The line's amount less its discount share, signed as revenue (negative on a credit memo):
        what a skipped line adds to the document total without being revenue."""
        net = self.amount - self.discount
        return -net if self.sale.is_credit else net

    @property
    def draws_cost(self) -> Decimal:
        return sum((c.quantity * c.unit_cost for c in self.consumptions), Decimal(0))


class LotConsumption(db.Model):
    """One draw of a sale line from one lot: the source of truth for cost and reversal."""

    __tablename__ = "lot_consumptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_line_id: Mapped[int] = mapped_column(ForeignKey("sale_lines.id", ondelete="CASCADE"), index=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost())
    # Covered an open shortfall when the lot arrived after the sale (settlement).
    settled: Mapped[bool] = mapped_column(default=False, server_default=false())

    line: Mapped[SaleLine] = relationship(back_populates="consumptions")
    lot: Mapped[Lot] = relationship()


class SaleRevision(db.Model):
    """One version of a sale as applied: what changed and when."""

    __tablename__ = "sale_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, default="")
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sync_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    sale: Mapped[Sale] = relationship(back_populates="revisions")
