from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField


class ConnectForm(FlaskForm):
    initial_sync_date = StringField(
        "Initial sync date",
        render_kw={"type": "date"},
        description=(
            "Invoices, sales receipts and credit memos dated on or after this day are pulled in and costed from your lots; "
            "older ones are left alone. The start of this year is suggested. You can move it earlier later "
            "(the next sync then pulls the older sales too), but not later once a sync has run."
        ),
    )


class ConnectionSettingsForm(FlaskForm):
    initial_sync_date = StringField(
        "Initial sync date",
        render_kw={"type": "date"},
        description="Sales dated before this day are not pulled. Move it earlier to pull older sales: the next sync "
        "reads them and costs them in date order. It can move later only before the first sync.",
    )
    restock_credit_memos = BooleanField(
        "Credit memos restock", description="Returned goods on a credit memo come back into stock as a return lot."
    )


class ChooseOrganisationForm(FlaskForm):
    tenant_id = RadioField(
        "Organisation",
        description="Your Xero authorization reaches several organisations: choose the one whose sales Partsemble costs.",
        validate_choice=True,
    )


class ChannelForm(FlaskForm):
    """Deactivate or reactivate a channel: the CSRF token only (active=1 or 0 comes with the button)."""
