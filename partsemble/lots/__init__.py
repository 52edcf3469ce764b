"""Lot use cases (receive, adjust, void, import), lot pages and `partsemble check`. Lots and the
stock ledger are written through the lot book of partsemble.costing, their only writer."""
