"""First in, first out: which lots a sale draws from, and the cost of a shortfall."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from partsemble.domain.money import QTY, UNIT_COST, ZERO


@dataclass(frozen=True)
class LotBalance:
    """What FIFO needs to know of one lot."""

    lot_id: int
    received_date: date
    remaining: Decimal
    unit_cost: Decimal


@dataclass(frozen=True)
class Draw:
    lot_id: int
    quantity: Decimal
    unit_cost: Decimal

    @property
    def cost(self) -> Decimal:
        return self.quantity * self.unit_cost


@dataclass(frozen=True)
class Allocation:
    draws: tuple[Draw, ...]
    shortfall: Decimal

    @property
    def drawn(self) -> Decimal:
        return sum((d.quantity for d in self.draws), ZERO)

    @property
    def draws_cost(self) -> Decimal:
        return sum((d.cost for d in self.draws), ZERO)


def fifo_order(lots: Iterable[LotBalance]) -> list[LotBalance]:
    """Oldest first by received date, then by lot id."""
    return sorted(lots, key=lambda lot: (lot.received_date, lot.lot_id))


def allocate_fifo(lots: Sequence[LotBalance], quantity: Decimal) -> Allocation:
    """Draw `quantity` from the lots, oldest first; what they cannot cover is the shortfall.

    Lots with nothing remaining are passed over. Quantities are exact to 4 places.

    Raises:
        ValueError: if quantity is negative or a lot's remaining quantity is negative.
    """
    return allocate_in_order(fifo_order(lots), quantity)


def allocate_in_order(lots: Sequence[LotBalance], quantity: Decimal) -> Allocation:
    """Draw `quantity` from the lots in the order given (the caller ordered them oldest first).

    Raises:
        ValueError: if quantity is negative or a lot's remaining quantity is negative.
    """
    if quantity < 0:
        raise ValueError(f"cannot allocate a negative quantity ({quantity})")
    needed = quantity.quantize(QTY, rounding=ROUND_HALF_UP)
    draws: list[Draw] = []
    for lot in lots:
        if needed == 0:
            break
        if lot.remaining < 0:
            raise ValueError(f"lot {lot.lot_id} has a negative remaining quantity")
        if lot.remaining == 0:
            continue
        take = min(lot.remaining, needed)
        draws.append(Draw(lot.lot_id, take, lot.unit_cost))
        needed -= take
    return Allocation(tuple(draws), needed)


def weighted_average_cost(holdings: Iterable[tuple[Decimal, Decimal]]) -> Decimal | None:
    """Average unit cost of (quantity, unit cost) pairs, to 6 places; None without quantity."""
    total_qty = ZERO
    total_value = ZERO
    for quantity, cost in holdings:
        if quantity <= 0:
            continue
        total_qty += quantity
        total_value += quantity * cost
    if total_qty == 0:
        return None
    return (total_value / total_qty).quantize(UNIT_COST, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class ShortfallCost:
    unit_cost: Decimal
    no_cost_basis: bool


def shortfall_unit_cost(active_average: Decimal | None, historic_average: Decimal | None) -> ShortfallCost:
    """The unit cost of units sold beyond the lots: active lots' average, else all lots', else 0."""
    if active_average is not None:
        return ShortfallCost(active_average, False)
    if historic_average is not None:
        return ShortfallCost(historic_average, False)
    return ShortfallCost(ZERO, True)
