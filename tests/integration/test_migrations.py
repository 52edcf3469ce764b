"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from partsemble.extensions import db


def test_models_and_migrations_agree(app) -> None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_constraint_names_follow_the_naming_convention(app) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    inspector = inspect(db.engine)
    uniques = {u["name"] for u in inspector.get_unique_constraints("lots")}
    assert "uq_lots_product_id_lot_number" in uniques
    fks = {fk["name"] for fk in inspector.get_foreign_keys("lots")}
    assert "fk_lots_product_id_products" in fks
