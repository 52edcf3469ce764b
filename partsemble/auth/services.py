"""Users: creation, roles, deactivation, passwords and login throttling."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.security import check_password_hash, generate_password_hash

from partsemble.auth import throttle
from partsemble.auth.locks import USERS, login_key, login_locks, serialize
from partsemble.auth.throttle import Policy
from partsemble.models.accounts import ROLES, User, password_hash_method
from partsemble.models.base import utcnow
from partsemble.models.engine import is_sqlite
from partsemble.models.transactions import AnySession, write_transaction

MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    """A user change that cannot be made; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def normalize_email(email: str) -> str:
    """The one form an address is stored and looked up in.

    email-validator checks the syntax (no DNS lookup: the server may have no internet) and
    normalizes it (Unicode NFC, IDNA-checked lower-case domain); the whole address is then
    lower-cased, so addresses compare case-insensitively, local part included, as they always have.

    Raises:
        UserError: not a valid email address; the message says what is wrong with it.
    """
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise UserError(f"Enter a valid email address: {exc}", "email") from exc
    return checked.normalized.lower()


def _login_email(email: str) -> str:
    """The address a login looks up; one that is not valid is looked up as typed and found by nobody."""
    try:
        return normalize_email(email)
    except UserError:
        return email.strip().lower()


def _validate(password: str | None, role: str) -> None:
    if role not in ROLES:
        raise UserError(f"Role must be one of {', '.join(ROLES)}.", "role")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", "password")


def create_user(session: AnySession, email: str, password: str, role: str, name: str = "") -> User:
    """Create a user and commit.

    Raises:
        UserError: bad email, role or password, or the email is taken.
    """
    email = normalize_email(email)
    _validate(password, role)
    user = User(email=email, name=name.strip(), role=role, active=True, session_version=0)
    user.set_password(password)  # hashing (about 0.1 s) before any lock is taken
    taken = UserError(f"A user with the email {email} already exists.", "email")
    try:
        with write_transaction(session):
            serialize(session, USERS)
            if session.scalar(select(User.id).where(User.email == email)) is not None:
                raise taken
            session.add(user)
    except IntegrityError:  # another process made the same user between our check and our commit
        raise taken from None
    return user


def _admins_left_after(session: AnySession, user: User, *, role: str, active: bool) -> int:
    others = session.scalar(select(func.count(User.id)).where(User.role == "admin", User.active.is_(True), User.id != user.id)) or 0
    return others + (1 if role == "admin" and active else 0)


def update_user(session: AnySession, user_id: int, *, role: str, active: bool, name: str | None = None) -> User:
    """Change a user's role or active flag; the last active admin cannot be removed.

    Raises:
        UserError: unknown role, or the change would leave no active admin.
    """
    if role not in ROLES:
        raise UserError(f"Role must be one of {', '.join(ROLES)}.", "role")
    with write_transaction(session):
        serialize(session, USERS)  # two admins demoting each other at once: the second sees the first
        user = session.get(User, user_id, populate_existing=True)
        if user is None:
            raise UserError("No such user.")
        if _admins_left_after(session, user, role=role, active=active) == 0:
            raise UserError("Partsemble needs at least one active admin.", "role")
        if user.active and not active:
            user.session_version += 1  # end the user's sessions now
        user.role = role
        user.active = active
        if name is not None:
            user.name = name.strip()
    return user


def end_sessions(session: AnySession, user_id: int) -> None:
    """End every session of the user (logging out ends copies of the cookie too), and commit."""
    with write_transaction(session):
        session.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1))


def change_password(
    session: AnySession, user_id: int, current: str | None, new: str, *, address: str = "", policy: Policy | None = None
) -> User:
    """Set a new password (checking the current one when given, throttled like logins); ends other sessions.

    Raises:
        UserError: wrong current password, too many wrong ones, or too short a new one.
    """
    if len(new) < MIN_PASSWORD_LENGTH:
        raise UserError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", "new_password")
    user = session.get(User, user_id)
    if user is None:
        raise UserError("No such user.")
    email = user.email
    session.rollback()
    wrong = False
    with login_locks(session, login_key("pair", f"{email}|{address}"), login_key("address", address)), write_transaction(session):
        user = session.get(User, user_id, populate_existing=True)
        assert user is not None
        if current is not None:
            policy = policy or Policy(max_failures=5, window_seconds=900)
            now = utcnow()
            wait = throttle.wait_seconds(session, email, address, policy, now)
            if wait:
                raise UserError(f"Too many wrong passwords. Try again in {describe_wait(wait)}.", "current_password")
            wrong = not user.check_password(current)
            if wrong:  # the failure is committed; the password stays
                throttle.record_failure(session, email, address, policy, now)
        if not wrong:
            user.set_password(new)
    if wrong:
        raise UserError("The current password is not right.", "current_password")
    return user


