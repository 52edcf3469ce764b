from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField


class ConnectForm(FlaskForm):
    initial_sync_date = StringField(
        "Initial sync date",
        render_kw={"type": "date"},
        description="Sales dated before this day are never pulled. Usually the day your first lots were counted.",
    )


class ConnectionSettingsForm(FlaskForm):
    initial_sync_date = StringField("Initial sync date", render_kw={"type": "date"})
    restock_credit_memos = BooleanField(
        "Credit memos restock", description="Returned goods on a credit memo come back into stock as a return lot."
    )
