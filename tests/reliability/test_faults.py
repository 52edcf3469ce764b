"""Faults of the accounting system, over real HTTP: every run either completes or stops with a
clear recorded message, nothing is half-applied, retries stay bounded, and a later clean sync
converges to exactly the state of runs that never saw a fault."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select

from partsemble.extensions import db
from partsemble.lots.check import find_violations
from partsemble.models.sync import Connection, SyncLock
from tests.reliability.conftest import FAST_QBO
from tests.reliability.history import change_upstream, last_run
from tests.reliability.world import plain_tokens, read_state, reconnect

MAX_ATTEMPTS = FAST_QBO["QBO_MAX_RETRIES"] + 1
# Waits are capped by the retry budget; each attempt may also wait out a read timeout; a
# token refresh has its own short policy. A behaviour bound, not a performance target.
STOP_WITHIN = Decimal(FAST_QBO["QBO_RETRY_BUDGET"]) + MAX_ATTEMPTS * 2 * Decimal(FAST_QBO["QBO_READ_TIMEOUT"]) + 6

SAYS = {
    "rate": "limiting how fast we may ask",
    "answer": "did not answer properly",
    "refused": "QuickBooks refused a request",
    "access": "QuickBooks refused our access",
    "expired": "connection expired - Reconnect",
}


@dataclass(frozen=True)
class Fault:
    family: str
    kind: str
    ordinals: tuple[int, ...] = ()
    probability: str | None = None
    retry_after: int = 0
    delay: str = "0"


@dataclass(frozen=True)
class Case:
    name: str
    faults: tuple[Fault, ...]
    outcome: str  # completes, stops, either
    says: tuple[str, ...] = ()  # keys of SAYS the recorded message may use when it stops
    second_sync: bool = False  # the fault hits the sync after upstream changes (CDC, deletion reads, refresh)
    before: str = ""  # expire_access: the next API call answers 401; revoke: the grant is dead (invalid_grant)
    seed: int = 0
    known_bug: str = ""  # the reason of a strict xfail, when the behaviour is wrong today


CASES = [
    # 429 bursts, with and without Retry-After
    Case("429 burst with Retry-After is waited out", (Fault("query", "throttle_retry_after", (2, 3), retry_after=1),), "completes"),
    Case(
        "429 with a Retry-After beyond the budget stops at once",
        (Fault("query", "throttle_retry_after", retry_after=60),),
        "stops",
        ("rate",),
    ),
    Case("429 burst without Retry-After backs off", (Fault("query", "throttle", (2, 3, 4)),), "completes"),
    Case("429 on every request stops after the retries", (Fault("query", "throttle"),), "stops", ("rate",)),
    Case("429 on CDC is waited out", (Fault("cdc", "throttle_retry_after", (1,), retry_after=1),), "completes", second_sync=True),
    # 500 and 503 streaks
    Case("one 500 is retried once", (Fault("query", "server_error", (3,)),), "completes"),
    Case("two 500s in a row stop the run", (Fault("query", "server_error", (3, 4)),), "stops", ("answer",)),
    Case("503 streak shorter than the retries", (Fault("query", "unavailable", (2, 3, 4)),), "completes"),
    Case("503 on every request stops the run", (Fault("query", "unavailable"),), "stops", ("answer",)),
    Case("503 streak on CDC stops the run", (Fault("cdc", "unavailable"),), "stops", ("answer",), second_sync=True),
    # an item that cannot be read fails only the documents that need it; they go in on the clean sync
    Case("500 on item reads fails the documents that need them", (Fault("read", "server_error"),), "completes"),
    # slower than the read timeout
    Case("one response slower than the read timeout", (Fault("query", "slow", (2,), delay="1.2"),), "completes"),
    Case("every response slower than the read timeout", (Fault("query", "slow", delay="1.2"),), "stops", ("answer",)),
    Case("slow deletion confirmations", (Fault("read", "slow", (1,), delay="1.2"),), "completes", second_sync=True),
    # the connection dropped mid-page, a truncated body
    Case("connection dropped mid-page, twice", (Fault("query", "drop", (2, 4)),), "completes"),
    Case("connection dropped on every page", (Fault("query", "drop"),), "stops", ("answer",)),
    Case("truncated JSON once", (Fault("query", "truncate", (3,)),), "completes"),
    Case("truncated JSON on every page", (Fault("query", "truncate"),), "stops", ("answer",)),
    Case("truncated CDC answer once", (Fault("cdc", "truncate", (1,)),), "completes", second_sync=True),
    # a 200 carrying a Fault
    # a 200 carrying a SystemFault (10000) is QuickBooks having a bad moment: retried like a 5xx (SPEC, "The connection")
    Case("a 200 carrying a Fault once is retried", (Fault("query", "fault_200", (2,)),), "completes"),
    Case("a 200 carrying a Fault on CDC once is retried", (Fault("cdc", "fault_200", (1,)),), "completes", second_sync=True),
    # XML 401s and refreshes
    Case("an XML 401 refreshes once and goes on", (Fault("query", "xml_401", (2,)),), "completes"),
    Case("XML 401 on every request stops the run", (Fault("query", "xml_401"),), "stops", ("access",)),
    Case("refresh meets a 503 once", (Fault("token", "unavailable", (1,)),), "completes", second_sync=True, before="expire_access"),
    Case(
        "refresh slower than the read timeout once",
        (Fault("token", "slow", (1,), delay="1.2"),),
        "completes",
        second_sync=True,
        before="expire_access",
    ),
    Case("refresh answered invalid_grant", (), "stops", ("expired",), second_sync=True, before="revoke"),
    Case(
        "the token endpoint stays down after a 401",
        (Fault("token", "unavailable"),),
        "stops",
        ("answer",),
        second_sync=True,
        before="expire_access",
    ),
    # everything at once, at random (seeded)
    *[
        Case(
            f"random faults on every endpoint, seed {seed}",
            (
                Fault("all", "unavailable", probability="0.06"),
                Fault("all", "drop", probability="0.05"),
                Fault("all", "truncate", probability="0.05"),
                Fault("all", "throttle_retry_after", probability="0.05", retry_after=0),
                Fault("all", "slow", probability="0.03", delay="0.8"),
            ),
            "either",
            ("answer", "rate"),
            second_sync=second,
            seed=seed,
        )
        for seed, second in ((1, False), (2, False), (3, True), (4, True), (5, False), (6, True))
    ],
]


def press_sync(member):  # type: ignore[no-untyped-def]
    response = member.post("/sales/sync", htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def fired(sandbox, kind: str) -> set[str | None]:  # type: ignore[no-untyped-def]
    """Faults in the sandbox's request log; a slow answer is logged when its sleep ends, after the client gave up."""
    deadline = time.monotonic() + 3
    while True:
        seen = {entry.fault for entry in sandbox.request_log()}
        if kind in seen or time.monotonic() > deadline:
            return seen
        time.sleep(0.1)


