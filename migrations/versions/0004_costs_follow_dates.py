"""Costs follow the dates: settled draws, re-costing ledger types, the closed period, and a
one-time re-cost of existing sales to the date-order replay.

Revision ID: 0004_costs_follow_dates
Revises: 0003
Create Date: 2026-12-01 15:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session


# revision identifiers, used by Alembic.
revision = '0004_costs_follow_dates'
down_revision = '0003'
branch_labels = None
depends_on = None

OLD_TYPES = "'RECEIVE', 'SALE', 'SALE_REVERSAL', 'RETURN', 'RETURN_REVERSAL', 'LOT_ADJUSTMENT', 'LOT_VOID'"
NEW_TYPES = OLD_TYPES + ", 'RECOST', 'SETTLE', 'REVALUE'"

SQLITE_TRIGGERS = [
    "CREATE TRIGGER stock_transactions_no_update BEFORE UPDATE ON stock_transactions "
    "BEGIN SELECT RAISE(ABORT, 'stock transactions are append-only'); END",
    "CREATE TRIGGER stock_transactions_no_delete BEFORE DELETE ON stock_transactions "
    "BEGIN SELECT RAISE(ABORT, 'stock transactions are append-only'); END",
]


def _ledger_types(types):
    if op.get_bind().dialect.name == "sqlite":
        # SQLite changes a CHECK constraint by copying the table, which drops its triggers.
        with op.batch_alter_table('stock_transactions', recreate='always') as batch_op:
            batch_op.drop_constraint(op.f('ck_stock_transactions_type'), type_='check')
            batch_op.create_check_constraint('type', f"type IN ({types})")
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.drop_constraint(op.f('ck_stock_transactions_type'), 'stock_transactions', type_='check')
        op.create_check_constraint('type', 'stock_transactions', f"type IN ({types})")


def upgrade():
    op.create_table('book_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('costs_final_through', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_book_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_book_settings'))
    )
    with op.batch_alter_table('lot_consumptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settled', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recosted', sa.Integer(), server_default='0', nullable=False))
    _ledger_types(NEW_TYPES)
    _recost_existing()


def _recost_existing():
    """Sales costed in the order they were entered are re-costed once, in date order, with history.

    This uses the app's costing code as it is at this revision's release; on a database this old
    it runs against exactly the schema that code reads and writes.
    """
    from partsemble.costing.recost import RecostCause, recost_product

    bind = op.get_bind()
    session = Session(bind=bind)
    products = [row[0] for row in bind.execute(sa.text(
        "SELECT DISTINCT product_id FROM lots UNION SELECT DISTINCT product_id FROM sale_lines WHERE product_id IS NOT NULL"
    ))]
    cause = RecostCause("upgrade to date-order costing")
    for product_id in sorted(products):
        recost_product(session, product_id, None, cause)
    session.flush()


def downgrade():
    op.execute("DELETE FROM book_settings")
    if op.get_bind().dialect.name == "postgresql":
        # Rows of the new types stay (the ledger is append-only); the old constraint cannot hold them.
        op.drop_constraint(op.f('ck_stock_transactions_type'), 'stock_transactions', type_='check')
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_column('recosted')
    with op.batch_alter_table('lot_consumptions', schema=None) as batch_op:
        batch_op.drop_column('settled')
    op.drop_table('book_settings')
