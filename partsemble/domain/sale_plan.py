"""What a sales document means for stock and money, line by line. Pure rules.

A document becomes a plan: each line is tracked (goods leave stock), a return
(goods come back), a price adjustment (money only), or skipped (no stock, no
revenue: it does not affect inventory or margins), with revenue in the home
currency after its share of document discounts. The document total (every item
line less discounts, tax excluded) is kept for reference. A document that
cannot be costed is rejected with a reason a user can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from partsemble.domain.documents import DocumentLine, LineKind, SalesDocument
from partsemble.domain.money import ZERO, money, qty, unit_cost

STOCK_LIKE = ("Inventory", "NonInventory")
# What one line may carry: far beyond a small manufacturer's invoice, well inside the columns.
MAX_LINE_QUANTITY = Decimal(10) ** 6
MAX_LINE_AMOUNT = Decimal(10) ** 10


@dataclass(frozen=True)
class ItemLink:
    """What the local item list says about one accounting item."""

    item_id: str
    name: str
    item_type: str  # Inventory, NonInventory, Service, Group, Category
    product_id: int | None = None
    product_type: str | None = None
    product_name: str = ""
    not_tracked: bool = False


class DocumentRejected(Exception):
    """The document cannot be applied; nothing of it is. `code` is stable for scripts."""

    def __init__(self, code: str, message: str, *, item_id: str = "", item_name: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.item_id = item_id
        self.item_name = item_name


@dataclass(frozen=True)
class PlannedLine:
    position: int
    kind: str  # tracked, return, price_adjustment, skipped
    skip_reason: str
    product_id: int | None
    item_id: str
    item_name: str
    description: str
    quantity: Decimal  # as on the document
    unit_price: Decimal  # home currency
    amount: Decimal  # home currency, before discount
    discount: Decimal  # home currency share of document discounts
    revenue: Decimal  # home currency, negative on credits; zero on skipped lines
    # Units leaving stock (negative: coming back). Zero for skipped lines and price adjustments.
    stock_out: Decimal


@dataclass(frozen=True)
class DocumentPlan:
    lines: tuple[PlannedLine, ...]
    # Every item line less its share of discounts, home currency, signed as revenue: for reference only.
    document_total: Decimal = ZERO

    @property
    def revenue(self) -> Decimal:
        """The tracked lines' revenue (sales, returns, price adjustments): skipped lines carry none."""
        return sum((line.revenue for line in self.lines), ZERO)


def share_discount(amounts: list[Decimal], discount: Decimal) -> list[Decimal]:
    """Split a discount over lines pro rata by amount; the shares add up exactly.

    Lines with no positive amount get nothing; the last sharing line takes the rounding rest.
    """
    base = sum((a for a in amounts if a > 0), ZERO)
    if discount == 0 or base == 0:
        return [ZERO for _ in amounts]
    shares = [money(discount * a / base) if a > 0 else ZERO for a in amounts]
    last = max(i for i, a in enumerate(amounts) if a > 0)
    shares[last] += discount - sum(shares, ZERO)
    return shares


def _classify(line: DocumentLine, link: ItemLink | None) -> tuple[str, str, int | None]:
    """(kind-if-stock-moves, skip reason, product id) for an item line."""
    if line.item_id is None:
        return "skipped", "No item on this line", None
    if link is None:
        raise DocumentRejected(
            "item_unknown",
            f"Item '{line.item_name or line.item_id}' (Id {line.item_id}) is not in the item list; refresh the accounting items.",
            item_id=line.item_id,
            item_name=line.item_name,
        )
    if link.product_id is not None:
        if link.product_type == "finished_good":
            return "stock", "", link.product_id
        kind = (link.product_type or "").replace("_", " ")
        return "skipped", f"Linked to {link.product_name or 'a product'} ({kind}): only finished goods are costed", link.product_id
    if link.not_tracked:
        return "skipped", "Item marked not tracked", None
    if link.item_type in STOCK_LIKE:
        raise DocumentRejected(
            "item_not_linked",
            f"Item '{link.name}' is not linked to a product",
            item_id=link.item_id,
            item_name=link.name,
        )
    return "skipped", f"{link.item_type} item: not stock", None


