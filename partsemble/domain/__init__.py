"""Pure rules: FIFO allocation, money, costing. No Flask, no SQLAlchemy, no I/O."""
