"""An embedded QuickBooks Online-compatible sandbox, with a Xero face: the fake company "Juniper & Wick Co.".

`register(app)` mounts it at `/sandbox` (create_app calls it only when
`app.config["SANDBOX"]` is true, which config.check() allows only in debug, demo or
test mode). Its data lives in its own database (`SANDBOX_DATABASE_URL`), apart from
Partsemble's.

Who may call what: the API and the token and revoke endpoints are `@public` and
authenticate as Intuit's do (bearer tokens, HTTP Basic; the token endpoint throttles
wrong client secrets per address). The consent page needs a logged-in user of the app
(whoever connects is one); the company's own screens and controls need an admin of the
app (`requires_role("admin")`, so the host app needs Flask-Login). The request log keeps
the latest `traffic.LOG_LIMIT` requests.

URL map:

    GET  /sandbox/v3/company/<realm>/query?query=SELECT ...   QBO query (also POST with the query as body)
    GET  /sandbox/v3/company/<realm>/cdc?entities=...&changedSince=...
    GET  /sandbox/v3/company/<realm>/<invoice|salesreceipt|creditmemo|item|customer>/<id>
    GET  /sandbox/v3/company/<realm>/companyinfo/<realm>
    GET  /sandbox/oauth2/authorize?client_id&response_type=code&scope&redirect_uri&state   consent page
    POST /sandbox/oauth2/authorize                 Approve / Cancel (CSRF-protected form)
    POST /sandbox/oauth2/tokens/bearer             token endpoint (CSRF-exempt, HTTP Basic)
    POST /sandbox/oauth2/tokens/revoke             revoke endpoint (CSRF-exempt, HTTP Basic, JSON)
    GET  /sandbox/                                 the company's own screens: documents, items,
         /sandbox/documents, /sandbox/items,       customers, faults & traffic (see ui_* modules
         /sandbox/customers, /sandbox/faults        for form field names and selectors)

The Xero face (package `xero`; shared/XERO.md) shows the documents that live in Xero:

    GET    /sandbox/xero/api.xro/2.0/<Invoices|CreditNotes|BankTransactions>?where=&IDs=&page=&pageSize=&order=&unitdp=4
    GET    /sandbox/xero/api.xro/2.0/<Invoices|CreditNotes|BankTransactions>/<uuid>
    GET    /sandbox/xero/api.xro/2.0/Items[/<ItemID or Code>], /sandbox/xero/api.xro/2.0/Organisation
           (bearer token and xero-tenant-id header; If-Modified-Since; 60 calls a minute, 5,000 a day
           per organisation with X-MinLimit-Remaining, X-DayLimit-Remaining, X-AppMinLimit-Remaining)
    GET|POST /sandbox/xero/identity/connect/authorize    consent page: choose organisations, Allow access
    POST   /sandbox/xero/identity/connect/token          token endpoint (CSRF-exempt, HTTP Basic; refresh tokens rotate)
    POST   /sandbox/xero/identity/connect/revocation     revoke a refresh token: its grant and connections end
    GET    /sandbox/xero/connections                     [{id, tenantId, tenantType, tenantName, ...}]
    DELETE /sandbox/xero/connections/<id>                disconnect one organisation (then 403 for it)

Each document lives in one system (`system`: qbo, the default, or xero); the documents screen
moves one across, and items are shared. The demo company is the organisation "Juniper & Wick
Co."; "Demo Company (Global)" is an empty second one.

CLI: `flask sandbox seed-demo | generate N [--system xero] | move qbo|xero [--share S] | reset |
counters | token | xero-token | faults list|add|remove|clear|seed`.

To point Partsemble at it (same host, e.g. http://127.0.0.1:5000):
QBO_API_BASE=<host>/sandbox/v3, QBO_AUTH_URL=<host>/sandbox/oauth2/authorize,
QBO_TOKEN_URL=<host>/sandbox/oauth2/tokens/bearer, QBO_REVOKE_URL=<host>/sandbox/oauth2/tokens/revoke.
For Xero: API base <host>/sandbox/xero/api.xro/2.0, authorize <host>/sandbox/xero/identity/connect/authorize,
token <host>/sandbox/xero/identity/connect/token, revocation <host>/sandbox/xero/identity/connect/revocation,
connections <host>/sandbox/xero/connections; client credentials XERO_CLIENT_ID / XERO_CLIENT_SECRET
(checked when the app config sets them) and XERO_REDIRECT_URI (else the redirect must be on this host).

It is as strict as QBO where a client can trip (shared/QBO.md): times are to the
second and never ahead of real time, so changes within a second share one, and a
bulk import (`generate`, the demo's history) shares one LastUpdatedTime; a CDC
answer holds 1,000 objects across all its entities, deletions cut first; a
company may type tax-inclusive prices (`set_prices_include_tax`); and, on demand,
QBO's request limits (`enforce_request_limits`), throttles in a 403 or a 200
(faults), CDC reporting a live document deleted (quirk), and recorded answers
of real companies served as they were (`load_recorded`).

Under gunicorn, an injected "drop" fault raises inside the response body, which
gunicorn logs as an error before closing the socket; a "slow" fault longer than
the worker timeout gets the worker killed (as a hung upstream would).
"""

from __future__ import annotations

from flask import Flask

from partsemble.sandbox.company import InvalidChange, SandboxCompany
from partsemble.sandbox.faults import FAMILIES, KINDS, BadFaultRule, FaultRule
from partsemble.sandbox.namelists import GroupComponent, ItemDraft
from partsemble.sandbox.payloads import DocumentDraft, LineInput
from partsemble.sandbox.records import ObjectNotFound
from partsemble.sandbox.store import COMPANY_NAME, REALM_ID
from partsemble.sandbox.tokens import TokenPair

__all__ = [
    "COMPANY_NAME",
    "FAMILIES",
    "KINDS",
    "REALM_ID",
    "BadFaultRule",
    "DocumentDraft",
    "FaultRule",
    "GroupComponent",
    "InvalidChange",
    "ItemDraft",
    "LineInput",
    "ObjectNotFound",
    "SandboxCompany",
    "TokenPair",
    "register",
]


def register(app: Flask) -> None:
    """Mount the sandbox at /sandbox and add the `flask sandbox` commands.

    Call it after CSRFProtect.init_app(app): the API blueprint is exempted from CSRF
    (QBO clients post form-encoded token requests without a CSRF token).

    Raises:
        RuntimeError: CSRF protection is not set up on the app yet.
    """
    from partsemble.sandbox import api, oauth, ui_catalog, ui_documents, ui_faults  # noqa: F401  (routes)
    from partsemble.sandbox.blueprints import api_bp, tag_with_intuit_tid, ui_bp
    from partsemble.sandbox.cli import sandbox_cli
    from partsemble.sandbox.xero import api as xero_api, oauth as xero_oauth  # noqa: F401  (routes)

    csrf = app.extensions.get("csrf")
    if csrf is None:
        raise RuntimeError("partsemble.sandbox.register(app) must come after CSRFProtect().init_app(app)")
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(ui_bp)
    # App-wide, so 404s and 405s under /sandbox carry the header too.
    app.after_request(tag_with_intuit_tid)
    app.cli.add_command(sandbox_cli)
