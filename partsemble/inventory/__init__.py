"""Lots and the stock ledger. Only this package writes lots and stock transactions."""
