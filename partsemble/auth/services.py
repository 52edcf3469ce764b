"""Users: creation, roles, deactivation, passwords and login throttling."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select

from partsemble.extensions import db
from partsemble.models.accounts import ROLES, LoginFailure, User
from partsemble.models.base import utcnow
from partsemble.models.engine import begin_write

MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    """A user change that cannot be made; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _validate(email: str, password: str | None, role: str) -> None:
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise UserError("Enter a valid email address.", "email")
    if role not in ROLES:
        raise UserError(f"Role must be one of {', '.join(ROLES)}.", "role")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", "password")


def create_user(email: str, password: str, role: str, name: str = "") -> User:
    """Create a user and commit.

    Raises:
        UserError: bad email, role or password, or the email is taken.
    """
    email = normalize_email(email)
    _validate(email, password, role)
    begin_write(db.session)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        db.session.rollback()
        raise UserError(f"A user with the email {email} already exists.", "email")
    user = User(email=email, name=name.strip(), role=role, active=True, session_version=0)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def _admins_left_after(user: User, *, role: str, active: bool) -> int:
    others = db.session.scalar(
        select(func.count(User.id)).where(User.role == "admin", User.active.is_(True), User.id != user.id)
    ) or 0
    return others + (1 if role == "admin" and active else 0)


def update_user(user_id: int, *, role: str, active: bool, name: str | None = None) -> User:
    """Change a user's role or active flag; the last active admin cannot be removed.

    Raises:
        UserError: unknown role, or the change would leave no active admin.
    """
    if role not in ROLES:
        raise UserError(f"Role must be one of {', '.join(ROLES)}.", "role")
    begin_write(db.session)
    user = db.session.get(User, user_id)
    if user is None:
        raise UserError("No such user.")
    if _admins_left_after(user, role=role, active=active) == 0:
        db.session.rollback()
        raise UserError("Partsemble needs at least one active admin.", "role")
    if user.active and not active:
        user.session_version += 1  # end the user's sessions now
    user.role = role
    user.active = active
    if name is not None:
        user.name = name.strip()
    db.session.commit()
    return user


def change_password(user_id: int, current: str | None, new: str) -> User:
    """Set a new password (checking the current one when given); ends other sessions.

    Raises:
        UserError: wrong current password or too short a new one.
    """
    begin_write(db.session)
    user = db.session.get(User, user_id)
    if user is None:
        raise UserError("No such user.")
    if current is not None and not user.check_password(current):
        db.session.rollback()
        raise UserError("The current password is not right.", "current_password")
    if len(new) < MIN_PASSWORD_LENGTH:
        db.session.rollback()
        raise UserError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", "new_password")
    user.set_password(new)
    db.session.commit()
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled_for: int = 0  # seconds to wait, when throttled


def authenticate(email: str, password: str, address: str, *, max_failures: int, lockout_seconds: int) -> LoginResult:
    """Check a login; record failures and refuse while an account or address has too many.

    Throttled attempts are refused without checking the password, so guessing
    stays slow even with the right password among the guesses.
    """
    email = normalize_email(email)
    now = utcnow()
    since = now - timedelta(seconds=lockout_seconds)
    begin_write(db.session)
    recent = db.session.execute(
        select(LoginFailure.email, LoginFailure.address, LoginFailure.at).where(
            LoginFailure.at >= since, or_(LoginFailure.email == email, LoginFailure.address == address)
        )
    ).all()
    by_email = [row.at for row in recent if row.email == email]
    by_address = [row.at for row in recent if row.address == address]
    for attempts in (by_email, by_address):
        if len(attempts) >= max_failures:
            oldest_counted = sorted(attempts)[-max_failures]
            wait = int((oldest_counted + timedelta(seconds=lockout_seconds) - now).total_seconds()) + 1
            db.session.rollback()
            return LoginResult(None, throttled_for=max(wait, 1))
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.active or not user.check_password(password):
        db.session.add(LoginFailure(email=email[:254], address=address[:64], at=now))
        db.session.execute(delete(LoginFailure).where(LoginFailure.at < since))
        db.session.commit()
        return LoginResult(None)
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    user.last_login_at = now
    db.session.commit()
    return LoginResult(user)


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))


def last_login(user: User) -> datetime | None:
    return user.last_login_at
