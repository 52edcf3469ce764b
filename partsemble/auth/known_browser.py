"""A signed cookie saying which user last logged in from this browser.

Login throttling counts this browser's failures apart from its address's, so an
attacker sharing the address (or spraying it) does not keep the owner out. The
cookie holds only the user id, signed with the secret key; it grants nothing else.
"""

from __future__ import annotations

from flask import Request, Response, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "partsemble_known"
MAX_AGE = 90 * 24 * 3600
_SALT = "partsemble.known-browser"


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def remember(response: Response, user_id: int) -> None:
    response.set_cookie(
        COOKIE,
        _signer().dumps(user_id),
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )


def user_id(request: Request) -> int | None:
    """The user id the cookie vouches for, or None (absent, tampered, or older than 90 days)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        value = _signer().loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
