"""Lot numbers already taken, per product, read once; free numbers suggested in amortized constant time.

An import of 50,000 lots asked the database twice per row which numbers were taken
(`LIKE 'base-%'`) and walked `-2, -3, ...` from the start each time: quadratic. Here
the numbers of the products in hand are read in one query, and each base remembers
the next suffix to try, so a file of n rows costs O(n) lookups in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from partsemble.models.inventory import Lot

T = TypeVar("T")

# Below SQLite's oldest limit of bound variables (999), so any build accepts an IN list this long.
IN_CHUNK = 900


def chunks(values: Iterable[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """The values in lists of at most `size`, for IN lists of bounded length."""
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class TakenLotNumbers:
    """The lot numbers of some products: what exists, plus what this import has claimed."""

    def __init__(self, taken: Iterable[tuple[int, str]] = ()) -> None:
        self._taken: defaultdict[int, set[str]] = defaultdict(set)
        self._next_suffix: dict[tuple[int, str], int] = {}
        for product_id, number in taken:
            self._taken[product_id].add(number)

    @classmethod
    def read(cls, session: Session | scoped_session[Session], product_ids: Sequence[int]) -> TakenLotNumbers:
        """Every lot number of these products, in one query per 900 products."""
        pairs: list[tuple[int, str]] = []
        for batch in chunks(sorted(set(product_ids))):
            pairs.extend(session.execute(select(Lot.product_id, Lot.lot_number).where(Lot.product_id.in_(batch))).tuples())
        return cls(pairs)

    def is_taken(self, product_id: int, number: str) -> bool:
        return number in self._taken[product_id]

    def claim(self, product_id: int, number: str) -> None:
        """Mark a number as used by this import.

        Raises:
            ValueError: the number is already taken (callers check first, to word the message).
        """
        numbers = self._taken[product_id]
        if number in numbers:
            raise ValueError(f"lot number {number!r} is already taken for product {product_id}")
        numbers.add(number)

    def suggest(self, product_id: int, base: str) -> str:
        """`base` when free, else the first free `base-2`, `base-3`, ... (not claimed: call claim)."""
        numbers = self._taken[product_id]
        if base not in numbers:
            return base
        # Suffixes below the remembered one were taken when last asked and numbers are never
        # released during an import, so the search resumes there: each suffix is tried once.
        n = self._next_suffix.get((product_id, base), 2)
        while f"{base}-{n}" in numbers:
            n += 1
        self._next_suffix[(product_id, base)] = n
        return f"{base}-{n}"
