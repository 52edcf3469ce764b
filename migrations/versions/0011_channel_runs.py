"""A sync run reads every active channel in turn: what it did in each is a row of sync_run_channels.

`sync_run_channels`: one row per run and channel (QuickBooks, Xero) with its outcome, message,
counts and the window of changes it read. The window moves here from `sync_runs`
(window_start, window_end), since each channel reads its own source with its own clock: a
run that stopped part way bounds the deletions the next sync must look for, per channel.
Every earlier run was a QuickBooks run, so each gets one QuickBooks row with its counts and
window (a run left "running" by a stopped process is one that did not finish: "failed"); the
run's columns are then dropped.

`sync_errors.source`: the channel of the document that failed, so the run's problem list can
name it; every earlier problem was a QuickBooks document.

Revision ID: 0011_channel_runs
Revises: 0010_items_per_channel
Create Date: 2026-12-02 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_channel_runs"
down_revision = "0010_items_per_channel"
branch_labels = None
depends_on = None

COUNTS = ("fetched", "processed", "created", "updated", "voided", "skipped", "errors", "recosted")


def upgrade():
    op.create_table(
        "sync_run_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=True),
        sa.Column("window_end", sa.DateTime(), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.CheckConstraint("status IN ('running', 'succeeded', 'failed')", name=op.f("ck_sync_run_channels_status")),
        sa.ForeignKeyConstraint(["run_id"], ["sync_runs.id"], name=op.f("fk_sync_run_channels_run_id_sync_runs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_run_channels")),
        sa.UniqueConstraint("run_id", "source", name=op.f("uq_sync_run_channels_run_id_source")),
    )
    op.create_index("ix_sync_run_channels_source_window_end", "sync_run_channels", ["source", "window_end"], unique=False)
    counts = ", ".join(COUNTS)
    op.execute(
        f"INSERT INTO sync_run_channels (run_id, source, status, message, window_start, window_end, {counts}) "
        "SELECT id, 'qbo', CASE WHEN status = 'succeeded' THEN 'succeeded' ELSE 'failed' END, message, "
        f"window_start, window_end, {counts} FROM sync_runs"
    )
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): copying sync_runs would trip the foreign keys to it.
    op.drop_column("sync_runs", "window_start")
    op.drop_column("sync_runs", "window_end")
    op.add_column("sync_errors", sa.Column("source", sa.String(length=16), server_default="qbo", nullable=False))


def downgrade():
    op.drop_column("sync_errors", "source")
    op.add_column("sync_runs", sa.Column("window_start", sa.DateTime(), nullable=True))
    op.add_column("sync_runs", sa.Column("window_end", sa.DateTime(), nullable=True))
    # A run keeps the window of its QuickBooks channel (the only one a run had before).
    for column in ("window_start", "window_end"):
        op.execute(
            f"UPDATE sync_runs SET {column} = (SELECT c.{column} FROM sync_run_channels c "
            "WHERE c.run_id = sync_runs.id AND c.source = 'qbo')"
        )
    op.drop_index("ix_sync_run_channels_source_window_end", table_name="sync_run_channels")
    op.drop_table("sync_run_channels")
