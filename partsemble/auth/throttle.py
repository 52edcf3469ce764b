"""Login throttling: growing delays per (account, address) and per address, never a hard lockout.

- Failures are counted per (email, address) and per address, over the last
  `window_seconds`. Up to `max_failures` of them cost nothing; after that each
  further attempt must wait 15 s, 30 s, 60 s, ... after the latest failure, at most
  `window_seconds`. A refused attempt is not checked and not counted, so waiting
  ends on time whatever an attacker keeps sending.
- Failures from other addresses never delay the owner of an account, and a browser
  where the account logged in before counts its failures under its own key, so
  people behind the same address as an attacker can still log in.
- An address may fail several times as often over all accounts (a shared office).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, scoped_session

from partsemble.models.accounts import LoginFailure

FIRST_DELAY_SECONDS = 15
ADDRESS_FACTOR = 4  # failures over all accounts an address may make, as a multiple of max_failures


@dataclass(frozen=True)
class Policy:
    max_failures: int
    window_seconds: int

    def delay_after(self, failures: int, allowed: int) -> int:
        """Seconds to wait after the latest failure, when `failures` were counted against `allowed`."""
        if failures < allowed:
            return 0
        return min(self.window_seconds, FIRST_DELAY_SECONDS * 2 ** min(failures - allowed, 16))


def known_browser_key(user_id: int) -> str:
    """The address under which a browser that logged in as this user before counts its failures."""
    return f"known:{user_id}"


def wait_seconds(session: Session | scoped_session[Session], email: str, address: str, policy: Policy, now: datetime) -> int:
    """Seconds before this email may be tried from this address again (0: now)."""
    since = now - timedelta(seconds=policy.window_seconds)
    rows = session.execute(
        select(LoginFailure.email, LoginFailure.address, LoginFailure.at).where(LoginFailure.at >= since, LoginFailure.address == address)
    ).all()
    waits = []
    pair = sorted(row.at for row in rows if row.email == email)
    everything = sorted(row.at for row in rows)
    checks = [(pair, policy.max_failures)]
    if not address.startswith("known:"):
        checks.append((everything, policy.max_failures * ADDRESS_FACTOR))
    for failures, allowed in checks:
        delay = policy.delay_after(len(failures), allowed)
        if delay:
            waits.append(int((failures[-1] + timedelta(seconds=delay) - now).total_seconds() + 0.999))
    return max([0, *waits])


def record_failure(session: Session | scoped_session[Session], email: str, address: str, policy: Policy, now: datetime) -> None:
    session.add(LoginFailure(email=email[:254], address=address[:64], at=now))
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(seconds=policy.window_seconds)))


def has_failures(session: Session | scoped_session[Session], email: str, addresses: tuple[str, ...]) -> bool:
    """Whether forget_failures would delete anything (a success with nothing to forget writes nothing)."""
    found = session.scalar(
        select(LoginFailure.id).where(LoginFailure.email == email, or_(*(LoginFailure.address == a for a in addresses))).limit(1)
    )
    return found is not None


def forget_failures(session: Session | scoped_session[Session], email: str, addresses: tuple[str, ...]) -> None:
    """After a success: the account's failures from here no longer count (other addresses' still do)."""
    session.execute(delete(LoginFailure).where(LoginFailure.email == email, or_(*(LoginFailure.address == a for a in addresses))))
