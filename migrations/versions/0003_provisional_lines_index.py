"""Partial index on sale lines costed at average or at zero (the shortages report).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 23:46:22.423884

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sale_lines', schema=None) as batch_op:
        batch_op.create_index('ix_sale_lines_provisional', ['product_id', 'sale_id'], unique=False, sqlite_where=sa.text('shortage_quantity > 0 OR no_cost_basis IS 1'), postgresql_where=sa.text('shortage_quantity > 0 OR no_cost_basis IS true'))


def downgrade():
    with op.batch_alter_table('sale_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_sale_lines_provisional', sqlite_where=sa.text('shortage_quantity > 0 OR no_cost_basis IS 1'), postgresql_where=sa.text('shortage_quantity > 0 OR no_cost_basis IS true'))

