"""Admin API: /admin/v1/* behind Cognito. Glue only: every rule is in :mod:`xsell.admin`."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.admin import operations, reports, requests
from xsell import env, observability, topology
from xsell.admin import audit, configs
from xsell.admin import contract as c
from xsell.admin.access import Principal
from xsell.admin.documents import CAMPAIGN, CREATIVE, GROUP, PARTNER, SITE
from xsell.dal import config as config_store
from xsell.decisioning.catalog import GROUP_ID
from xsell.http import register_domain_errors

env.require(topology.FUNCTIONS["admin"].env)
logger = Logger(service="xsell-admin")
tracer = observability.tracer("admin")  # Powertools Tracer in Lambda
metrics = observability.Emf("admin")
app = APIGatewayRestResolver()
register_domain_errors(app)
app.include_router(operations.router)
app.include_router(reports.router)


def principal() -> Principal:
    return requests.principal(app.current_event)


def body(schema: c.Schema, *, optional: bool = False) -> dict[str, Any]:
    return requests.body(app.current_event, schema, optional=optional)


def query_int(name: str, **limits: Any) -> int:
    return requests.query_int(app.current_event, name, **limits)


NOT_FOUND = {"not_found": "No such document, or not one you can see."}
BAD = {"invalid_request": "The body or a parameter is malformed; `field` names it."}
CONFLICT = {
    "conflict": "Someone saved in between: `current` holds their draft.",
    "exists": "It exists already.",
}


@app.get(
    "/admin/v1/health",
    **c.route(
        "health",
        "Is the admin API up, and which config version is live",
        "admin-config",
        (c.OBJECT, "Status."),
    ),
)
def health() -> dict[str, Any]:
    principal()
    return {"status": "ok", "config_version": config_store.live_version()}


@app.get(
    "/admin/v1/me",
    **c.route("me", "Who is signed in: e-mail, role and brand", "admin-config", (c.OBJECT, "The user.")),
)
def me() -> dict[str, Any]:
    user = principal()
    return {
        "user": user.user,
        "email": user.email,
        "role": user.role,
        "brand": user.brand,
        "can_write": user.can_write,
    }


@app.get(
    "/admin/v1/brands",
    **c.route(
        "listBrands",
        "The group's brands: what a campaign may send customers to",
        "admin-config",
        (c.BRANDS, "Brand ids, for every role (no site settings)."),
    ),
)
def brands() -> dict[str, Any]:
    return {"brands": configs.group_brands(principal())}


# --- drafts: one set of routes per kind of document -------------------------------------------

PLURALS = {SITE: "sites", CREATIVE: "creatives", CAMPAIGN: "campaigns", PARTNER: "partners"}


def _document_routes(kind: str, plural: str) -> None:
    base = f"/admin/v1/{plural}"
    name = plural.capitalize()
    one = kind.capitalize()

    @app.get(
        base,
        **c.route(
            f"list{name}",
            f"List {plural} (drafts, with their live form)",
            "admin-config",
            (c.DOCUMENTS, f"The {plural} you may see."),
        ),
    )
    def list_documents() -> list[dict[str, Any]]:
        return configs.list_documents(principal(), kind)

    @app.get(
        f"{base}/<doc_id>",
        **c.route(
            f"get{one}",
            f"One {kind}: draft, live form, diff",
            "admin-config",
            (c.DOCUMENT, f"The {kind}."),
            **NOT_FOUND,
        ),
    )
    def get_document(doc_id: str) -> dict[str, Any]:
        return configs.get_document(principal(), kind, doc_id)

    @app.put(
        f"{base}/<doc_id>",
        **c.route(
            f"save{one}",
            f"Create or change the draft of a {kind}",
            "admin-config",
            (c.DOCUMENT, "The saved draft."),
            body=(c.SAVE_REQUEST, "The document and the rev it was edited from."),
            **BAD,
            **CONFLICT,
        ),
    )
    def save_document(doc_id: str) -> dict[str, Any]:
        request = body(c.SAVE_REQUEST)
        return configs.save_document(principal(), kind, doc_id, request["data"], request.get("rev"))

    @app.delete(
        f"{base}/<doc_id>",
        **c.route(
            f"delete{one}",
            f"Delete a {kind} (live until the next publish)",
            "admin-config",
            (c.OBJECT, "Marked deleted."),
            **NOT_FOUND,
            **BAD,
            **CONFLICT,
            params=[
                c.query("rev", {"type": "integer", "minimum": 0}, "The revision deleted.", required=True)
            ],
            in_use="Campaigns still use it.",
        ),
    )
    def delete_document(doc_id: str) -> dict[str, Any]:
        return configs.delete_document(principal(), kind, doc_id, query_int("rev", required=True))


for _kind, _plural in PLURALS.items():
    _document_routes(_kind, _plural)


@app.get(
    "/admin/v1/settings",
    **c.route(
        "getSettings",
        "The group settings: ranks, guards, caps, reciprocity, domains",
        "admin-config",
        (c.DOCUMENT, "The settings."),
    ),
)
def get_settings() -> dict[str, Any]:
    return configs.get_document(principal(), GROUP, GROUP_ID)


@app.put(
    "/admin/v1/settings",
    **c.route(
        "saveSettings",
        "Change the draft of the group settings (group admins)",
        "admin-config",
        (c.DOCUMENT, "The saved draft."),
        body=(c.SAVE_REQUEST, "The settings and the rev they were edited from."),
        **BAD,
        **CONFLICT,
    ),
)
def save_settings() -> dict[str, Any]:
    request = body(c.SAVE_REQUEST)
    return configs.save_document(principal(), GROUP, GROUP_ID, request["data"], request.get("rev"))


# --- approvals, publishing, versions ----------------------------------------------------------

_APPROVAL = {
    "approval_not_needed": "Nothing in it waits for approval.",
    "changed_since_review": "It changed since the fingerprint you reviewed.",
}


@app.post(
    "/admin/v1/campaigns/<doc_id>/approval-request",
    **c.route(
        "requestApproval",
        "Ask the other brand (or a group admin) to approve a campaign",
        "admin-publish",
        (c.DOCUMENT, "The campaign."),
        body=(c.COMMENT_REQUEST, "An optional comment."),
        **NOT_FOUND,
        **BAD,
        **_APPROVAL,
        conflict="Someone saved in between.",
    ),
)
def request_approval(doc_id: str) -> dict[str, Any]:
    return configs.request_approval(
        principal(), doc_id, body(c.COMMENT_REQUEST, optional=True).get("comment", "")
    )


@app.post(
    "/admin/v1/campaigns/<doc_id>/approve",
    **c.route(
        "approveCampaign",
        "Approve the campaign's current content (a second person)",
        "admin-publish",
        (c.DOCUMENT, "The campaign."),
        body=(c.APPROVE_REQUEST, "The fingerprint reviewed and a comment."),
        **NOT_FOUND,
        **BAD,
        **_APPROVAL,
        conflict="Someone saved in between.",
    ),
)
def approve(doc_id: str) -> dict[str, Any]:
    request = body(c.APPROVE_REQUEST, optional=True)
    return configs.decide_approval(
        principal(),
        doc_id,
        approve=True,
        fingerprint=request.get("fingerprint"),
        comment=request.get("comment", ""),
    )


@app.post(
    "/admin/v1/campaigns/<doc_id>/reject",
    **c.route(
        "rejectCampaign",
        "Send a campaign back to its editor",
        "admin-publish",
        (c.DOCUMENT, "The campaign."),
        body=(c.APPROVE_REQUEST, "The fingerprint reviewed and why."),
        **NOT_FOUND,
        **BAD,
        **_APPROVAL,
        conflict="Someone saved in between.",
    ),
)
def reject(doc_id: str) -> dict[str, Any]:
    request = body(c.APPROVE_REQUEST, optional=True)
    return configs.decide_approval(
        principal(),
        doc_id,
        approve=False,
        fingerprint=request.get("fingerprint"),
        comment=request.get("comment", ""),
    )


@app.get(
    "/admin/v1/publish",
    **c.route(
        "previewPublish",
        "What a publish would change now, and what waits",
        "admin-publish",
        (c.OBJECT, "Live version and the pending changes."),
    ),
)
def publish_preview() -> dict[str, Any]:
    return configs.preview(principal())


@app.post(
    "/admin/v1/publish",
    **c.route(
        "publish",
        "Publish every ready change as one new config version",
        "admin-publish",
        (c.OBJECT, "The new version, what went live and what was held."),
        body=(c.PUBLISH_REQUEST, "A note, and optionally the expected live version and a subset."),
        **BAD,
        nothing_to_publish="Nothing is ready to publish.",
        version_moved="The live version moved.",
        publish_in_progress="Another publish is running.",
    ),
)
def publish() -> dict[str, Any]:
    request = body(c.PUBLISH_REQUEST, optional=True)
    return configs.publish(
        principal(),
        note=request.get("note", ""),
        expected_version=request.get("expected_version"),
        only=request.get("only"),
    )


@app.get(
    "/admin/v1/versions",
    **c.route(
        "listVersions",
        "Published versions, newest first",
        "admin-publish",
        (c.ANY_LIST, "Version headers."),
        params=[
            c.query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "At most this many (50).")
        ],
        **BAD,
    ),
)
def versions() -> list[dict[str, Any]]:
    return configs.history(principal(), limit=query_int("limit", default=50, low=1, high=500))


@app.get(
    "/admin/v1/versions/<version>",
    **c.route(
        "getVersion",
        "One published version and its documents",
        "admin-publish",
        (c.OBJECT, "The version."),
        **NOT_FOUND,
        **BAD,
    ),
)
def version(version: str) -> dict[str, Any]:
    return configs.version_detail(principal(), _version_number(version))


@app.post(
    "/admin/v1/versions/<version>/restore",
    **c.route(
        "restoreVersion",
        "Roll back: publish an earlier version again (group admins)",
        "admin-publish",
        (c.OBJECT, "The new version."),
        body=(c.COMMENT_REQUEST, "Why."),
        **NOT_FOUND,
        **BAD,
        version_moved="The live version moved.",
        publish_in_progress="Another publish is running.",
    ),
)
def restore(version: str) -> dict[str, Any]:
    return configs.restore(
        principal(), _version_number(version), body(c.COMMENT_REQUEST, optional=True).get("comment", "")
    )


def _version_number(text: str) -> int:
    from xsell.errors import InvalidRequest

    if not text.isdigit() or len(text) > 9:
        raise InvalidRequest("version must be a whole number", "version")
    return int(text)


# --- audit ------------------------------------------------------------------------------------

_TEXT = {"type": "string", "maxLength": 200}
AUDIT_PARAMS = [
    c.query("since", {"type": "string", "format": "date"}, "First day (UTC), default 30 days before until."),
    c.query("until", {"type": "string", "format": "date"}, "Last day (UTC), default today."),
    c.query("user", _TEXT, "A username or e-mail."),
    c.query("brand", _TEXT, "Entries about this brand."),
    c.query("object", _TEXT, "`kind/id`, or its beginning (`campaign/`)."),
    c.query("action", {"type": "string", "enum": list(audit.ACTIONS)}, "One action."),
]


def _audit_entries() -> list[dict[str, Any]]:
    params = app.current_event.query_string_parameters or {}
    return audit.search(
        principal(),
        since=params.get("since"),
        until=params.get("until"),
        user=params.get("user"),
        brand=params.get("brand"),
        obj=params.get("object"),
        action=params.get("action"),
    )


@app.get(
    "/admin/v1/audit",
    **c.route(
        "searchAudit",
        "Search the audit log",
        "admin-audit",
        (c.ANY_LIST, "Entries, newest first."),
        params=AUDIT_PARAMS,
        **BAD,
    ),
)
def search_audit() -> list[dict[str, Any]]:
    return _audit_entries()


@app.get(
    "/admin/v1/audit/export",
    **c.route(
        "exportAudit",
        "The same search as a CSV file",
        "admin-audit",
        (c.CSV, "The entries, newest first."),
        params=AUDIT_PARAMS,
        media="text/csv",
        **BAD,
    ),
)
def export_audit() -> Any:  # a Response (annotated Any: the OpenAPI generator would model it)
    return Response(
        200,
        "text/csv; charset=utf-8",
        audit.as_csv(_audit_entries()).decode("utf-8"),
        headers={"Content-Disposition": 'attachment; filename="xsell-audit.csv"'},
    )


@tracer.capture_lambda_handler(capture_response=False)  # answers carry customer data
@metrics.flushing
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
