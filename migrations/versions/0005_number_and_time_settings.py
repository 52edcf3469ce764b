"""The decimal mark people type and read numbers with, and the business's time zone.

Revision ID: 0005_number_and_time_settings
Revises: 0004_costs_follow_dates
Create Date: 2026-12-01 20:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005_number_and_time_settings'
down_revision = '0004_costs_follow_dates'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('book_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decimal_mark', sa.String(length=1), server_default='.', nullable=False))
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False))
        batch_op.create_check_constraint('decimal_mark', "decimal_mark IN ('.', ',')")


def downgrade():
    with op.batch_alter_table('book_settings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_book_settings_decimal_mark'), type_='check')
        batch_op.drop_column('time_zone')
        batch_op.drop_column('decimal_mark')
