"""Initial schema: users, products, accounting items, lots, the stock ledger, sales, sync.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 23:02:13.245838

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('failed_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('external_type', sa.String(length=24), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('doc_number', sa.String(length=64), nullable=False),
    sa.Column('customer_name', sa.String(length=255), nullable=False),
    sa.Column('txn_date', sa.Date(), nullable=True),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('item_external_id', sa.String(length=64), nullable=False),
    sa.Column('item_name', sa.String(length=255), nullable=False),
    sa.Column('first_failed_at', sa.DateTime(), nullable=False),
    sa.Column('last_failed_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_documents')),
    sa.UniqueConstraint('source', 'external_type', 'external_id', name=op.f('uq_failed_documents_source_external_type_external_id'))
    )
    with op.batch_alter_table('failed_documents', schema=None) as batch_op:
        batch_op.create_index('ix_failed_documents_item_external_id', ['item_external_id'], unique=False)

    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_address_at', ['address', 'at'], unique=False)
        batch_op.create_index('ix_login_failures_email_at', ['email', 'at'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('sku_key', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('stock_on_hand', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("type IN ('raw_material', 'component', 'sub_assembly', 'finished_good')", name=op.f('ck_products_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('sku_key', name=op.f('uq_products_sku_key'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_type'), ['type'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'member', 'viewer')", name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('accounting_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=True),
    sa.Column('item_type', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('not_tracked', sa.Boolean(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_accounting_items_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounting_items')),
    sa.UniqueConstraint('product_id', name=op.f('uq_accounting_items_product_id')),
    sa.UniqueConstraint('source', 'external_id', name=op.f('uq_accounting_items_source_external_id'))
    )
    op.create_table('connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('realm_id', sa.String(length=32), nullable=False),
    sa.Column('company_name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('access_token_enc', sa.Text(), nullable=False),
    sa.Column('refresh_token_enc', sa.Text(), nullable=False),
    sa.Column('access_expires_at', sa.DateTime(), nullable=True),
    sa.Column('refresh_expires_at', sa.DateTime(), nullable=True),
    sa.Column('last_refreshed_at', sa.DateTime(), nullable=True),
    sa.Column('initial_sync_date', sa.Date(), nullable=True),
    sa.Column('restock_credit_memos', sa.Boolean(), nullable=False),
    sa.Column('connected_at', sa.DateTime(), nullable=True),
    sa.Column('connected_by_id', sa.Integer(), nullable=True),
    sa.Column('synced_through', sa.DateTime(), nullable=True),
    sa.Column('status_message', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('connected', 'expired', 'disconnected')", name=op.f('ck_connections_status')),
    sa.ForeignKeyConstraint(['connected_by_id'], ['users.id'], name=op.f('fk_connections_connected_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connections')),
    sa.UniqueConstraint('provider', name=op.f('uq_connections_provider'))
    )
    op.create_table('sync_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('started_by', sa.String(length=254), nullable=False),
    sa.Column('trigger', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=True),
    sa.Column('window_end', sa.DateTime(), nullable=True),
    sa.Column('fetched', sa.Integer(), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('voided', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('running', 'succeeded', 'failed')", name=op.f('ck_sync_runs_status')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_runs_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )
    op.create_table('sales',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('external_type', sa.String(length=24), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('doc_number', sa.String(length=64), nullable=False),
    sa.Column('customer_ref', sa.String(length=64), nullable=False),
    sa.Column('customer_name', sa.String(length=255), nullable=False),
    sa.Column('txn_date', sa.Date(), nullable=False),
    sa.Column('source_created_at', sa.DateTime(), nullable=True),
    sa.Column('source_updated_at', sa.DateTime(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('exchange_rate', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('revenue', sa.BigInteger(), nullable=False),
    sa.Column('cost', sa.BigInteger(), nullable=False),
    sa.Column('margin', sa.BigInteger(), nullable=False),
    sa.Column('shortage', sa.Boolean(), nullable=False),
    sa.Column('no_cost_basis', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_sync_run_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('active', 'voided', 'deleted')", name=op.f('ck_sales_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_sales_created_by_id_users')),
    sa.ForeignKeyConstraint(['last_sync_run_id'], ['sync_runs.id'], name=op.f('fk_sales_last_sync_run_id_sync_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales')),
    sa.UniqueConstraint('source', 'external_type', 'external_id', name=op.f('uq_sales_source_external_type_external_id'))
    )
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.create_index('ix_sales_customer_name', ['customer_name'], unique=False)
        batch_op.create_index('ix_sales_customer_ref_txn_date', ['customer_ref', 'txn_date'], unique=False)
        batch_op.create_index('ix_sales_status_txn_date', ['status', 'txn_date'], unique=False)
        batch_op.create_index('ix_sales_txn_date_id', ['txn_date', 'id'], unique=False)

    op.create_table('sync_errors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('external_type', sa.String(length=24), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('doc_number', sa.String(length=64), nullable=False),
    sa.Column('customer_name', sa.String(length=255), nullable=False),
    sa.Column('txn_date', sa.Date(), nullable=True),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('item_external_id', sa.String(length=64), nullable=False),
    sa.Column('item_name', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['sync_runs.id'], name=op.f('fk_sync_errors_run_id_sync_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_errors'))
    )
    with op.batch_alter_table('sync_errors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_errors_run_id'), ['run_id'], unique=False)

    op.create_table('sync_lock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('holder', sa.String(length=254), nullable=False),
    sa.Column('acquired_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['sync_runs.id'], name=op.f('fk_sync_lock_run_id_sync_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_lock'))
    )
    op.create_table('lots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('lot_number', sa.String(length=80), nullable=False),
    sa.Column('received_date', sa.Date(), nullable=False),
    sa.Column('quantity_received', sa.BigInteger(), nullable=False),
    sa.Column('quantity_remaining', sa.BigInteger(), nullable=False),
    sa.Column('unit_cost', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("source IN ('receipt', 'build', 'return', 'opening')", name=op.f('ck_lots_source')),
    sa.CheckConstraint("status IN ('active', 'exhausted', 'voided')", name=op.f('ck_lots_status')),
    sa.CheckConstraint('quantity_remaining >= 0', name=op.f('ck_lots_remaining_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_lots_created_by_id_users')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_lots_product_id_products')),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_lots_sale_id_sales')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lots')),
    sa.UniqueConstraint('product_id', 'lot_number', name=op.f('uq_lots_product_id_lot_number'))
    )
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.create_index('ix_lots_fifo', ['product_id', 'received_date', 'id'], unique=False, sqlite_where=sa.text("quantity_remaining > 0 AND status = 'active'"), postgresql_where=sa.text("quantity_remaining > 0 AND status = 'active'"))
        batch_op.create_index(batch_op.f('ix_lots_sale_id'), ['sale_id'], unique=False)

    op.create_table('sale_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=False),
    sa.Column('sync_run_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_sale_revisions_sale_id_sales'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sync_run_id'], ['sync_runs.id'], name=op.f('fk_sale_revisions_sync_run_id_sync_runs')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sale_revisions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_revisions'))
    )
    with op.batch_alter_table('sale_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sale_revisions_sale_id'), ['sale_id'], unique=False)

    op.create_table('sale_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('skip_reason', sa.String(length=200), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('item_external_id', sa.String(length=64), nullable=False),
    sa.Column('item_name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('revenue', sa.BigInteger(), nullable=False),
    sa.Column('cost', sa.BigInteger(), nullable=False),
    sa.Column('margin', sa.BigInteger(), nullable=False),
    sa.Column('shortage_quantity', sa.BigInteger(), nullable=False),
    sa.Column('shortage_unit_cost', sa.BigInteger(), nullable=False),
    sa.Column('shortage_cost', sa.BigInteger(), nullable=False),
    sa.Column('no_cost_basis', sa.Boolean(), nullable=False),
    sa.Column('return_lot_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('tracked', 'return', 'price_adjustment', 'skipped')", name=op.f('ck_sale_lines_kind')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_sale_lines_product_id_products')),
    sa.ForeignKeyConstraint(['return_lot_id'], ['lots.id'], name=op.f('fk_sale_lines_return_lot_id_lots')),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_sale_lines_sale_id_sales'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_lines'))
    )
    with op.batch_alter_table('sale_lines', schema=None) as batch_op:
        batch_op.create_index('ix_sale_lines_product_id_sale_id', ['product_id', 'sale_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sale_lines_sale_id'), ['sale_id'], unique=False)

    op.create_table('stock_transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=24), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit_cost', sa.BigInteger(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('sale_id', sa.Integer(), nullable=True),
    sa.Column('sync_run_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.CheckConstraint("type IN ('RECEIVE', 'SALE', 'SALE_REVERSAL', 'RETURN', 'RETURN_REVERSAL', 'LOT_ADJUSTMENT', 'LOT_VOID')", name=op.f('ck_stock_transactions_type')),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_stock_transactions_lot_id_lots')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_stock_transactions_product_id_products')),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_stock_transactions_sale_id_sales')),
    sa.ForeignKeyConstraint(['sync_run_id'], ['sync_runs.id'], name=op.f('fk_stock_transactions_sync_run_id_sync_runs')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stock_transactions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_transactions'))
    )
    with op.batch_alter_table('stock_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_transactions_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index('ix_stock_transactions_product_id_id', ['product_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_transactions_sale_id'), ['sale_id'], unique=False)

    op.create_table('lot_consumptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sale_line_id', sa.Integer(), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit_cost', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_lot_consumptions_lot_id_lots')),
    sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_lot_consumptions_sale_id_sales'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sale_line_id'], ['sale_lines.id'], name=op.f('fk_lot_consumptions_sale_line_id_sale_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_consumptions'))
    )
    with op.batch_alter_table('lot_consumptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_consumptions_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lot_consumptions_sale_id'), ['sale_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lot_consumptions_sale_line_id'), ['sale_line_id'], unique=False)



    # The ledger is append-only in the database as well as in the code.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER stock_transactions_no_update BEFORE UPDATE ON stock_transactions "
            "BEGIN SELECT RAISE(ABORT, 'stock transactions are append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER stock_transactions_no_delete BEFORE DELETE ON stock_transactions "
            "BEGIN SELECT RAISE(ABORT, 'stock transactions are append-only'); END"
        )
    elif op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION stock_transactions_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'stock transactions are append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER stock_transactions_no_change BEFORE UPDATE OR DELETE ON stock_transactions "
            "FOR EACH ROW EXECUTE FUNCTION stock_transactions_append_only()"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS stock_transactions_no_change ON stock_transactions")
        op.execute("DROP FUNCTION IF EXISTS stock_transactions_append_only()")
    with op.batch_alter_table('lot_consumptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lot_consumptions_sale_line_id'))
        batch_op.drop_index(batch_op.f('ix_lot_consumptions_sale_id'))
        batch_op.drop_index(batch_op.f('ix_lot_consumptions_lot_id'))

    op.drop_table('lot_consumptions')
    with op.batch_alter_table('stock_transactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_transactions_sale_id'))
        batch_op.drop_index('ix_stock_transactions_product_id_id')
        batch_op.drop_index(batch_op.f('ix_stock_transactions_lot_id'))

    op.drop_table('stock_transactions')
    with op.batch_alter_table('sale_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sale_lines_sale_id'))
        batch_op.drop_index('ix_sale_lines_product_id_sale_id')

    op.drop_table('sale_lines')
    with op.batch_alter_table('sale_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sale_revisions_sale_id'))

    op.drop_table('sale_revisions')
    with op.batch_alter_table('lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lots_sale_id'))
        batch_op.drop_index('ix_lots_fifo', sqlite_where=sa.text("quantity_remaining > 0 AND status = 'active'"), postgresql_where=sa.text("quantity_remaining > 0 AND status = 'active'"))

    op.drop_table('lots')
    op.drop_table('sync_lock')
    with op.batch_alter_table('sync_errors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_errors_run_id'))

    op.drop_table('sync_errors')
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.drop_index('ix_sales_txn_date_id')
        batch_op.drop_index('ix_sales_status_txn_date')
        batch_op.drop_index('ix_sales_customer_ref_txn_date')
        batch_op.drop_index('ix_sales_customer_name')

    op.drop_table('sales')
    op.drop_table('sync_runs')
    op.drop_table('connections')
    op.drop_table('accounting_items')
    op.drop_table('users')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_type'))

    op.drop_table('products')
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_email_at')
        batch_op.drop_index('ix_login_failures_address_at')

    op.drop_table('login_failures')
    with op.batch_alter_table('failed_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_failed_documents_item_external_id')

    op.drop_table('failed_documents')
