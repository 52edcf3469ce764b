"""Which lots may be voided: only an untouched one (SPEC), a lot entered by mistake.

Anything on the lot's ledger besides its receipt (a sale's draw, a settlement or
re-cost, an adjustment) is a fact that voiding would silently rewrite.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from partsemble.models.inventory import SALE_MOVES, Lot, StockTransaction


def void_refusal(session: Session | scoped_session[Session], lot: Lot | None, closed_through: date | None) -> str | None:
    """Why this lot cannot be voided, in words for the person asking; None when it can."""
    if lot is None:
        return "No such lot."
    if lot.status == "voided":
        return "This lot is already voided."
    if lot.source == "return":
        return "Return lots belong to their credit memo; void the credit memo instead."
    touched = set(
        session.scalars(
            select(StockTransaction.type).where(StockTransaction.lot_id == lot.id, StockTransaction.type != "RECEIVE").distinct()
        )
    )
    if touched & set(SALE_MOVES):
        return "Sales have drawn from this lot, so it cannot be voided. Adjust it instead."
    if "LOT_ADJUSTMENT" in touched:
        left = f"{lot.quantity_remaining.normalize():f}"
        return (
            f"This lot was adjusted, so it is no longer untouched and cannot be voided. To take its remaining "
            f"{left} units out of stock, adjust it by -{left} instead."
        )
    if touched:
        return "This lot has stock movements besides its receipt, so it cannot be voided. Adjust it instead."
    if closed_through is not None and lot.received_date <= closed_through:
        return f"This lot was received in the closed period (costs are final through {closed_through.isoformat()}); it cannot be voided."
    return None
