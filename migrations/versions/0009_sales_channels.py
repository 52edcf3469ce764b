"""Sales channels: a connection can be switched off, and holds a Xero organisation's id.

`connections.active`: a deactivated channel is skipped by Sync Now and keeps its data and its
cursor (synced_through), so reactivating it resumes where it stopped. Every existing connection
stays active.

`connections.realm_id` grows to 64 characters: a Xero tenant id is a 36-character GUID, where a
QuickBooks realm id has at most 20 digits. SQLite copies the table to change the column: a
small one (one row per provider) that no other table refers to.

Revision ID: 0009_sales_channels
Revises: 0008_tracked_revenue
Create Date: 2026-12-02 05:00:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0009_sales_channels"
down_revision = "0008_tracked_revenue"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.alter_column("realm_id", type_=sa.String(length=64), existing_type=sa.String(length=32), existing_nullable=False)


def downgrade():
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.alter_column("realm_id", type_=sa.String(length=32), existing_type=sa.String(length=64), existing_nullable=False)
        batch_op.drop_column("active")
