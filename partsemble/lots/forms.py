from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField

from partsemble.models.inventory import ADJUSTMENT_REASONS
from partsemble.web.forms import options


class ReceiveLotForm(FlaskForm):
    product_id = SelectField("Product", coerce=int)
    received_date = StringField("Received date", render_kw={"type": "date"})
    lot_number = StringField("Lot number", description="Leave as suggested or type your own; unique per product.")
    quantity = StringField("Quantity", render_kw={"inputmode": "decimal"})
    unit_cost = StringField(
        "Unit cost", render_kw={"inputmode": "decimal"}, description="Real cost of one unit, up to 6 decimals; a currency symbol is fine."
    )
    source = SelectField(
        "Source", choices=options([("receipt", "Receipt (bought in)"), ("build", "Build (made here)"), ("opening", "Opening balance")])
    )
    note = StringField("Note")


class AdjustLotForm(FlaskForm):
    delta = StringField("Change (+/-)", render_kw={"inputmode": "decimal", "placeholder": "-2 or 5"})
    adjusted_on = StringField(
        "Date", render_kw={"type": "date"}, description="When the units were found or lost; sales after it are re-costed. Empty: today."
    )
    reason = SelectField("Reason", choices=options([("", "Choose…")] + list(ADJUSTMENT_REASONS.items())))
    note = StringField("Note", description="Required when the reason is Other.")


class ImportLotsForm(FlaskForm):
    file = FileField("CSV file")
