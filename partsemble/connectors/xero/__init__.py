"""Xero connector: a SalesSource over Xero's Accounting API 2.0, plus OAuth and the organisation list."""

from partsemble.connectors.transport import TokenProvider, TokenSet
from partsemble.connectors.xero.client import XeroSource, build_source
from partsemble.connectors.xero.http import XeroHttp
from partsemble.connectors.xero.tenants import Tenant, list_tenants

__all__ = ["Tenant", "TokenProvider", "TokenSet", "XeroHttp", "XeroSource", "build_source", "list_tenants"]
