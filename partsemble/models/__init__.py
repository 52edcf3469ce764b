"""SQLAlchemy models, one module per area; `registry` imports them all."""
