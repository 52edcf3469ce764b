"""Fault injection: rules stored in the sandbox DB, chosen per request, applied to the reply.

A rule names an endpoint family (query, cdc, read, token of the QBO face; xero_api,
xero_identity of the Xero face; or all) and a kind of fault. A fault answers in the shape
of the face it hits; a kind only one system has (QBO's 403 and 200 throttles, its 200
Fault, its XML 401; Xero's day limit) fires only on that face. It fires on the request ordinals it lists ("the 2nd query request"),
or with a probability drawn from an RNG seeded by (company seed, rule, ordinal)
so a run can be repeated exactly, or on every request when it gives neither.
Rules live in the database so every server process obeys them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask import Response
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from partsemble.sandbox import replies
from partsemble.sandbox.store import StoredFaultRule, get_setting, set_setting
from partsemble.sandbox.traffic import Ordinals
from partsemble.sandbox.xero import replies as xero_replies

FAMILIES = ("query", "cdc", "read", "token", "xero_api", "xero_identity", "all")
XERO_FAMILIES = ("xero_api", "xero_identity")
KINDS = {
    "throttle_retry_after": "429 throttled, with Retry-After",
    "throttle": "429 throttled, without Retry-After",
    "throttle_403": "403 carrying ThrottleExceeded (XML)",
    "throttle_200": "200 carrying a ThrottleExceeded Fault",
    "server_error": "500 server error",
    "unavailable": "503 service unavailable",
    "slow": "slow response (sleep, then answer)",
    "drop": "connection dropped mid-body",
    "truncate": "JSON body cut in half",
    "fault_200": "200 carrying a Fault",
    "xml_401": "401 in XML",
    "throttle_day": "429 day limit reached, with Retry-After (Xero)",
}
QBO_ONLY = frozenset({"throttle_403", "throttle_200", "fault_200", "xml_401"})
XERO_ONLY = frozenset({"throttle_day"})
_REPLACING = {
    "throttle_retry_after",
    "throttle",
    "throttle_403",
    "throttle_200",
    "server_error",
    "unavailable",
    "fault_200",
    "xml_401",
    "throttle_day",
}
_SCALE = 1_000_000


class BadFaultRule(ValueError):
    """The rule names an unknown family or kind, or a probability outside [0, 1]."""


@dataclass(frozen=True)
class FaultRule:
    id: int
    family: str
    kind: str
    probability: Decimal | None
    ordinals: tuple[int, ...]
    retry_after: int
    delay: Decimal

    def describe(self) -> str:
        when = []
        if self.ordinals:
            when.append("request " + ", ".join(f"#{n}" for n in self.ordinals))
        if self.probability is not None:
            when.append(f"p={self.probability}")
        return f"{self.family}: {KINDS[self.kind]} ({' or '.join(when) or 'every request'})"


def parse_ordinals(text: str) -> tuple[int, ...]:
    """`"2, 5 7"` as (2, 5, 7).

    Raises:
        BadFaultRule: a part is not a positive whole number.
    """
    parts = [part for part in text.replace(",", " ").split() if part]
    if not all(part.isdigit() and int(part) > 0 for part in parts):
        raise BadFaultRule(f"request numbers must be positive whole numbers, not {text!r}")
    return tuple(sorted({int(part) for part in parts}))


def add_rule(
    conn: Connection,
    family: str,
    kind: str,
    *,
    probability: Decimal | str | None = None,
    ordinals: Iterable[int] = (),
    retry_after: int = 60,
    delay: Decimal | str = Decimal("0"),
) -> FaultRule:
    """Store a rule; later rules are checked after earlier ones.

    Raises:
        BadFaultRule: unknown family or kind, probability outside [0, 1], negative delay.
    """
    if family not in FAMILIES:
        raise BadFaultRule(f"family must be one of {', '.join(FAMILIES)}, not {family!r}")
    if kind not in KINDS:
        raise BadFaultRule(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if (family in XERO_FAMILIES and kind in QBO_ONLY) or (family not in XERO_FAMILIES and family != "all" and kind in XERO_ONLY):
        raise BadFaultRule(f"kind {kind!r} does not exist on the face of family {family!r}")
    try:
        chance = None if probability in (None, "") else Decimal(str(probability))
        pause = Decimal(str(delay or "0"))
    except InvalidOperation as exc:
        raise BadFaultRule("probability and delay must be numbers") from exc
    if chance is not None and not Decimal("0") <= chance <= Decimal("1"):
        raise BadFaultRule("probability must be between 0 and 1")
    if pause < 0 or retry_after < 0:
        raise BadFaultRule("delay and Retry-After must not be negative")
    numbers = tuple(sorted(set(ordinals)))
    if any(n < 1 for n in numbers):
        raise BadFaultRule("request numbers start at 1")
    rule_id = conn.execute(
        insert(StoredFaultRule).values(
            family=family,
            kind=kind,
            probability=None if chance is None else str(chance),
            ordinals=",".join(str(n) for n in numbers),
            retry_after=retry_after,
            delay=str(pause),
        )
    ).inserted_primary_key[0]
    return FaultRule(int(rule_id), family, kind, chance, numbers, retry_after, pause)


def rules(conn: Connection) -> list[FaultRule]:
    """Every rule, in the order they are checked."""
    rows = conn.execute(select(*StoredFaultRule.__table__.c).order_by(StoredFaultRule.id)).all()
    return [
        FaultRule(
            id=row.id,
            family=row.family,
            kind=row.kind,
            probability=None if row.probability is None else Decimal(row.probability),
            ordinals=tuple(int(n) for n in row.ordinals.split(",") if n),
            retry_after=row.retry_after,
            delay=Decimal(row.delay),
        )
        for row in rows
    ]


def delete_rule(conn: Connection, rule_id: int) -> None:
    conn.execute(delete(StoredFaultRule).where(StoredFaultRule.id == rule_id))


def clear_rules(conn: Connection) -> None:
    conn.execute(delete(StoredFaultRule))


def seed(conn: Connection) -> int:
    return int(get_setting(conn, "fault_seed") or 0)


def set_seed(conn: Connection, value: int) -> None:
    set_setting(conn, "fault_seed", str(value))


def face_of(family: str) -> str:
    return "xero" if family in XERO_FAMILIES else "qbo"


def choose(candidates: Sequence[FaultRule], rng_seed: int, family: str, ordinals: Ordinals) -> FaultRule | None:
    """The first rule that fires for this request, if any (an `all` rule of a kind the face lacks never does)."""
    foreign = QBO_ONLY if face_of(family) == "xero" else XERO_ONLY
    for rule in candidates:
        if rule.kind in foreign:
            continue
        if rule.family == family:
            number = ordinals.family
        elif rule.family == "all":
            number = ordinals.all
        else:
            continue
        if number in rule.ordinals:
            return rule
        if rule.probability is not None:
            draw = random.Random(f"{rng_seed}:{rule.id}:{number}").randrange(_SCALE)
            if draw < rule.probability * _SCALE:
                return rule
        elif not rule.ordinals:
            return rule
    return None


def reply_instead(rule: FaultRule, face: str = "qbo") -> Response | None:
    """The reply that replaces the real one, or None when the real one is to be computed.

    A slow fault sleeps here, then lets the real reply through.
    """
    if rule.kind == "slow":
        time.sleep(int(rule.delay * 1000) / 1000)
        return None
    if rule.kind not in _REPLACING:
        return None
    if face == "xero":
        return {
            "throttle_retry_after": lambda: xero_replies.throttled_reply("minute", rule.retry_after),
            "throttle": lambda: xero_replies.throttled_reply("minute", None),
            "throttle_day": lambda: xero_replies.throttled_reply("day", rule.retry_after),
            "server_error": xero_replies.server_error_reply,
            "unavailable": replies.unavailable_reply,
        }[rule.kind]()
    return {
        "throttle_retry_after": lambda: replies.throttled_reply(rule.retry_after),
        "throttle": lambda: replies.throttled_reply(None),
        "throttle_403": lambda: replies.throttled_reply(None, 403),
        "throttle_200": replies.throttle_in_ok_reply,
        "server_error": replies.server_error_reply,
        "unavailable": replies.unavailable_reply,
        "fault_200": replies.fault_in_ok_reply,
        "xml_401": replies.xml_unauthorized_reply,
    }[rule.kind]()


def _cut_short(body: bytes) -> Iterator[bytes]:
    yield body
    # Werkzeug's server treats ConnectionError as a dropped client and closes the socket
    # quietly; gunicorn closes it on any error once headers are out.
    raise ConnectionAbortedError("sandbox fault: connection dropped mid-body")


def damage(rule: FaultRule, response: Response) -> Response:
    """The real reply spoiled after the fact: cut in half, or dropped mid-body."""
    if rule.kind not in ("truncate", "drop"):
        return response
    body = response.get_data()
    half = body[: len(body) // 2]
    if rule.kind == "truncate":
        response.set_data(half)
        return response
    broken = Response(_cut_short(half), status=response.status_code, headers=dict(response.headers))
    broken.headers["Content-Length"] = str(len(body))
    broken.direct_passthrough = True
    return broken
