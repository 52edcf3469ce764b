from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, Field, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from partsemble.auth.services import MIN_PASSWORD_LENGTH
from partsemble.web.forms import options


def printable(form: FlaskForm, field: Field) -> None:
    """Refuse control characters: PostgreSQL cannot even compare text holding NUL, and no name or email has them."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in field.data or ""):
        raise ValidationError(f"{field.label.text} contains control characters.")


ROLE_CHOICES = [("viewer", "Viewer (read only)"), ("member", "Member (day-to-day work)"), ("admin", "Admin (users, connection, settings)")]


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), printable])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=512)])
    next = HiddenField()


class UserCreateForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), printable])
    name = StringField("Name", validators=[Optional(), Length(max=120), printable])
    role = SelectField("Role", choices=options(ROLE_CHOICES), default="member")
    password = PasswordField(
        "Initial password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=512)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. Share it with the person; they can change it.",
    )


class UserEditForm(FlaskForm):
    name = StringField("Name", validators=[Optional(), Length(max=120), printable])
    role = SelectField("Role", choices=options(ROLE_CHOICES))
    active = BooleanField("Active")


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=512)])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=512)])
