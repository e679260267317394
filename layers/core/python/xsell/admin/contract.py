"""The admin API's contract: what each /admin/v1 route takes and answers, in plain JSON Schema.

The admin handler hands these to its Powertools routes and ``python -m local.openapi`` writes
them into docs/openapi.json beside the public API. The checks themselves live in the domain
(:mod:`xsell.admin`): every bad body is a 400 whose ``field`` names what is wrong.
"""

from __future__ import annotations

from typing import Any

from xsell.admin import images
from xsell.api_contract import Schema, error_schema
from xsell.http import STATUS

TAGS = [
    {"name": "admin-config", "description": "Drafts of sites, creatives, campaigns and settings."},
    {"name": "admin-publish", "description": "Approvals, publishing, versions and roll back."},
    {"name": "admin-operations", "description": "Imports, uploads, tags, secrets, previews and pacing."},
    {"name": "admin-audit", "description": "Who changed what, when and from where."},
    {"name": "admin-reports", "description": "Funnel, A/B, holdout lift, brand pairs and settlement."},
]
SECURITY: list[dict[str, list[str]]] = [{"cognito": []}]
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


def _json(schema: Schema, description: str, media: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


CSV: Schema = {"type": "string", "description": "UTF-8 with a byte-order mark; formula cells neutralised."}


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
    media: str = "application/json",
    **errors: str,
) -> dict[str, Any]:
    """The keyword arguments of one Powertools admin route (see xsell.api_contract for why the body
    goes in through ``openapi_extensions``); ``params`` are its query parameters."""
    if params:
        QUERY[operation_id] = params
    answers = {200: _json(*success, media=media)}
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


# --- operations (xsell.admin.operations) --------------------------------------------------------

_STR: Schema = {"type": "string"}
_WHEN: Schema = {"type": "string", "format": "date-time"}
_MAYBE_WHEN: Schema = {"anyOf": [_WHEN, {"type": "null"}]}


def _or_null(kind: str, **extra: Any) -> Schema:
    return {"anyOf": [{"type": kind}, {"type": "null"}], **extra}


