"""The sandbox's Xero face: the same demo company answering Xero's identity and accounting APIs
(shared/XERO.md), under /sandbox/xero/.

Each document lives in one system (its `system` column: "qbo", the default, or "xero"); the
QBO face shows QBO's, this face Xero's, rendered from the same stored payload (render). Items
are shared. See oauth (identity endpoints), api (accounting endpoints), metering (401/403/429
and faults), limits (60 a minute, 5,000 a day per organisation), controls (moving documents,
statuses, tokens for tests).
"""
