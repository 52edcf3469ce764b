"""Mixed into SandboxCompany: which system a document lives in, Xero statuses set by hand, and
the Xero face's tokens, limits and clock for tests and scripts."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from partsemble.sandbox import entities, jsontext
from partsemble.sandbox.clock import qbo_time
from partsemble.sandbox.records import InvalidChange, load_row
from partsemble.sandbox.revisions import void_payload
from partsemble.sandbox.store import StoredObject, next_stamp, reading, writing
from partsemble.sandbox.xero import identity, limits
from partsemble.sandbox.xero.schema import DEMO_ORGANISATION, MANUAL_STATUSES, SYSTEMS

_SCALE = 1_000_000


def _transaction(entity: str) -> str:
    found = entities.canonical(entity)
    if found not in entities.TRANSACTIONS:
        raise InvalidChange(f"{entity!r} is not one of {', '.join(entities.TRANSACTIONS)}")
    return found


def bumped(payload: dict[str, Any], *, sync_token: int, updated: int) -> dict[str, Any]:
    """The same document at a new version (SyncToken and LastUpdatedTime moved on)."""
    changed = copy.deepcopy(payload)
    changed["SyncToken"] = str(sync_token)
    changed["MetaData"] = {**changed["MetaData"], "LastUpdatedTime": qbo_time(updated)}
    return changed


class XeroControls:
    engine: Engine
    clock: Callable[[], int] | None

    def _change_stamp(self, conn: Any) -> int:
        return next_stamp(conn, None if self.clock is None else self.clock())

    def system_of(self, entity: str, doc_id: str | int) -> str:
        """ "qbo" or "xero".

        Raises:
            ObjectNotFound: no such document.
        """
        with reading(self.engine) as conn:
            return str(load_row(conn, _transaction(entity), doc_id).system)

    def move_document(self, entity: str, doc_id: str | int, system: str) -> dict[str, Any]:
        """Move a document to the other accounting system: it leaves one face and, changed now, appears
        in the other's incremental reads. A voided one becomes what the new system shows of a void
        (QBO zeroes its amounts); a deleted one cannot move.

        Raises:
            ObjectNotFound: no such document.
            InvalidChange: unknown system, already there, deleted, or a void leaving QBO (its amounts are gone).
        """
        entity = _transaction(entity)
        if system not in SYSTEMS:
            raise InvalidChange(f"system must be one of {', '.join(SYSTEMS)}, not {system!r}")
        with writing(self.engine) as conn:
            row = load_row(conn, entity, doc_id)
            if row.system == system:
                raise InvalidChange(f"{entity} {doc_id} is already in {system}")
            if row.deleted_at is not None:
                raise InvalidChange(f"{entity} {doc_id} was deleted and stays where it was deleted")
            if row.voided and system == "xero":
                raise InvalidChange(f"{entity} {doc_id} was voided in QuickBooks, which zeroed its amounts; it cannot move to Xero")
            stamp = self._change_stamp(conn)
            current = jsontext.loads(row.payload)
            payload = (
                void_payload(current, sync_token=row.sync_token + 1, updated=stamp)
                if row.voided
                else bumped(current, sync_token=row.sync_token + 1, updated=stamp)
            )
            conn.execute(
                update(StoredObject)
                .where(StoredObject.entity == entity, StoredObject.id == row.id)
                .values(
                    system=system, xero_status=None, sync_token=row.sync_token + 1, last_updated_time=stamp, payload=jsontext.dumps(payload)
                )
            )
        return payload

    def move_share(self, system: str, share: Decimal | str = Decimal("1"), *, seed: int = 1) -> int:
        """Move a seeded random share of the other system's documents into `system`, in one change;
        deleted ones, and QBO voids bound for Xero, stay. Returns how many moved.

        Raises:
            ValueError: unknown system, or a share outside 0..1.
        """
        chance = Decimal(str(share))
        if system not in SYSTEMS or not Decimal(0) <= chance <= Decimal(1):
            raise ValueError("system must be qbo or xero and the share between 0 and 1")
        rng = random.Random(seed)
        moved = 0
        with writing(self.engine) as conn:
            clauses = [StoredObject.entity.in_(entities.TRANSACTIONS), StoredObject.system != system, StoredObject.deleted_at.is_(None)]
            if system == "xero":
                clauses.append(StoredObject.voided.is_(False))
            rows = conn.execute(
                select(StoredObject.entity, StoredObject.id, StoredObject.sync_token, StoredObject.voided, StoredObject.payload)
                .where(*clauses)
                .order_by(StoredObject.id)
            ).all()
            stamp = self._change_stamp(conn)
            for row in rows:
                if rng.randrange(_SCALE) >= chance * _SCALE:
                    continue
                current = jsontext.loads(row.payload)
                version = row.sync_token + 1
                payload = (
                    void_payload(current, sync_token=version, updated=stamp)
                    if row.voided
                    else bumped(current, sync_token=version, updated=stamp)
                )
                conn.execute(
                    update(StoredObject)
                    .where(StoredObject.entity == row.entity, StoredObject.id == row.id)
                    .values(system=system, xero_status=None, sync_token=version, last_updated_time=stamp, payload=jsontext.dumps(payload))
                )
                moved += 1
        return moved

    def set_xero_status(self, entity: str, doc_id: str | int, status: str) -> None:
        """Make a live Xero invoice or credit note DRAFT or SUBMITTED, or AUTHORISED again (PAID when it is paid).

        Raises:
            ObjectNotFound: no such document.
            InvalidChange: not in Xero, voided or deleted, a bank transaction (always AUTHORISED), or another status.
        """
        entity = _transaction(entity)
        if status not in MANUAL_STATUSES:
            raise InvalidChange(f"status must be one of {', '.join(MANUAL_STATUSES)}, not {status!r}")
        with writing(self.engine) as conn:
            row = load_row(conn, entity, doc_id)
            if row.system != "xero":
                raise InvalidChange(f"{entity} {doc_id} is not in Xero")
            if row.deleted_at is not None or row.voided:
                raise InvalidChange(f"{entity} {doc_id} is voided or deleted")
            if entity == "SalesReceipt" and status != "AUTHORISED":
                raise InvalidChange("a bank transaction is always AUTHORISED")
            stamp = self._change_stamp(conn)
            payload = bumped(jsontext.loads(row.payload), sync_token=row.sync_token + 1, updated=stamp)
            conn.execute(
                update(StoredObject)
                .where(StoredObject.entity == entity, StoredObject.id == row.id)
                .values(
                    xero_status=None if status == "AUTHORISED" else status,
                    sync_token=row.sync_token + 1,
                    last_updated_time=stamp,
                    payload=jsontext.dumps(payload),
                )
            )

    def issue_xero_tokens(
        self, client_id: str = "sandbox-client", *, tenant_ids: tuple[str, ...] = (DEMO_ORGANISATION.tenant_id,), scope: str | None = None
    ) -> identity.XeroTokens:
        """A Xero grant connected to `tenant_ids`, without the consent page (for tests and scripts)."""
        with writing(self.engine) as conn:
            grant_id = identity.new_grant(
                conn, client_id, scope or "offline_access accounting.transactions.read accounting.settings.read", list(tenant_ids)
            )
            return identity.issue_tokens(conn, grant_id, client_id)

    def age_xero_tokens(self, seconds: int) -> None:
        """Let `seconds` go by for every Xero token (access tokens expire, spent refresh tokens leave their grace)."""
        with writing(self.engine) as conn:
            identity.age_tokens(conn, seconds)

    def set_xero_limits(self, *, per_minute: int = limits.PER_MINUTE, per_day: int = limits.PER_DAY) -> None:
        """Xero's call limits per organisation (60 a minute, 5,000 a day unless changed here).

        Raises:
            ValueError: a limit below 1.
        """
        with writing(self.engine) as conn:
            limits.set_limits(conn, per_minute, per_day)