def plan_document(doc: SalesDocument, items: Mapping[str, ItemLink], *, restock_returns: bool = True) -> DocumentPlan:
    """Turn a document into a costing plan.

    Raises:
        DocumentRejected: an unlinked stock item, an unknown item, or a tracked line of an invoice or sales receipt
            with an amount but no quantity.
    """
    sign = Decimal(-1) if doc.type.is_credit else Decimal(1)
    rate = doc.exchange_rate
    item_lines = [line for line in doc.lines if line.kind is LineKind.ITEM]
    discount_total = sum((d.amount for d in doc.discounts), ZERO)
    shares = dict(zip((id(l) for l in item_lines), share_discount([l.amount for l in item_lines], discount_total)))
    planned: list[PlannedLine] = []
    document_total = ZERO
    position = 0
    for line in doc.lines:
        if line.kind is LineKind.SUBTOTAL:
            continue  # derived from the other lines
        position += 1
        if line.kind is not LineKind.ITEM:
            reason = "Description only" if line.kind is LineKind.DESCRIPTION else "Line kind not used for costing"
            planned.append(_skipped(position, line, reason, None, rate))
            continue
        kind, reason, product_id = _classify(line, items.get(line.item_id) if line.item_id else None)
        share = shares[id(line)]
        amount = money(line.amount * rate)
        if abs(amount) > MAX_LINE_AMOUNT or abs(line.quantity or ZERO) > MAX_LINE_QUANTITY:
            raise DocumentRejected(
                "too_large",
                f"Line {position} ({line.item_name or line.description[:40]}) is too large to cost: at most "
                f"{MAX_LINE_QUANTITY:,} units and {MAX_LINE_AMOUNT:,} in the home currency a line.",
                item_id=line.item_id or "",
                item_name=line.item_name,
            )
        discount = money(share * rate)
        revenue = money((line.amount - share) * rate * sign)
        document_total += revenue
        price = unit_cost((line.unit_price or ZERO) * rate)
        if kind == "skipped":
            # Shown with its amount and discount share, but no revenue: it does not affect margins.
            planned.append(
                PlannedLine(
                    position,
                    "skipped",
                    reason,
                    product_id,
                    line.item_id or "",
                    line.item_name,
                    line.description,
                    qty(line.quantity or ZERO),
                    price,
                    amount,
                    discount,
                    ZERO,
                    ZERO,
                )
            )
            continue
        if line.quantity is None:
            if line.amount == 0:
                planned.append(_skipped(position, line, "No quantity and no amount", product_id, rate))
                continue
            if doc.type.is_credit:
                # QBO omits Qty on a credit given as an amount: a price adjustment, money only, like quantity zero.
                planned.append(
                    PlannedLine(
                        position,
                        "price_adjustment",
                        "",
                        product_id,
                        line.item_id or "",
                        line.item_name,
                        line.description,
                        ZERO,
                        price,
                        amount,
                        discount,
                        revenue,
                        ZERO,
                    )
                )
                continue
            raise DocumentRejected(
                "missing_quantity",
                f"Line {position} ({line.item_name}) has an amount but no quantity; enter the quantity in the accounting system.",
                item_id=line.item_id or "",
                item_name=line.item_name,
            )
        quantity = qty(line.quantity)
        stock_out = quantity * sign
        if stock_out > 0:
            line_kind = "tracked"
        elif stock_out < 0:
            line_kind = "return"
            if not restock_returns:
                stock_out = ZERO  # the goods do not come back into stock
        else:
            line_kind = "price_adjustment"
        planned.append(
            PlannedLine(
                position,
                line_kind,
                "" if restock_returns or line_kind != "return" else "Not restocked (setting)",
                product_id,
                line.item_id or "",
                line.item_name,
                line.description,
                quantity,
                price,
                amount,
                discount,
                revenue,
                stock_out,
            )
        )
    return DocumentPlan(tuple(planned), document_total)


def _skipped(position: int, line: DocumentLine, reason: str, product_id: int | None, rate: Decimal) -> PlannedLine:
    return PlannedLine(
        position,
        "skipped",
        reason,
        product_id,
        line.item_id or "",
        line.item_name,
        line.description,
        qty(line.quantity or ZERO),
        ZERO,
        money(line.amount * rate),
        ZERO,
        ZERO,
        ZERO,
    )


def _would_be_tracked(line: DocumentLine, link: ItemLink | None) -> bool:
    """A line that counts in revenue once its document can be applied: its item is a finished good, or
    it is what holds the document back (an item not in the list, or a stock item linked to nothing)."""
    if line.item_id is None:
        return False
    if link is None:
        return True
    if link.product_id is not None:
        return link.product_type == "finished_good"
    return not link.not_tracked and link.item_type in STOCK_LIKE


def waiting_revenue(doc: SalesDocument, items: Mapping[str, ItemLink]) -> Decimal:
    """The revenue a document that failed would add once it applies: its tracked lines (and those waiting for
    their item to be linked) less their share of the discounts, home currency, negative for a credit memo."""
    sign = Decimal(-1) if doc.type.is_credit else Decimal(1)
    item_lines = [line for line in doc.lines if line.kind is LineKind.ITEM]
    shares = share_discount([line.amount for line in item_lines], sum((d.amount for d in doc.discounts), ZERO))
    return sum(
        (
            money((line.amount - share) * doc.exchange_rate * sign)
            for line, share in zip(item_lines, shares)
            if _would_be_tracked(line, items.get(line.item_id) if line.item_id else None)
        ),
        ZERO,
    )


def item_ids(doc: SalesDocument) -> set[str]:
    return {line.item_id for line in doc.lines if line.kind is LineKind.ITEM and line.item_id}
