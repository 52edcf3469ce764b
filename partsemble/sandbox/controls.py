"""The knobs of the sandbox that QBO does not have: faults, quirks, tokens, traffic."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from partsemble.sandbox import faults, limits, recorded, tokens, traffic
from partsemble.sandbox.store import get_setting, prices_include_tax, reading, set_setting, writing

QUIRKS = {
    "sku_only_when_selected": "Leave Sku out of items unless the query says SELECT *, Sku",
    "cdc_live_reported_deleted": "CDC also reports the latest changed live document as deleted (a client library saw QBO do this)",
}


class UnknownQuirk(ValueError):
    """The quirk is not one of QUIRKS."""


class SandboxControls:
    """Mixed into SandboxCompany: fault injection, quirks, tokens without a browser, counters."""

    engine: Engine
    access_token_lifetime: int

    # Faults and quirks
    def add_fault(
        self,
        family: str,
        kind: str,
        *,
        probability: Decimal | str | None = None,
        ordinals: Iterable[int] = (),
        retry_after: int = 60,
        delay: Decimal | str = Decimal("0"),
    ) -> faults.FaultRule:
        """Inject a fault: see `faults` for families and kinds. Raises faults.BadFaultRule."""
        with writing(self.engine) as conn:
            return faults.add_rule(conn, family, kind, probability=probability, ordinals=ordinals, retry_after=retry_after, delay=delay)

    def faults(self) -> list[faults.FaultRule]:
        with reading(self.engine) as conn:
            return faults.rules(conn)

    def remove_fault(self, rule_id: int) -> None:
        with writing(self.engine) as conn:
            faults.delete_rule(conn, rule_id)

    def clear_faults(self) -> None:
        with writing(self.engine) as conn:
            faults.clear_rules(conn)

    def set_fault_seed(self, seed: int) -> None:
        """Seed of the probability draws: same seed, same requests fail."""
        with writing(self.engine) as conn:
            faults.set_seed(conn, seed)

    def set_quirk(self, name: str, enabled: bool) -> None:
        if name not in QUIRKS:
            raise UnknownQuirk(f"quirk must be one of {', '.join(QUIRKS)}")
        with writing(self.engine) as conn:
            set_setting(conn, f"quirk:{name}", "1" if enabled else "0")

    def quirks(self) -> dict[str, bool]:
        with reading(self.engine) as conn:
            return {name: get_setting(conn, f"quirk:{name}") == "1" for name in QUIRKS}

    # The company's tax preference (a QBO company setting, here switchable at any time)
    def set_prices_include_tax(self, enabled: bool) -> None:
        """New documents are typed with tax-inclusive prices (GlobalTaxCalculation "TaxInclusive")
        unless the draft says otherwise; existing documents keep theirs."""
        with writing(self.engine) as conn:
            set_setting(conn, "pref:tax_inclusive", "1" if enabled else "0")

    def prices_include_tax(self) -> bool:
        with reading(self.engine) as conn:
            return prices_include_tax(conn)

    def enforce_request_limits(self, enabled: bool, *, per_second: int = limits.PER_SECOND, per_minute: int = limits.PER_MINUTE) -> None:
        """Answer past QBO's 10 requests a second or 500 a minute with its 429 ThrottleExceeded.

        Raises:
            ValueError: a limit below 1.
        """
        with writing(self.engine) as conn:
            limits.enforce(conn, enabled, per_second, per_minute)

    # Recorded answers of real companies
    def load_recorded(self, entity: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Store a document or item exactly as a real QBO company answered it (Id, SyncToken, times kept).

        Raises:
            recorded.BadRecording: it cannot be served as QBO served it.
        """
        with writing(self.engine) as conn:
            return recorded.load_recorded(conn, entity, payload)

    # Tokens
    def issue_tokens(self, client_id: str = "sandbox-client") -> tokens.TokenPair:
        """An access and refresh token without the browser approval (for tests and scripts)."""
        with writing(self.engine) as conn:
            return tokens.issue_pair(conn, client_id, self.access_token_lifetime)

    def expire_access_tokens(self) -> int:
        """Expire every access token now (refresh tokens stay valid)."""
        with writing(self.engine) as conn:
            return tokens.expire_access_tokens(conn)

    def revoke_token(self, token: str) -> bool:
        with writing(self.engine) as conn:
            return tokens.revoke(conn, token)

    # Traffic
    def counters(self) -> dict[str, int]:
        """Requests counted per `all`, family and `family.detail` since the last reset."""
        with reading(self.engine) as conn:
            return traffic.counters(conn)

    def request_log(self, *, limit: int | None = None) -> list[traffic.RequestRecord]:
        with reading(self.engine) as conn:
            return traffic.request_log(conn, limit=limit)

    def reset_counters(self) -> None:
        """Zero the counters and clear the request log (fault ordinals restart at 1)."""
        with writing(self.engine) as conn:
            traffic.reset(conn)
