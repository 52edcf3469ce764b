"""Items per channel: a product may be linked to one item of each accounting channel.

A manufacturer sells the same product in both books (QuickBooks and Xero), so
`accounting_items.product_id` is no longer unique on its own: it is unique per source
(`uq_accounting_items_source_product_id`), one QuickBooks item and one Xero item per product.
Unlinked items (product_id NULL) are not counted by either database's unique index.

Downgrading restores one item per product: where a product is linked to items of several
channels, the QuickBooks link is kept and the others are unlinked (their items keep every
other field, and can be linked again after upgrading). SQLite copies the table to change its
constraints.

Revision ID: 0010_items_per_channel
Revises: 0009_sales_channels
Create Date: 2026-12-02 08:00:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0010_items_per_channel"
down_revision = "0009_sales_channels"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("accounting_items", schema=None) as batch_op:
        batch_op.drop_constraint("uq_accounting_items_product_id", type_="unique")
        batch_op.create_unique_constraint("uq_accounting_items_source_product_id", ["source", "product_id"])


def downgrade():
    # One item per product again: the QuickBooks link (else the lowest item id) stays, others go.
    op.execute(
        sa.text(
            "UPDATE accounting_items SET product_id = NULL WHERE product_id IS NOT NULL AND id <> ("
            "SELECT keep.id FROM accounting_items AS keep WHERE keep.product_id = accounting_items.product_id "
            "ORDER BY CASE WHEN keep.source = 'qbo' THEN 0 ELSE 1 END, keep.id LIMIT 1)"
        )
    )
    with op.batch_alter_table("accounting_items", schema=None) as batch_op:
        batch_op.drop_constraint("uq_accounting_items_source_product_id", type_="unique")
        batch_op.create_unique_constraint("uq_accounting_items_product_id", ["product_id"])
