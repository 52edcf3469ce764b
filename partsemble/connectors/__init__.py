"""Accounting-system connectors: typed records out, no database, no Flask."""