_ID: Schema = {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9_-]{1,64}$"}
IMPORT_JOB: Schema = {
    "title": "ImportJob",
    "type": "object",
    "required": ["job_id", "partner", "dataset", "status", "file_key", "started_at", "counts", "rows_done"],
    "properties": {
        "job_id": _STR,
        "partner": _STR,
        "dataset": _STR,
        "status": {"type": "string", "enum": ["running", "succeeded", "failed", "rejected"]},
        "reason": _or_null("string"),
        "reason_code": _or_null("string"),
        "file_key": {"type": "string", "description": "incoming/<partner>/<dataset>/<file>.csv"},
        "started_at": _WHEN,
        "finished_at": _MAYBE_WHEN,
        "updated_at": _MAYBE_WHEN,
        "counts": {
            "type": "object",
            "description": "Rows read, imported, rejected, duplicate, outdated; lines in errors.csv.",
            "properties": {
                name: {"type": "integer"}
                for name in ("read", "imported", "rejected", "duplicate", "outdated", "errors_listed")
            },
        },
        "rows_done": {"type": "integer", "description": "Rows read so far, live while it runs."},
        "bytes_done": {"type": "integer"},
        "bytes_total": _or_null("integer"),
        "progress": _or_null("number", description="Share of the file read, 0-1."),
        "has_errors": {"type": "boolean", "description": "errors.csv can be downloaded."},
        "rows_per_second": _or_null("number"),
    },
}
IMPORT_JOBS: Schema = {"type": "array", "items": IMPORT_JOB}
DOWNLOAD: Schema = {
    "title": "Download",
    "type": "object",
    "required": ["url", "expires_at"],
    "properties": {"url": _STR, "expires_at": _WHEN},
}
UPLOAD_REQUEST: Schema = {
    "title": "UploadRequest",
    "type": "object",
    "required": ["partner", "dataset", "filename"],
    "properties": {
        "partner": {"type": "string", "maxLength": 64, "description": "A registered partner."},
        "dataset": {
            "type": "string",
            "enum": ["profiles", "brand_usage", "optouts", "erasure"],
            "description": "optouts and erasure: group admins only.",
        },
        "filename": {"type": "string", "maxLength": 200, "description": "Ends with .csv, no slashes."},
        "expires_in": {"type": "integer", "minimum": 60, "maximum": 3600, "description": "Seconds (900)."},
    },
}
UPLOAD: Schema = {
    "title": "Upload",
    "type": "object",
    "required": ["url", "method", "key", "expires_at", "headers"],
    "properties": {
        "url": _STR,
        "method": {"type": "string", "enum": ["PUT"]},
        "key": {"type": "string", "description": "The only object the URL can write."},
        "expires_at": _WHEN,
        "headers": {"type": "object", "description": "Headers the PUT must carry (none are signed)."},
    },
}
IMAGE_UPLOAD_REQUEST: Schema = {
    "title": "ImageUploadRequest",
    "type": "object",
    "required": ["content_type", "size", "sha256"],
    "properties": {
        "content_type": {"type": "string", "enum": list(images.TYPES)},
        "size": {"type": "integer", "minimum": 1, "maximum": images.MAX_BYTES, "description": "Bytes."},
        "sha256": {"type": "string", "minLength": 44, "maxLength": 44, "description": "Base64 SHA-256."},
    },
}
IMAGE_UPLOAD: Schema = {
    "title": "ImageUpload",
    "type": "object",
    "required": ["upload", "image_url", "max_bytes"],
    "properties": {
        "upload": {
            "type": "object",
            "required": ["method", "url", "headers", "expires_at"],
            "properties": {
                "method": {"type": "string", "enum": ["PUT"]},
                "url": _STR,
                "headers": {
                    "type": "object",
                    "additionalProperties": _STR,
                    "description": "Send exactly these: they are signed (type, checksum; the length too).",
                },
                "expires_at": _WHEN,
            },
        },
        "image_url": {"type": "string", "description": "Where the image is served once uploaded."},
        "max_bytes": {"type": "integer"},
    },
}
SITE_TAG: Schema = {
    "title": "SiteTag",
    "type": "object",
    "required": ["site_id", "configured", "snippet", "conversion_tag", "gtm"],
    "properties": {
        "site_id": _STR,
        "configured": {"type": "boolean", "description": "False: XSELL_TAG_URL / XSELL_API_URL unset."},
        "tag_url": _or_null("string"),
        "api_url": _or_null("string"),
        "snippet": {"type": "string", "description": "The <script> to paste high in <head>."},
        "conversion_tag": {"type": "string", "description": "For the order confirmation page."},
        "slots": {"type": "object", "additionalProperties": _STR, "description": "Slot markup per slot."},
        "gtm": {
            "type": "object",
            "required": ["snippet", "instructions"],
            "properties": {"snippet": _STR, "instructions": _STR},
        },
    },
}
SECRET_REQUEST: Schema = {
    "title": "RotateSecret",
    "type": "object",
    "properties": {
        "overlap_hours": {
            "type": "integer",
            "minimum": 0,
            "maximum": 168,
            "description": "How long the old secret stays valid (24).",
        }
    },
}
SECRET: Schema = {
    "title": "SiteSecret",
    "type": "object",
    "required": ["site_id", "secret", "previous_valid_until", "use_from"],
    "properties": {
        "site_id": _STR,
        "secret": {"type": "string", "description": "Shown once; store it in the site's backend."},
        "previous_valid_until": {"anyOf": [_WHEN, {"type": "null"}], "description": "null: none kept."},
        "use_from": {**_WHEN, "description": "When every decide instance knows the new secret."},
    },
}
SIGNING_KEY_REQUEST: Schema = {
    "title": "RotateSigningKey",
    "type": "object",
    "properties": {
        "overlap_days": {
            "type": "integer",
            "description": "How long tokens signed with the old key stay valid: 8 (the default: the "
            "attribution window and a margin) to 30. Checked after the caller's role, so only a group "
            "admin learns what is wrong with it.",
        }
    },
}
SIGNING_KEY: Schema = {
    "title": "SigningKey",
    "type": "object",
    "required": ["key_id", "use_from", "previous_valid_until"],
    "properties": {
        "key_id": {"type": "string", "description": "The new key's id, as tokens name it (`kid`)."},
        "use_from": {**_WHEN, "description": "When decide starts signing with it (every instance knows it)."},
        "previous_valid_until": {**_WHEN, "description": "Until when tokens of the old key are accepted."},
    },
}
PREVIEW_REQUEST: Schema = {
    "title": "PreviewRequest",
    "type": "object",
    "required": ["campaign_id"],
    "properties": {
        "campaign_id": {**_ID, "description": "A campaign of the live version."},
        "site_id": {"anyOf": [_ID, {"type": "null"}], "description": "Only on this source site."},
        "creative_id": {
            "anyOf": [_ID, {"type": "null"}],
            "description": "This creative (default: the visitor's).",
        },
    },
}
PREVIEW: Schema = {
    "title": "Preview",
    "type": "object",
    "required": ["token", "expires_at", "campaign_id", "sites", "urls"],
    "properties": {
        "token": {"type": "string", "description": "Send it to /v1/decide as `preview`."},
        "expires_at": _WHEN,
        "campaign_id": _STR,
        "creative_id": _or_null("string"),
        "site_id": _or_null("string"),
        "sites": {"type": "array", "items": _STR},
        "urls": {
            "type": "object",
            "additionalProperties": _STR,
            "description": "Per site: its page (first origin) with `?xsell_preview=<token>`, which the tag "
            "sends to decide. A site without origins has none.",
        },
    },
}
BRANDS: Schema = {
    "title": "Brands",
    "type": "object",
    "required": ["brands"],
    "properties": {
        "brands": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Every brand with a site in the drafts, sorted: what a campaign may name.",
        }
    },
}
USERS: Schema = {
    "title": "Users",
    "type": "object",
    "required": ["users", "configured"],
    "properties": {
        "configured": {"type": "boolean", "description": "False: no user pool is configured."},
        "users": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["username", "email", "role", "brand", "enabled", "status"],
                "properties": {
                    "username": _STR,
                    "email": _STR,
                    "role": _or_null("string"),
                    "brand": _or_null("string"),
                    "enabled": {"type": "boolean"},
                    "status": _or_null("string"),
                },
            },
        },
    },
}
PACING: Schema = {
    "title": "Pacing",
    "type": "object",
    "required": ["config_version", "at", "caps", "reciprocity"],
    "properties": {
        "config_version": {"type": "integer"},
        "at": _WHEN,
        "caps": {
            "type": "array",
            "description": "`served` is leased for serving: at most a block per decide instance above shown.",
            "items": {
                "type": "object",
                "required": ["scope", "subject", "metric", "period", "period_key", "limit", "used"],
                "properties": {
                    "scope": {"type": "string", "enum": ["campaign", "destination"]},
                    "subject": _STR,
                    "metric": {"type": "string", "enum": ["served", "clicks"]},
                    "period": _STR,
                    "period_key": _STR,
                    "timezone": _STR,
                    "limit": {"type": "integer"},
                    "used": {"type": "integer"},
                    "remaining": {"type": "integer"},
                    "share": _or_null("number"),
                    "status": _or_null("string"),
                },
            },
        },
        "reciprocity": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["source", "destination", "sent", "credit", "ratio", "allowance", "period_key"],
                "properties": {
                    "source": _STR,
                    "destination": _STR,
                    "period": _STR,
                    "period_key": _STR,
                    "sent": {"type": "integer"},
                    "credit": {"type": "number"},
                    "started": {"type": "boolean", "description": "False: no referral written this period."},
                    "ratio": {"type": "number"},
                    "allowance": {"type": "integer"},
                },
            },
        },
        "notes": OBJECT,
    },
}
