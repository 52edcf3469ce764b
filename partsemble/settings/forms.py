from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField


class CostsForm(FlaskForm):
    costs_final_through = StringField(
        "Costs are final through", render_kw={"type": "date"},
        description="Sales and lots on or before this date are never re-costed, and nothing new may be dated in it. "
                    "Leave empty to keep every period open.",
    )
