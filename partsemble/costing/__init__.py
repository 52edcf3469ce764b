"""Costing: every fact that moves stock is costed in date order. The one way in for services.

- Sales documents (synced or manual): `apply_document`, `apply_removal`, or `apply` with a shared
  `SalesWriter` for a batch (the sync); `SalesWriter.finish` re-costs what landed out of order.
- Lots, adjustments and voids: through a `LotBook`, then `recost_stale` before committing.
- The closed period: `costs_final_through`, `set_costs_final_through`.

Underneath: the lot book (the one writer of lots and the stock ledger), reversal, returns, the
date order of a transaction's facts (`order`), and re-costing a product to its replay
(`recost`, the pure rule being partsemble.domain.replay). Nothing here commits except
`set_costs_final_through`, a use case of its own.
"""

from __future__ import annotations

from partsemble.costing.apply import ApplyContext, ExistingSale, Outcome, apply, apply_document, apply_removal
from partsemble.costing.book import LotBook, Posting
from partsemble.costing.closing import set_costs_final_through
from partsemble.costing.recost import costs_final_through, recost_stale
from partsemble.costing.writer import SalesWriter

__all__ = [
    "ApplyContext",
    "ExistingSale",
    "LotBook",
    "Outcome",
    "Posting",
    "SalesWriter",
    "apply",
    "apply_document",
    "apply_removal",
    "costs_final_through",
    "recost_stale",
    "set_costs_final_through",
]
