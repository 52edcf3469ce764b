"""Accounting items: the local copy of QBO's item list and its links to products."""
