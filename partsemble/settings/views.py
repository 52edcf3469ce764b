from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from partsemble.costing import costs_final_through, set_costs_final_through
from partsemble.extensions import db
from partsemble.models.settings import read_preferences
from partsemble.settings.forms import CostsForm, NumbersAndTimeForm
from partsemble.settings.services import save_preferences, time_zone_names
from partsemble.validation import InputError, parse_date
from partsemble.web.forms import show_error
from partsemble.web.guard import requires_role

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("/")
def index() -> Response:
    if current_user.has_role("admin") and "connections.settings" in current_app.view_functions:
        return redirect(url_for("connections.settings"))
    if current_user.has_role("admin"):
        return redirect(url_for("auth.users"))
    return redirect(url_for("auth.change_password"))


@bp.route("/costs", methods=["GET", "POST"])
@requires_role("admin")
def costs():  # type: ignore[no-untyped-def]
    form = CostsForm()
    current = costs_final_through(db.session)
    if form.validate_on_submit():
        try:
            text = (form.costs_final_through.data or "").strip()
            day = parse_date(text, "costs_final_through", "Date", not_after=date.today()) if text else None
        except InputError as exc:
            show_error(form, exc, "costs_final_through")
        else:
            recosted = set_costs_final_through(db.session, day, current_user.id)
            if day is None:
                flash(
                    "Every period is open: facts of any date re-cost what they touch."
                    + (f" {recosted} sales were re-costed." if recosted else ""),
                    "success",
                )
            else:
                flash(f"Costs are final through {day.isoformat()}." + (f" {recosted} sales were re-costed." if recosted else ""), "success")
            return redirect(url_for("settings.costs"))
        return render_template("settings/costs.html", form=form, current=current), 400
    if current is not None and not form.is_submitted():
        form.costs_final_through.data = current.isoformat()
    return render_template("settings/costs.html", form=form, current=current)


@bp.route("/numbers-and-time", methods=["GET", "POST"])
@requires_role("admin")
def numbers_and_time():  # type: ignore[no-untyped-def]
    form = NumbersAndTimeForm()
    current = read_preferences(db.session)
    if form.validate_on_submit():
        try:
            saved = save_preferences(db.session, form.decimal_mark.data, form.time_zone.data, current_user.id)
        except InputError as exc:
            show_error(form, exc, "time_zone")
        else:
            flash(f"Saved: numbers like {saved.decimal_mark.example}, times in {saved.time_zone}.", "success")
            return redirect(url_for("settings.numbers_and_time"))
        return render_template("settings/numbers_and_time.html", form=form, current=current, zones=time_zone_names()), 400
    if request.method == "POST":
        return render_template("settings/numbers_and_time.html", form=form, current=current, zones=time_zone_names()), 400
    form.decimal_mark.data = current.decimal_mark.value
    form.time_zone.data = current.time_zone
    return render_template("settings/numbers_and_time.html", form=form, current=current, zones=time_zone_names())
