"""What the demo company's documents should give, read from their QuickBooks JSON alone (no engine code)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tests import oracle

# The demo's links from sandbox items to finished goods (partsemble.demo.SANDBOX_ITEM_LINKS, written
# out again here): every other item is a skipped line, and item 9 (a bundle) is expanded.
FINISHED_GOOD_ITEMS = {"1": "CND-LAV-8", "2": "CND-CED-8", "3": "CND-CIT-16", "5": "SOAP-OAT-200", "6": "GIFT-RELAX"}


def expected_from_payloads(payloads: dict[tuple[str, str], dict[str, Any]]) -> tuple[dict[str, Decimal], list[oracle.Document]]:
    """Each document's revenue (its finished-good lines, after their share of document discounts, in the
    home currency) and its stock lines for the reference costing, read from the QuickBooks JSON alone.

    Documents of one date created in the same second (a bulk import) are taken in the order one
    sync applies them: by type, then Id as text.
    """
    revenues: dict[str, Decimal] = {}
    documents = []
    for (entity, doc_id), payload in sorted(payloads.items()):
        items: list[tuple[str, Decimal | None, Decimal]] = []  # item, Qty (absent: None), Amount
        discount = Decimal(0)

        def walk(lines: list[dict[str, Any]]) -> None:
            nonlocal discount
            for entry in lines:
                if "SalesItemLineDetail" in entry:
                    detail = entry["SalesItemLineDetail"]
                    qty = Decimal(str(detail["Qty"])) if "Qty" in detail else None
                    items.append((detail["ItemRef"]["value"], qty, Decimal(str(entry["Amount"]))))  # noqa: B023  (walked within the iteration)
                elif "GroupLineDetail" in entry:
                    walk(entry["GroupLineDetail"]["Line"])
                elif "DiscountLineDetail" in entry:
                    discount += abs(Decimal(str(entry["Amount"])))

        walk(payload["Line"])
        rate = Decimal(str(payload.get("ExchangeRate", 1)))
        sign = Decimal(-1) if entity == "CreditMemo" else Decimal(1)
        base = sum((amount for _, _, amount in items if amount > 0), Decimal(0))
        key = f"{entity}:{doc_id}"
        revenues[key] = sum(
            (
                (amount - (discount * amount / base if amount > 0 else 0)) * rate * sign
                for item, _, amount in items
                if item in FINISHED_GOOD_ITEMS
            ),
            Decimal(0),
        )
        lines = tuple(
            oracle.Line(position, FINISHED_GOOD_ITEMS[item], sign * qty)
            for position, (item, qty, _) in enumerate(items, start=1)
            if item in FINISHED_GOOD_ITEMS and qty
        )
        documents.append(
            oracle.Document(
                key,
                date.fromisoformat(payload["TxnDate"]),
                datetime.fromisoformat(payload["MetaData"]["CreateTime"]),
                (entity, doc_id),
                payload["CustomerRef"]["value"],
                payload["CustomerRef"].get("name", ""),
                entity == "CreditMemo",
                lines,
            )
        )
    return revenues, documents
