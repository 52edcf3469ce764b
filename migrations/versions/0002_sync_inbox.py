"""Sync inbox: documents staged by a run, applied in transaction-date order.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 23:12:06.014385

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sync_inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('doc_type', sa.String(length=24), nullable=False),
    sa.Column('doc_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('txn_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['sync_runs.id'], name=op.f('fk_sync_inbox_run_id_sync_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_inbox')),
    sa.UniqueConstraint('run_id', 'doc_type', 'doc_id', name=op.f('uq_sync_inbox_run_id_doc_type_doc_id'))
    )
    with op.batch_alter_table('sync_inbox', schema=None) as batch_op:
        batch_op.create_index('ix_sync_inbox_run_id_order', ['run_id', 'txn_date', 'created_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('sync_inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_inbox_run_id_order')

    op.drop_table('sync_inbox')
