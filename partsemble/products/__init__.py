"""Products: the catalog of what the business makes and sells."""
