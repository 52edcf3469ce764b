"""Return lot notes follow the replay: rewritten once to the words the costing now keeps.

A return lot's note says which document brought the goods back and where their unit cost came
from ("Returned on Credit memo 1001 (cost of sale 1042 on 2026-02-05)"). Until now it was written
once, when the return was applied, with the raw type name ("CreditMemo"), and a later re-costing
that found the customer another last sale before the return left it naming the old one. The
re-costing now rewrites it, and `partsemble check` reports a note that names another basis than
the date-order replay. This revision brings existing notes there: the type words first (closed
returns included), then a re-costing of every product with a return lot, which on a database whose
costs already follow the dates changes only notes (no ledger row, no history).

Revision ID: 0012_return_lot_notes
Revises: 0011_channel_runs
Create Date: 2026-12-03 04:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

# revision identifiers, used by Alembic.
revision = "0012_return_lot_notes"
down_revision = "0011_channel_runs"
branch_labels = None
depends_on = None

WORDS = {"CreditMemo": "Credit memo", "SalesReceipt": "Sales receipt", "ManualSale": "Manual"}


def upgrade():
    bind = op.get_bind()
    for raw, label in WORDS.items():
        old, new = f"Returned on {raw} ", f"Returned on {label} "
        bind.execute(
            sa.text(
                "UPDATE lots SET note = :new || substr(note, :start) WHERE source = 'return' AND substr(note, 1, :length) = :old"
            ),
            {"new": new, "old": old, "start": len(old) + 1, "length": len(old)},
        )
    _recost_products_with_returns()


def _recost_products_with_returns():
    """Uses the app's costing code as it is at this revision's release, against the schema it reads."""
    from partsemble.costing.recost import RecostCause, costs_final_through, recost_product

    bind = op.get_bind()
    session = Session(bind=bind)
    closed = costs_final_through(session)
    products = [row[0] for row in bind.execute(sa.text("SELECT DISTINCT product_id FROM lots WHERE source = 'return'"))]
    cause = RecostCause("upgrade: return lot notes follow the date-order replay")
    for product_id in sorted(products):
        recost_product(session, product_id, closed, cause)
    session.flush()


def downgrade():
    # The notes are text for people: the new words stay (the old code reads none of them).
    pass
