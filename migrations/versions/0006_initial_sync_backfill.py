"""The day from which every document has been read, so an initial sync date moved earlier is
backfilled by the next sync.

Revision ID: 0006_initial_sync_backfill
Revises: 0005_number_and_time_settings
Create Date: 2026-12-01 21:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006_initial_sync_backfill'
down_revision = '0005_number_and_time_settings'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('synced_from', sa.Date(), nullable=True))
    # A connection that has finished a sync has read everything from its initial sync date on.
    op.execute("UPDATE connections SET synced_from = initial_sync_date WHERE synced_through IS NOT NULL")


def downgrade():
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_column('synced_from')
