"""The QuickBooks Online connection: OAuth, tokens encrypted at rest, refresh, the source."""
