from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField

from partsemble.models.catalog import PRODUCT_TYPE_LABELS
from partsemble.web.forms import options

TYPE_CHOICES = list(PRODUCT_TYPE_LABELS.items())


class ProductForm(FlaskForm):
    name = StringField("Name")
    sku = StringField("SKU", description="Unique, whatever the case; no spaces.")
    type = SelectField("Type", choices=options(TYPE_CHOICES), default="finished_good")
    unit = StringField("Unit", default="each", description="each, kg, ml, box…")


class ImportForm(FlaskForm):
    file = FileField("CSV file")