def describe_wait(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled_for: int = 0  # seconds to wait, when throttled
    at: datetime | None = None  # when the login succeeded, for record_login


_UNKNOWN_USER_HASH: dict[str, str] = {}  # by hash method


def _check_nobody(password: str) -> None:
    """As much work as checking a real password, so answer times do not tell which emails exist."""
    method = password_hash_method()
    if method not in _UNKNOWN_USER_HASH:
        _UNKNOWN_USER_HASH[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    check_password_hash(_UNKNOWN_USER_HASH[method], password)


def authenticate(
    session: AnySession,
    email: str,
    password: str,
    address: str,
    *,
    max_failures: int,
    lockout_seconds: int,
    known_user_id: int | None = None,
) -> LoginResult:
    """Check a login; record failures; refuse, without checking, while this email or address must wait.

    `known_user_id` is the user this browser logged in as before (from a signed cookie):
    if it is this account, failures count under the browser and not the address, so an
    attacker at the same address cannot keep the owner out.

    A success writes only when failures of this email from here must be forgotten, so on
    SQLite it does not wait for a long writer (a lot import); the caller records the
    login's time afterwards (`record_login`), once the answer is on its way.
    """
    email = _login_email(email)
    policy = Policy(max_failures=max_failures, window_seconds=lockout_seconds)
    user = session.scalar(select(User).where(User.email == email))
    if user is not None and known_user_id == user.id:
        address = throttle.known_browser_key(user.id)
    session.rollback()  # the lookup's read transaction ends before the locks are taken
    with login_locks(session, login_key("pair", f"{email}|{address}"), login_key("address", address)):
        now = utcnow()
        wait = throttle.wait_seconds(session, email, address, policy, now)
        if wait:
            session.rollback()
            return LoginResult(None, throttled_for=wait)
        user = session.scalar(select(User).where(User.email == email).execution_options(populate_existing=True))
        if user is None:
            _check_nobody(password)
            ok = False
        else:
            ok = user.check_password(password) and bool(user.active)
        if user is None or not ok:
            with write_transaction(session):  # still under the login locks: nobody counted these keys meanwhile
                throttle.record_failure(session, email, address, policy, now)
            return LoginResult(None)
        session.expunge(user)  # the user as checked: its session version cannot change under us
        if throttle.has_failures(session, email, (address,)):
            with write_transaction(session):
                throttle.forget_failures(session, email, (address,))
        else:
            session.rollback()  # nothing to write: the read transaction ends here
    return LoginResult(user, at=now)


# How long a login waits for SQLite's write lock before leaving its time to be written later.
LOGIN_WRITE_WAIT_MS = 100


def record_login(session: AnySession, user_id: int, at: datetime, wait_ms: int | None = None) -> None:
    """Note when the user last logged in (never moving it back), and commit.

    `wait_ms` bounds the wait for SQLite's write lock (see write_transaction); past it this
    raises OperationalError and nothing is written.
    """
    with write_transaction(session, wait_ms):
        session.execute(
            update(User).where(User.id == user_id, or_(User.last_login_at.is_(None), User.last_login_at < at)).values(last_login_at=at)
        )


def record_login_unless_busy(session: AnySession, user_id: int, at: datetime) -> bool:
    """Record the login's time now, unless another writer holds SQLite's one write lock (a lot
    import can hold it for seconds): then write nothing and answer False at once, so the person
    logging in does not wait for the import. PostgreSQL locks rows, not the database: there the
    write never waits for an import and is always done here."""
    try:
        record_login(session, user_id, at, wait_ms=LOGIN_WRITE_WAIT_MS)
    except OperationalError as exc:
        if not is_sqlite(session) or "locked" not in str(exc.orig):
            raise
        return False
    return True


def get_user(session: AnySession, user_id: int) -> User | None:
    return session.get(User, user_id)


def list_users(session: AnySession) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def last_login(user: User) -> datetime | None:
    return user.last_login_at
