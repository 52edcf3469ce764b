"""The sync service: read the source, apply each document in its own transaction, summarize.

No Flask here: the Sync Now button and `partsemble sync` call the same functions.
"""
