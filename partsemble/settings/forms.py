from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField

from partsemble.settings.services import MARK_CHOICES
from partsemble.web.forms import options


class CostsForm(FlaskForm):
    costs_final_through = StringField(
        "Costs are final through",
        render_kw={"type": "date"},
        description="Sales and lots on or before this date are never re-costed, and nothing new may be dated in it. "
        "Leave empty to keep every period open.",
    )


class NumbersAndTimeForm(FlaskForm):
    decimal_mark = RadioField(
        "Numbers are typed and shown with",
        choices=options(list(MARK_CHOICES.items())),
        description="Forms and CSV imports read numbers this way, and every page shows them this way. "
        "A number that could be read two ways (1,5 with the decimal point) is refused, never guessed.",
    )
    time_zone = StringField(
        "Time zone",
        render_kw={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"},
        description="Times on every page are shown in this zone. A name such as Europe/Paris or America/New_York; UTC by default.",
    )
