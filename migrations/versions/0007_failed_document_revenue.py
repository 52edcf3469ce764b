"""The revenue a failed document would add, so totals can say how much waits in failed documents.

Revision ID: 0007_failed_document_revenue
Revises: 0006_initial_sync_backfill
Create Date: 2026-12-01 21:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_failed_document_revenue'
down_revision = '0006_initial_sync_backfill'
branch_labels = None
depends_on = None


def upgrade():
    # Money is stored as an integer of millionths (partsemble.models.base.ScaledDecimal); the open
    # failures are re-read on the next sync, which fills it in.
    with op.batch_alter_table('failed_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revenue', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('failed_documents', schema=None) as batch_op:
        batch_op.drop_column('revenue')
