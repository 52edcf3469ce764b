"""The organisations one Xero authorization covers (`GET /connections`), and disconnecting one."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import requests

from partsemble.connectors.errors import MalformedResponse
from partsemble.connectors.retry import Timeouts
from partsemble.connectors.transport import TokenProvider, describe_request_error
from partsemble.connectors.xero.http import CONNECTIONS_URL, XeroHttp

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tenant:
    """One organisation the user let this app see; `connection_id` is what disconnecting it takes."""

    connection_id: str
    tenant_id: str
    name: str
    type: str  # ORGANISATION for a Xero organisation


def list_tenants(http: XeroHttp, connections_url: str = CONNECTIONS_URL) -> list[Tenant]:
    """Every organisation the token's authorization covers (practice-manager tenants included; the caller picks).

    Raises:
        MalformedResponse: the answer is not a list of connections with ids.
        ConnectorError: from the transport.
    """
    body = http.get_url(connections_url)
    if not isinstance(body, list):
        raise MalformedResponse(f"GET {urlsplit(connections_url).path}: the answer is not a list of connections")
    tenants: list[Tenant] = []
    for position, entry in enumerate(body, start=1):
        if not isinstance(entry, Mapping):
            raise MalformedResponse(f"connection {position} is not an object")
        values = [entry.get(key) for key in ("id", "tenantId", "tenantName", "tenantType")]
        connection_id, tenant_id, name, kind = (value if isinstance(value, str) else "" for value in values)
        if not connection_id or not tenant_id:
            raise MalformedResponse(f"connection {position} has no id or tenantId")
        tenants.append(Tenant(connection_id=connection_id, tenant_id=tenant_id, name=name, type=kind))
    return tenants


def disconnect(
    session: requests.Session,
    *,
    tokens: TokenProvider,
    connection_id: str,
    connections_url: str = CONNECTIONS_URL,
    timeouts: Timeouts = Timeouts(),
) -> bool:
    """Remove one organisation from the authorization (`DELETE /connections/{id}`); best effort, True on 204.

    Never raises for an HTTP or network failure.
    """
    url = f"{connections_url.rstrip('/')}/{quote(connection_id, safe='')}"
    where = f"DELETE {urlsplit(url).path}"
    try:
        response = session.delete(url, headers={"Authorization": f"Bearer {tokens.access_token()}"}, timeout=timeouts.for_requests())
    except requests.exceptions.RequestException as exc:
        logger.warning("Xero %s failed: %s", where, describe_request_error(exc))
        return False
    if response.status_code not in (200, 204):
        logger.warning("Xero %s failed: status=%s", where, response.status_code)
        return False
    return True
