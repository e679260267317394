"""The admin API's contract: what each /admin/v1 route takes and answers, in plain JSON Schema.

The admin handler hands these to its Powertools routes and ``python -m local.openapi`` writes
them into docs/openapi.json beside the public API. The checks themselves live in the domain
(:mod:`xsell.admin`): every bad body is a 400 whose ``field`` names what is wrong.
"""

from __future__ import annotations

from typing import Any

from xsell.api_contract import Schema, error_schema
from xsell.http import STATUS

TAGS = [
    {"name": "admin-config", "description": "Drafts of sites, creatives, campaigns and settings."},
    {"name": "admin-publish", "description": "Approvals, publishing, versions and roll back."},
    {"name": "admin-operations", "description": "Imports, uploads, tags, secrets, previews and pacing."},
    {"name": "admin-audit", "description": "Who changed what, when and from where."},
]
SECURITY = [{"cognito": []}]
SECURITY_SCHEMES = {
    "cognito": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "The Cognito ID token of a signed-in marketer (`Bearer <jwt>` or the bare token).",
    }
}

OBJECT: Schema = {"type": "object"}
ANY_LIST: Schema = {"type": "array", "items": {"type": "object"}}

DOCUMENT: Schema = {
    "title": "ConfigDocument",
    "type": "object",
    "required": ["kind", "id", "rev", "state"],
    "properties": {
        "kind": {"type": "string", "enum": ["site", "creative", "campaign", "group", "partner"]},
        "id": {"type": "string"},
        "rev": {"type": "integer", "description": "Send it back with the next save (optimistic lock)."},
        "data": {"anyOf": [{"type": "object"}, {"type": "null"}]},
        "state": {"type": "string", "enum": ["new", "changed", "published", "deleted"]},
        "live": {
            "anyOf": [{"type": "object"}, {"type": "null"}],
            "description": "The document as the live version has it.",
        },
        "live_version": {"type": "integer"},
        "diff": ANY_LIST,
        "brands": {"type": "array", "items": {"type": "string"}},
        "approval": OBJECT,
        "resolved": {
            "anyOf": [{"type": "object"}, {"type": "null"}],
            "description": "A campaign with its creatives inlined.",
        },
    },
}
DOCUMENTS: Schema = {"type": "array", "items": DOCUMENT}
SAVE_REQUEST: Schema = {
    "title": "SaveDocument",
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {"type": "object", "description": "The whole document (see docs/campaigns.md)."},
        "rev": {
            "type": "integer",
            "minimum": 0,
            "description": "The revision the edit started from; omit it to create.",
        },
    },
}
COMMENT_REQUEST: Schema = {
    "type": "object",
    "properties": {"comment": {"type": "string", "maxLength": 1000}},
}
APPROVE_REQUEST: Schema = {
    "type": "object",
    "properties": {
        "comment": {"type": "string", "maxLength": 1000},
        "fingerprint": {"type": "string", "description": "The approval fingerprint the approver reviewed."},
    },
}
PUBLISH_REQUEST: Schema = {
    "type": "object",
    "properties": {
        "note": {"type": "string", "maxLength": 1000},
        "expected_version": {"type": "integer", "description": "Fail with 409 if the live version moved."},
        "only": {
            "type": "array",
            "items": {"type": "string"},
            "description": "`kind/id` of the changes to publish.",
        },
    },
}


def _json(schema: Schema, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_STATUS_OF = {code: status for _, status, code in STATUS}
_COMMON = {"not_signed_in": "No valid sign-in.", "forbidden": "Your role or brand does not allow this."}


# Query parameters per operation id. Powertools documents query parameters only from a
# validation-typed signature (pydantic at cold start), and an operation's path parameters replace
# any ``parameters`` given as an extension, so ``python -m local.openapi`` adds these afterwards.
QUERY: dict[str, list[dict[str, Any]]] = {}


def query(name: str, schema: Schema, description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def route(
    operation_id: str,
    summary: str,
    tag: str,
    success: tuple[Schema, str],
    *,
    body: tuple[Schema, str] | None = None,
    description: str | None = None,
    params: list[dict[str, Any]] | None = None,
    **errors: str,
) -> dict[str, Any]:
    """The keyword arguments of one Powertools admin route (see xsell.api_contract for why the body
    goes in through ``openapi_extensions``); ``params`` are its query parameters."""
    if params:
        QUERY[operation_id] = params
    answers = {200: _json(*success)}
    grouped: dict[int, list[str]] = {}
    for code in {**_COMMON, **errors}:
        grouped.setdefault(_STATUS_OF.get(code, 409), []).append(code)
    descriptions = {**_COMMON, **errors}
    for status, codes in grouped.items():
        text = " ".join(descriptions[c] for c in codes)
        answers[status] = _json(error_schema(*codes), text)
    extensions: dict[str, Any] = {"security": SECURITY}
    if body is not None:
        extensions["requestBody"] = {
            "required": True,
            "description": body[1],
            "content": {"application/json": {"schema": body[0]}},
        }
    return {
        "summary": summary,
        "description": description or summary,
        "tags": [tag],
        "operation_id": operation_id,
        "responses": dict(sorted(answers.items())),
        "openapi_extensions": extensions,
    }
