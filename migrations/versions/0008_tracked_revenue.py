"""A sale's revenue counts its tracked lines only; the document total is kept for reference.

Skipped lines (shipping, services, raw materials, lines without an item) used to add to a sale's
revenue and margin. They keep their amount and discount share, and lose their revenue; the sale's
revenue and margin lose the same sum; the old revenue (every item line less discounts) becomes the
sale's document total.

Revision ID: 0008_tracked_revenue
Revises: 0007_failed_document_revenue
Create Date: 2026-12-01 23:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008_tracked_revenue'
down_revision = '0007_failed_document_revenue'
branch_labels = None
depends_on = None

# Money is stored as an integer of millionths (partsemble.models.base.ScaledDecimal): these sums are exact.
SKIPPED_REVENUE = "COALESCE((SELECT SUM(l.revenue) FROM sale_lines l WHERE l.sale_id = sales.id AND l.kind = 'skipped'), 0)"


def upgrade():
    # A plain ADD COLUMN (with its default) on both databases: SQLite need not copy the sales table.
    op.add_column('sales', sa.Column('document_total', sa.BigInteger(), server_default=sa.text('0'), nullable=False))
    op.execute("UPDATE sales SET document_total = revenue")
    op.execute(f"UPDATE sales SET revenue = revenue - {SKIPPED_REVENUE}, margin = margin - {SKIPPED_REVENUE}")
    # A skipped line has no cost: its margin was its revenue.
    op.execute("UPDATE sale_lines SET revenue = 0, margin = 0 - cost WHERE kind = 'skipped'")
    # Open failed documents get their waiting revenue again when the next sync retries them.


def downgrade():
    op.execute("UPDATE sale_lines SET revenue = CASE WHEN (SELECT external_type FROM sales s WHERE s.id = sale_lines.sale_id) "
               "= 'CreditMemo' THEN discount - amount ELSE amount - discount END WHERE kind = 'skipped'")
    op.execute("UPDATE sale_lines SET margin = revenue - cost WHERE kind = 'skipped'")
    op.execute("UPDATE sales SET revenue = document_total, margin = document_total - cost WHERE document_total <> revenue")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): copying the sales table would trip its foreign keys.
    op.drop_column('sales', 'document_total')
