"""Login, logout, own password, and the admin's user pages."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from partsemble.auth import known_browser, login_time, services
from partsemble.auth.forms import LoginForm, PasswordForm, UserCreateForm, UserEditForm
from partsemble.auth.throttle import Policy
from partsemble.extensions import db
from partsemble.web.guard import any_user, public, requires_role
from partsemble.web.params import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error = None
    status = 400 if request.method == "POST" else 200  # a form that does not validate is refused
    if form.validate_on_submit():
        result = services.authenticate(
            db.session,
            form.email.data or "",
            form.password.data or "",
            request.remote_addr or "unknown",
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            lockout_seconds=current_app.config["LOGIN_LOCKOUT_SECONDS"],
            known_user_id=known_browser.user_id(request),
        )
        if result.user is not None:
            # A new session from scratch: nothing set before login (CSRF token included) carries over.
            session.clear()
            login_user(result.user)
            response = redirect(safe_next(form.next.data) or url_for("index"))
            known_browser.remember(response, result.user.id)
            if result.at is not None:
                login_time.record(current_app._get_current_object(), result.user.id, result.at)  # type: ignore[attr-defined]
            return response
        if result.throttled_for:
            error = f"Too many failed attempts. Try again in {services.describe_wait(result.throttled_for)}."
            status = 429
        else:
            error = "Wrong email or password."
            status = 401
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@any_user
def logout():  # type: ignore[no-untyped-def]
    services.end_sessions(db.session, current_user.id)  # a copy of the cookie stops working too
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@any_user
def change_password():  # type: ignore[no-untyped-def]
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            user = services.change_password(
                db.session,
                current_user.id,
                form.current_password.data,
                form.new_password.data or "",
                address=request.remote_addr or "unknown",
                policy=Policy(current_app.config["LOGIN_MAX_FAILURES"], current_app.config["LOGIN_LOCKOUT_SECONDS"]),
            )
        except services.UserError as exc:
            getattr(form, exc.field or "new_password").errors.append(str(exc))
        else:
            login_user(user)  # this session continues; every other one ends
            flash("Password changed. Other sessions were logged out.", "success")
            return redirect(url_for("index"))
    return render_template("auth/password.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/settings/users")
@requires_role("admin")
def users():  # type: ignore[no-untyped-def]
    return render_template("auth/users.html", users=services.list_users(db.session), form=UserCreateForm())


@bp.route("/settings/users", methods=["POST"])
@requires_role("admin")
def create_user():  # type: ignore[no-untyped-def]
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session, form.email.data or "", form.password.data or "", form.role.data or "viewer", form.name.data or ""
            )
        except services.UserError as exc:
            getattr(form, exc.field or "email").errors.append(str(exc))
        else:
            flash(f"User {user.email} created as {user.role}.", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/users.html", users=services.list_users(db.session), form=form), 400


@bp.route("/settings/users/<int:user_id>", methods=["GET", "POST"])
@requires_role("admin")
def edit_user(user_id: int):  # type: ignore[no-untyped-def]
    user = services.get_user(db.session, user_id) or abort(404)
    form = UserEditForm(obj=user)
    status = 200
    if form.validate_on_submit():
        try:
            services.update_user(db.session, user_id, role=form.role.data or user.role, active=bool(form.active.data), name=form.name.data)
        except services.UserError as exc:
            getattr(form, exc.field or "role").errors.append(str(exc))
            status = 400
        else:
            flash(f"{user.email} saved.", "success")
            return redirect(url_for("auth.users"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/user_edit.html", user=user, form=form), status
