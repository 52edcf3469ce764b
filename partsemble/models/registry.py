"""Every model imported in one place, so Alembic and the app see one complete metadata."""

from partsemble.models.accounts import LoginFailure, User
from partsemble.models.catalog import AccountingItem, Product
from partsemble.models.inventory import Lot, StockTransaction
from partsemble.models.sales import LotConsumption, Sale, SaleLine, SaleRevision
from partsemble.models.settings import BookSettings
from partsemble.models.sync import Connection, FailedDocument, SyncError, SyncInbox, SyncLock, SyncRun

__all__ = [
    "AccountingItem",
    "BookSettings",
    "Connection",
    "FailedDocument",
    "LoginFailure",
    "Lot",
    "LotConsumption",
    "Product",
    "Sale",
    "SaleLine",
    "SaleRevision",
    "StockTransaction",
    "SyncError",
    "SyncInbox",
    "SyncLock",
    "SyncRun",
    "User",
]
