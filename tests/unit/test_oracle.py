"""The reference costing (tests/oracle.py) on SPEC.md's own examples, worked out by hand."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from tests.oracle import Adjustment, Document, Line, Receipt, cost

D = Decimal
T = datetime(2026, 1, 1, tzinfo=timezone.utc)


def day(n: int) -> date:
    return date(2026, 1, n)


def lot(name: str, on: int, qty: str, unit: str, lot_id: int) -> Receipt:
    return Receipt(name, "A", day(on), D(qty), D(unit), lot_id)


def sale(key: str, on: int, *units: str, credit: bool = False, customer: str = "C1") -> Document:
    return Document(
        key,
        day(on),
        T,
        (int(key.strip("cm")),),
        customer,
        "",
        credit,
        tuple(Line(i, "A", -D(u) if credit else D(u)) for i, u in enumerate(units, start=1)),
    )


def draws(result, key: str) -> dict[tuple[str, bool], Decimal]:  # type: ignore[no-untyped-def]
    return result.lines[(key, 1)].draws


def test_the_worked_example_costs_7340_from_the_two_oldest_lots() -> None:
    result = cost([lot("L1", 1, "20", "145", 1), lot("L2", 2, "30", "148", 2), lot("L3", 3, "25", "152", 3)], [], [sale("1", 10, "50")])
    assert result.sale_cost("1") == D(7340)
    assert result.balances == {"L1": 0, "L2": 0, "L3": 25} and result.stock("A") == 25


def test_same_day_lots_lowest_id_first_and_none_received_after_the_sale() -> None:
    result = cost([lot("LATE", 9, "5", "1", 1), lot("B", 2, "5", "4", 3), lot("A", 2, "5", "3", 2)], [], [sale("1", 5, "7")])
    # A (id 2) before B (id 3); LATE arrives after the sale and settles the rest at its own cost.
    assert draws(result, "1") == {("A", False): 5, ("B", False): 2}
    assert result.balances == {"A": 0, "B": 3, "LATE": 5}


def test_a_shortfall_takes_the_active_lots_average_then_all_lots_then_zero() -> None:
    lots = [lot("OLD", 1, "10", "1", 1), lot("MID", 2, "10", "2", 2), lot("NEW", 3, "10", "8", 3)]
    result = cost(lots, [], [sale("1", 10, "18"), sale("2", 11, "14"), sale("3", 12, "1")])
    second, third = result.lines[("2", 1)], result.lines[("3", 1)]
    assert (second.shortfall, second.shortfall_unit_cost, result.sale_cost("2")) == (2, D(7), D(98))
    # Nothing active is left: the average of every lot received, (10 + 20 + 80) / 30.
    assert (third.shortfall, third.shortfall_unit_cost, third.no_cost_basis) == (1, D("3.666667"), False)
    nothing = cost([], [], [sale("1", 1, "3")]).lines[("1", 1)]
    assert (nothing.shortfall, nothing.shortfall_unit_cost, nothing.no_cost_basis) == (3, 0, True)
    assert cost([], [], [sale("1", 1, "3")]).stock("A") == -3


def test_open_shortfalls_are_settled_oldest_sale_first_by_the_next_lots() -> None:
    result = cost([lot("L", 10, "4", "5", 1), lot("M", 12, "10", "6", 2)], [], [sale("1", 5, "3"), sale("2", 6, "2")])
    assert draws(result, "1") == {("L", True): 3}
    assert draws(result, "2") == {("L", True): 1, ("M", True): 1}
    assert (result.sale_cost("1"), result.sale_cost("2")) == (D(15), D(11))
    assert result.lines[("1", 1)].no_cost_basis is False and result.stock("A") == 9


def test_a_return_comes_back_at_the_latest_earlier_sale_to_that_customer_else_the_average() -> None:
    lots = [lot("A", 1, "10", "2", 1), lot("B", 2, "10", "5", 2)]
    documents = [sale("1", 3, "10"), sale("2", 10, "3"), sale("cm9", 5, "1", credit=True), sale("cm8", 6, "1", credit=True, customer="C2")]
    result = cost(lots, [], documents)
    # Customer C1 bought at 2 on Jan 3; the Jan 10 sale is after the memo. C2 never bought: the
    # average of what is on hand then, (10 x 5 + 1 x 2) / 11.
    assert result.lines[("cm9", 1)].return_unit_cost == D(2) and result.sale_cost("cm9") == D(-2)
    assert result.lines[("cm8", 1)].return_unit_cost == D("4.727273")
    assert draws(result, "2") == {("B", False): 3}  # B (Jan 2) is older than the returns (Jan 5, 6)


def test_adjustments_add_stock_that_settles_and_remove_units_earlier_sales_may_not_draw() -> None:
    lots = [lot("A", 1, "10", "2", 1), lot("B", 2, "10", "3", 2)]
    result = cost(lots, [Adjustment("A", day(10), D(-5), 1), Adjustment("B", day(20), D(4), 2)], [sale("1", 5, "8"), sale("2", 12, "12")])
    assert draws(result, "1") == {("A", False): 5, ("B", False): 3}  # 5 of A are lost on Jan 10
    assert draws(result, "2") == {("B", False): 7, ("B", True): 4}  # 5 short, 4 of them found on Jan 20
    assert result.lines[("2", 1)].shortfall == 1
    assert result.balances == {"A": 0, "B": 0} and result.stock("A") == -1
