"""The closed period: "costs are final through DATE"."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ScalarResult, select, union

from partsemble.costing.facts import AnySession
from partsemble.costing.recost import RecostCause, recost_product
from partsemble.models.base import utcnow
from partsemble.models.inventory import Lot
from partsemble.models.sales import SaleLine
from partsemble.models.settings import BookSettings
from partsemble.models.transactions import write_transaction


def set_costs_final_through(session: AnySession, day: date | None, user_id: int | None) -> int:
    """Close the books through `day` (None opens them), and commit.

    Moving the date earlier or clearing it lets the reopened sales follow the dates again:
    every product is re-costed. Returns how many sales' cost changed.
    """
    with write_transaction(session):
        settings = session.get(BookSettings, 1, with_for_update=True)
        if settings is None:
            settings = BookSettings(id=1)
            session.add(settings)
        before = settings.costs_final_through
        settings.costs_final_through = day
        settings.updated_at = utcnow()
        settings.updated_by_id = user_id
        session.flush()
        recosted: set[int] = set()
        if before is not None and (day is None or day < before):
            cause = RecostCause(f"the closed period now ends {day.isoformat() if day else 'nowhere'} (was {before.isoformat()})", user_id)
            products: ScalarResult[int] = session.scalars(
                union(select(Lot.product_id), select(SaleLine.product_id).where(SaleLine.product_id.is_not(None)))
            )
            for product_id in sorted(products):
                recosted |= recost_product(session, product_id, day, cause)
    return len(recosted)
