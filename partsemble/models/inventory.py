"""Lots and the append-only stock ledger."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partsemble.models.base import Money, Quantity, UnitCost, UTCDateTime, db, utcnow

if TYPE_CHECKING:
    from partsemble.models.catalog import Product
    from partsemble.models.sales import Sale

LOT_SOURCES = ("receipt", "build", "return", "opening")
LOT_STATUSES = ("active", "exhausted", "voided")
ADJUSTMENT_REASONS = {
    "count_correction": "Count correction",
    "damage": "Damage",
    "loss": "Loss",
    "other": "Other",
}

TXN_TYPES = (
    "RECEIVE",
    "SALE",
    "SALE_REVERSAL",
    "RETURN",
    "RETURN_REVERSAL",
    "LOT_ADJUSTMENT",
    "LOT_VOID",
    # Written when costs follow the dates: units of a sale moved between lots and its
    # shortfall (RECOST), a shortfall covered by a lot that arrived later (SETTLE), and
    # a return lot whose unit cost changed with the sale it came back from (REVALUE).
    "RECOST",
    "SETTLE",
    "REVALUE",
)

# The ledger rows that move a sale's units between lots and its shortfall.
SALE_MOVES = ("SALE", "SALE_REVERSAL", "RECOST", "SETTLE")

_ACTIVE_LOTS = text("quantity_remaining > 0 AND status = 'active'")


class Lot(db.Model):
    __tablename__ = "lots"
    __table_args__ = (
        UniqueConstraint("product_id", "lot_number"),
        CheckConstraint("source IN ('receipt', 'build', 'return', 'opening')", name="source"),
        CheckConstraint("status IN ('active', 'exhausted', 'voided')", name="status"),
        CheckConstraint("quantity_remaining >= 0", name="remaining_not_negative"),
        # FIFO reads only this: the active lots of one product, oldest first.
        Index(
            "ix_lots_fifo",
            "product_id",
            "received_date",
            "id",
            sqlite_where=_ACTIVE_LOTS,
            postgresql_where=_ACTIVE_LOTS,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    lot_number: Mapped[str] = mapped_column(String(80))
    received_date: Mapped[date] = mapped_column(Date)
    quantity_received: Mapped[Decimal] = mapped_column(Quantity())
    quantity_remaining: Mapped[Decimal] = mapped_column(Quantity())
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost())
    source: Mapped[str] = mapped_column(String(16), default="receipt")
    status: Mapped[str] = mapped_column(String(16), default="active")
    note: Mapped[str] = mapped_column(String(500), default="")
    # For return lots: the credit memo that brought the goods back.
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    product: Mapped[Product] = relationship(back_populates="lots")

    @property
    def value_remaining(self) -> Decimal:
        return self.quantity_remaining * self.unit_cost


class StockTransaction(db.Model):
    """One immutable change of stock. Corrections are new rows, never edits."""

    __tablename__ = "stock_transactions"
    __table_args__ = (
        CheckConstraint(
            "type IN ('RECEIVE', 'SALE', 'SALE_REVERSAL', 'RETURN', 'RETURN_REVERSAL', "
            "'LOT_ADJUSTMENT', 'LOT_VOID', 'RECOST', 'SETTLE', 'REVALUE')",
            name="type",
        ),
        Index("ix_stock_transactions_product_id_id", "product_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(24))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost())
    # quantity x unit_cost, signed like quantity.
    value: Mapped[Decimal] = mapped_column(Money())
    business_date: Mapped[date] = mapped_column(Date)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sales.id"), index=True)
    sync_run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id"))
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(500), default="")

    product: Mapped[Product] = relationship()
    lot: Mapped[Lot | None] = relationship()
    sale: Mapped[Sale | None] = relationship(viewonly=True)


class LedgerIsAppendOnly(RuntimeError):
    """Raised when code tries to change or remove a stock transaction."""


@event.listens_for(StockTransaction, "before_update")
def _refuse_update(mapper, connection, target) -> None:  # type: ignore[no-untyped-def]
    raise LedgerIsAppendOnly("stock transactions are never updated; write a correcting row")


@event.listens_for(StockTransaction, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:  # type: ignore[no-untyped-def]
    raise LedgerIsAppendOnly("stock transactions are never deleted; write a correcting row")


# The database refuses changes to the ledger too, whatever code runs against it.
APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER stock_transactions_no_update BEFORE UPDATE ON stock_transactions "
    "BEGIN SELECT RAISE(ABORT, 'stock transactions are append-only'); END",
    "CREATE TRIGGER stock_transactions_no_delete BEFORE DELETE ON stock_transactions "
    "BEGIN SELECT RAISE(ABORT, 'stock transactions are append-only'); END",
]
APPEND_ONLY_POSTGRESQL = [
    "CREATE FUNCTION stock_transactions_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'stock transactions are append-only'; END $$",
    "CREATE TRIGGER stock_transactions_no_change BEFORE UPDATE OR DELETE ON stock_transactions "
    "FOR EACH ROW EXECUTE FUNCTION stock_transactions_append_only()",
]


@event.listens_for(StockTransaction.__table__, "after_create")
def _append_only(target, connection, **kw) -> None:  # type: ignore[no-untyped-def]
    statements = {"sqlite": APPEND_ONLY_SQLITE, "postgresql": APPEND_ONLY_POSTGRESQL}.get(connection.dialect.name, [])
    for statement in statements:
        connection.exec_driver_sql(statement)


@event.listens_for(StockTransaction.__table__, "before_drop")
def _drop_append_only(target, connection, **kw) -> None:  # type: ignore[no-untyped-def]
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS stock_transactions_no_change ON stock_transactions")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS stock_transactions_append_only()")