def lock_holder(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        holder = db.session.scalar(select(SyncLock.run_id))
        db.session.remove()
    return holder


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, id=c.name, marks=pytest.mark.xfail(strict=True, reason=c.known_bug)) if c.known_bug else pytest.param(c, id=c.name)
        for c in CASES
    ],
)
def test_a_fault_ends_cleanly_and_a_clean_sync_converges(app, live, sandbox, stocked, member, reference, case) -> None:  # type: ignore[no-untyped-def]
    expected = reference(stocked)
    if case.second_sync:
        press_sync(member)
        assert last_run(app).status == "succeeded"
        assert read_state(app).differences(expected.first) == []
        change_upstream(sandbox, stocked)
    if case.before == "expire_access":
        sandbox.expire_access_tokens()
    elif case.before == "revoke":
        sandbox.revoke_token(plain_tokens(app)[1])
    sandbox.reset_counters()
    sandbox.set_fault_seed(case.seed)
    for fault in case.faults:
        sandbox.add_fault(
            fault.family,
            fault.kind,
            ordinals=fault.ordinals,
            probability=fault.probability,
            retry_after=fault.retry_after,
            delay=fault.delay,
        )

    started = time.monotonic()
    panel = press_sync(member)
    took = Decimal(str(time.monotonic() - started))
    run = last_run(app)
    counters = sandbox.counters()
    for fault in case.faults:
        if fault.probability is None:
            assert fault.kind in fired(sandbox, fault.kind), f"the {fault.kind} fault never fired: the case proves nothing"

    assert run.status in ("succeeded", "failed")
    if case.outcome == "completes":
        assert run.status == "succeeded", run.message
    elif case.outcome == "stops":
        assert run.status == "failed"
    if run.status == "failed":
        assert any(SAYS[key] in run.message for key in case.says), run.message
        assert "internal error" not in run.message
        assert "kept" in run.message  # what finished is kept, and the user is told so
        assert run.message.split(".")[0] in panel.get_data(as_text=True)
        # Bounded: no family was asked more often than its retries allow for the one call that failed.
        for fault in case.faults:
            if not fault.ordinals and fault.probability is None and fault.family != "all":
                assert counters.get(fault.family, 0) <= 2 * MAX_ATTEMPTS + 2, counters
    assert took <= STOP_WITHIN, f"the sync took {took}s"
    assert lock_holder(app) is None  # the lock is released whatever happened
    with app.app_context():
        assert find_violations(db.session) == []  # nothing half-applied
        db.session.remove()

    sandbox.clear_faults()
    if case.before == "revoke":
        with app.app_context():
            assert db.session.scalar(select(Connection.status)) == "expired"
            db.session.remove()
        assert "expired - Reconnect" in press_sync(member).get_data(as_text=True)
        reconnect(app, sandbox)
    press_sync(member)
    assert last_run(app).status == "succeeded", last_run(app).message
    assert read_state(app).differences(expected.second if case.second_sync else expected.first) == []
