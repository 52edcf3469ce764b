"""The QBO v3 API of the sandbox: query, CDC, reads and CompanyInfo, in QBO's shapes.

Every call needs `Authorization: Bearer <access token issued here>` (else the
lower-case JSON 401) and the company's realm in the path (else 403). Minor
versions below 75 are treated as 75, as Intuit does since 2025-08-01, so the
answer does not depend on `minorversion`; it is recorded in the request log.
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Response, request

from partsemble.sandbox import entities, jsontext, tokens
from partsemble.sandbox.blueprints import api_bp, current_company
from partsemble.sandbox.clock import MICROS, BadTimestamp, now_us, parse_timestamp, qbo_time
from partsemble.sandbox.company import SandboxCompany
from partsemble.sandbox.metering import metered
from partsemble.sandbox.namelists import render_company_info
from partsemble.sandbox.query import QueryError, parse_query
from partsemble.sandbox.replies import (
    authentication_failed_reply,
    authorization_failed_reply,
    cdc_reply,
    entity_reply,
    fault_reply,
    not_found_reply,
    query_reply,
)
from partsemble.sandbox.search import changes_since, read_object, run_query
from partsemble.sandbox.store import get_setting, reading
from partsemble.web.guard import public

CDC_LOOKBACK = timedelta(days=30)
_FROM = re.compile(r"\bfrom\s+([A-Za-z]+)", re.IGNORECASE)


def _denied(company: SandboxCompany, realm: str) -> Response | None:
    """The 401/403 reply when the bearer token or the realm is wrong, else None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    with reading(company.engine) as conn:
        valid = scheme.lower() == "bearer" and bool(token.strip()) and tokens.access_is_valid(conn, token.strip())
        realm_id = get_setting(conn, "realm_id")
    if not valid:
        return authentication_failed_reply()
    if realm != realm_id:
        return authorization_failed_reply()
    return None


def _query_detail(_kwargs: dict[str, str]) -> str | None:
    match = _FROM.search(request.args.get("query") or request.get_data(as_text=True) or "")
    return (entities.canonical(match.group(1)) or "other") if match else None


@api_bp.route("/v3/company/<realm>/query", methods=["GET", "POST"])
@public
@metered("query", _query_detail)
def query(realm: str) -> Response:
    """`?query=SELECT ...` (or the query as a POST body, as QBO also allows)."""
    company = current_company()
    denied = _denied(company, realm)
    if denied:
        return denied
    text = request.args.get("query") if request.method == "GET" else request.get_data(as_text=True)
    try:
        parsed = parse_query(text or "")
        with reading(company.engine) as conn:
            omit_sku = get_setting(conn, "quirk:sku_only_when_selected") == "1"
            rows = run_query(conn, parsed, sku_only_when_selected=omit_sku)
    except QueryError as error:
        return fault_reply(error.code, error.message, error.detail)
    return query_reply(parsed.entity, parsed.start_position, rows)


@api_bp.get("/v3/company/<realm>/cdc")
@public
@metered("cdc")
def cdc(realm: str) -> Response:
    """Changes since `changedSince` (30 days back at most) of the `entities` listed."""
    company = current_company()
    denied = _denied(company, realm)
    if denied:
        return denied
    names = [name.strip() for name in request.args.get("entities", "").split(",") if name.strip()]
    if not names:
        return fault_reply("2010", "Request has invalid or unsupported property", "Property Name:entities is required for operation cdc")
    resolved = [entities.canonical(name) for name in names]
    unknown = [name for name, entity in zip(names, resolved) if entity is None]
    if unknown:
        return fault_reply(
            "2010", "Request has invalid or unsupported property", f"Operation cdc is not supported for entities: {', '.join(unknown)}"
        )
    since_text = request.args.get("changedSince", "")
    try:
        since = parse_timestamp(since_text)
    except BadTimestamp:
        return fault_reply(
            "2010", "Request has invalid or unsupported property", f"Property Name:changedSince has an invalid value: {since_text!r}"
        )
    if since < now_us() - CDC_LOOKBACK.days * 86_400 * MICROS:
        return fault_reply(
            "2010",
            "Request has invalid or unsupported property",
            f"Operation cdc with changedSince date {qbo_time(since)} which is older than fixed days is not supported.",
        )
    with reading(company.engine) as conn:
        false_tombstone = get_setting(conn, "quirk:cdc_live_reported_deleted") == "1"
        changes = changes_since(conn, [entity for entity in resolved if entity], since, report_live_as_deleted=false_tombstone)
    return cdc_reply([(change.entity, change.objects) for change in changes])


@api_bp.get("/v3/company/<realm>/companyinfo/<company_id>")
@public
@metered("read", lambda kwargs: "CompanyInfo")
def company_info(realm: str, company_id: str) -> Response:
    company = current_company()
    denied = _denied(company, realm)
    if denied:
        return denied
    if company_id != realm:
        return not_found_reply()
    with reading(company.engine) as conn:
        created = int(get_setting(conn, "created_at") or 0)
        name = get_setting(conn, "company_name") or ""
    payload = render_company_info(name, created=created, updated=created)
    return entity_reply("CompanyInfo", jsontext.dumps(payload))


@api_bp.get("/v3/company/<realm>/<entity_name>/<object_id>")
@public
@metered("read", lambda kwargs: entities.BY_PATH_NAME.get(kwargs["entity_name"].lower(), "other"))
def read(realm: str, entity_name: str, object_id: str) -> Response:
    """One Invoice, SalesReceipt, CreditMemo, Item or Customer; 400/610 when missing or deleted."""
    company = current_company()
    denied = _denied(company, realm)
    if denied:
        return denied
    entity = entities.BY_PATH_NAME.get(entity_name.lower())
    if entity is None:
        return fault_reply(
            "2010", "Request has invalid or unsupported property", f"Operation read is not supported for entity {entity_name}"
        )
    with reading(company.engine) as conn:
        text = read_object(conn, entity, object_id)
    if text is None:
        return not_found_reply()
    return entity_reply(entity, text)
