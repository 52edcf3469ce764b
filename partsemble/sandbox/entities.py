"""Which QBO entities the sandbox knows, and how their names and ids are spelled."""

from __future__ import annotations

TRANSACTIONS = ("Invoice", "SalesReceipt", "CreditMemo")
NAME_LISTS = ("Item", "Customer")
ENTITIES = TRANSACTIONS + NAME_LISTS

# Transactions share one id sequence in QBO; name lists have their own.
SEQUENCES = {"Invoice": "Txn", "SalesReceipt": "Txn", "CreditMemo": "Txn", "Item": "Item", "Customer": "Customer"}

# `/v3/company/<realm>/<name>/<id>` spells the entity in lower case.
BY_PATH_NAME = {entity.lower(): entity for entity in ENTITIES}
_BY_ANY_CASE = {entity.lower(): entity for entity in ENTITIES}

# Each kind of document numbers itself from its own start, like a real company's books.
DOC_NUMBER_START = {"Invoice": 1001, "SalesReceipt": 5001, "CreditMemo": 9001}

ITEM_TYPES = ("Inventory", "NonInventory", "Service", "Group", "Category")


def canonical(name: str) -> str | None:
    """The entity's proper spelling for a name in any letter case, else None."""
    return _BY_ANY_CASE.get(name.strip().lower())


def is_transaction(entity: str) -> bool:
    return entity in TRANSACTIONS
