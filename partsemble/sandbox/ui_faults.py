"""The fault-injection screen, and the counters and request log beside it.

Stable selectors for browser tests (all on `GET /sandbox/faults`):

- `form#fault-form` (POST /sandbox/faults): `select#family` (query, cdc, read, token, xero_api,
  xero_identity, all),
  `select#kind` (see `faults.KINDS`), `input#ordinals` ("2, 5": the 2nd and 5th request of the
  family), `input#probability` (0..1), `input#retry_after` (seconds), `input#delay` (seconds,
  for slow), `button#add-fault`; errors in `ul#form-errors`.
- `table#fault-rules` with `tr[data-id]` per rule and a `button.delete-fault` in each.
- `form#clear-faults-form` with `button#clear-faults`.
- `form#fault-seed-form` with `input#fault_seed`, `button#set-seed`.
- `form#quirks-form` with one checkbox `input#quirk-<name>` per quirk, `button#save-quirks`.
- `table#counters`, `table#request-log`, `form#reset-counters-form` with `button#reset-counters`.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from partsemble.sandbox import faults
from partsemble.sandbox.blueprints import current_company, ui_bp
from partsemble.sandbox.controls import QUIRKS
from partsemble.sandbox.store import reading
from partsemble.web.guard import requires_role

Page = str | Response | tuple[str, int]


def _page(errors: list[str], status: int = 200) -> tuple[str, int]:
    company = current_company()
    with reading(company.engine) as conn:
        seed = faults.seed(conn)
    return render_template(
        "sandbox/faults.html",
        rules=company.faults(),
        families=faults.FAMILIES,
        kinds=faults.KINDS,
        counters=sorted(company.counters().items()),
        log=company.request_log(limit=50),
        seed=seed,
        quirks=QUIRKS,
        quirk_values=company.quirks(),
        errors=errors,
        form=request.form,
    ), status


@ui_bp.route("/faults", methods=["GET", "POST"])
@requires_role("admin")
def fault_rules() -> Page:
    if request.method == "GET":
        return _page([])
    form = request.form
    try:
        retry_after = int(form.get("retry_after") or 60)
        rule = current_company().add_fault(
            form.get("family", ""),
            form.get("kind", ""),
            probability=form.get("probability", "").strip() or None,
            ordinals=faults.parse_ordinals(form.get("ordinals", "")),
            retry_after=retry_after,
            delay=form.get("delay", "").strip() or "0",
        )
    except ValueError as error:  # BadFaultRule, or a retry_after that is not a number
        return _page([str(error)], 400)
    flash(f"Fault added: {rule.describe()}.", "success")
    return redirect(url_for("sandbox.fault_rules"))


@ui_bp.post("/faults/<int:rule_id>/delete")
@requires_role("admin")
def delete_fault(rule_id: int) -> Response:
    current_company().remove_fault(rule_id)
    flash("Fault removed.", "success")
    return redirect(url_for("sandbox.fault_rules"))


@ui_bp.post("/faults/clear")
@requires_role("admin")
def clear_faults() -> Response:
    current_company().clear_faults()
    flash("All faults removed.", "success")
    return redirect(url_for("sandbox.fault_rules"))


@ui_bp.post("/faults/seed")
@requires_role("admin")
def set_fault_seed() -> Page:
    text = request.form.get("fault_seed", "").strip()
    if not text.lstrip("-").isdigit():
        return _page(["The seed must be a whole number."], 400)
    current_company().set_fault_seed(int(text))
    flash(f"Fault seed set to {int(text)}.", "success")
    return redirect(url_for("sandbox.fault_rules"))


@ui_bp.post("/faults/quirks")
@requires_role("admin")
def save_quirks() -> Response:
    company = current_company()
    for name in QUIRKS:
        company.set_quirk(name, request.form.get(f"quirk-{name}") == "1")
    flash("Quirks saved.", "success")
    return redirect(url_for("sandbox.fault_rules"))


@ui_bp.post("/faults/counters/reset")
@requires_role("admin")
def reset_counters() -> Response:
    current_company().reset_counters()
    flash("Counters and request log cleared.", "success")
    return redirect(url_for("sandbox.fault_rules"))
