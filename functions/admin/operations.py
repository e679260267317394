"""Admin routes for operations: imports, uploads, site tags, secrets, previews, users, pacing.

Glue only: every rule is in :mod:`xsell.admin.operations`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from functions.admin import requests
from xsell.admin import contract as c
from xsell.admin import explain, images
from xsell.admin import operations as ops
from xsell.admin.access import Principal

router = APIGatewayRouter()

TAG = "admin-operations"
BAD = {"invalid_request": "The body or a parameter is malformed; `field` names it."}


def principal() -> Principal:
    return requests.principal(router.current_event)


def body(schema: c.Schema, *, optional: bool = False) -> dict[str, Any]:
    return requests.body(router.current_event, schema, optional=optional)


def lookup(
    path: str,
    operation_id: str,
    summary: str,
    success: tuple[c.Schema, str],
    not_found: str,
    find: Callable[[Principal, str], dict[str, Any]],
) -> None:
    """Route GET ``path`` to ``find(principal, <the id the path ends with>)``, 404 ``not_found``.

    Powertools passes the id by the name the path gives it and documents the parameters of the
    handler's signature: the handler's signature says that name.
    """
    name = path[path.rindex("<") + 1 : path.rindex(">")]

    def handler(**ids: str) -> dict[str, Any]:
        return find(principal(), ids[name])

    handler.__name__ = find.__name__
    handler.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str)],
        return_annotation=dict[str, Any],
    )
    router.get(path, **c.route(operation_id, summary, TAG, success, not_found=not_found, **BAD))(handler)


# --- imports ----------------------------------------------------------------------------------


@router.get(
    "/admin/v1/imports",
    **c.route(
        "listImports",
        "Import jobs, newest first (a brand marketer: partners reporting for their brand)",
        TAG,
        (c.IMPORT_JOBS, "The jobs."),
        params=[
            c.query(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": ops.MAX_JOBS},
                f"At most this many ({ops.DEFAULT_JOBS}).",
            ),
            c.query("partner", {"type": "string", "maxLength": 64}, "Only this partner's jobs."),
        ],
        **BAD,
    ),
)
def list_imports() -> list[dict[str, Any]]:
    event = router.current_event
    limit = requests.query_int(event, "limit", default=ops.DEFAULT_JOBS, low=1, high=ops.MAX_JOBS)
    partner = (event.query_string_parameters or {}).get("partner") or None
    return ops.list_imports(principal(), limit=limit, partner=partner)


lookup(
    "/admin/v1/imports/<job_id>",
    "getImport",
    "One import job: status, counts, progress",
    (c.IMPORT_JOB, "The job."),
    "No such import job.",
    ops.get_import,
)
lookup(
    "/admin/v1/imports/<job_id>/errors",
    "getImportErrors",
    "A short-lived download link for the job's errors.csv",
    (c.DOWNLOAD, "A presigned GET, valid for five minutes."),
    "No such import job, or it has no error report.",
    ops.import_errors,
)


# --- uploads ----------------------------------------------------------------------------------


@router.post(
    "/admin/v1/uploads",
    **c.route(
        "createUpload",
        "A presigned PUT for one partner CSV file (erasure and optouts: group admins)",
        TAG,
        (c.UPLOAD, "Where and how to PUT the file (`curl -T file.csv '<url>'`)."),
        body=(c.UPLOAD_REQUEST, "The registered partner, the dataset and the file name."),
        **BAD,
    ),
)
def create_upload() -> dict[str, Any]:
    request = body(c.UPLOAD_REQUEST)
    return ops.create_upload(
        principal(),
        request["partner"],
        request["dataset"],
        request["filename"],
        expires_in=request.get("expires_in", ops.presign.DEFAULT_EXPIRES_S),
    )


@router.post(
    "/admin/v1/creative-images",
    **c.route(
        "createImageUpload",
        "A presigned PUT for one creative image, and the URL it will be served from",
        TAG,
        (c.IMAGE_UPLOAD, "Where and how to PUT the image; `image_url` is its address once there."),
        body=(c.IMAGE_UPLOAD_REQUEST, "The image's type, size and SHA-256 (S3 holds the PUT to them)."),
        description=(
            "Images are named by their content's hash and served from the CDN's /creatives/ for good; "
            "a creative may name that URL as its image_url. 409 when this stage has no CDN domain set."
        ),
        not_set_up="Image upload is not set up on this stage (no CDN domain).",
        **BAD,
    ),
)
def create_image_upload() -> dict[str, Any]:
    request = body(c.IMAGE_UPLOAD_REQUEST)
    return images.create_upload(principal(), request["content_type"], request["size"], request["sha256"])


# --- sites: tag and identity secret -----------------------------------------------------------

lookup(
    "/admin/v1/sites/<site_id>/tag",
    "getSiteTag",
    "The site's snippet, conversion tag and Google Tag Manager variant, ready to paste",
    (c.SITE_TAG, "What to paste."),
    "The site is not in the live config version.",
    ops.site_tag,
)


@router.post(
    "/admin/v1/sites/<site_id>/secret",
    **c.route(
        "rotateSiteSecret",
        "Rotate the site's identity-token secret; the old one stays valid for the overlap",
        TAG,
        (c.SECRET, "The new secret, shown this once."),
        body=(c.SECRET_REQUEST, "How many hours the old secret stays valid (0-168, default 24)."),
        not_found="The site is not in the live config version.",
        conflict="Someone rotated this site's secret in between: nothing was changed.",
        **BAD,
    ),
)
def rotate_secret(site_id: str) -> dict[str, Any]:
    request = body(c.SECRET_REQUEST, optional=True)
    return ops.rotate_secret(principal(), site_id, request.get("overlap_hours", ops.DEFAULT_OVERLAP_HOURS))


@router.post(
    "/admin/v1/signing-key",
    **c.route(
        "rotateSigningKey",
        "Rotate the deployment's token signing key; tokens of the old one stay valid for the overlap",
        TAG,
        (c.SIGNING_KEY, "The new key's id (the key itself is never shown)."),
        body=(c.SIGNING_KEY_REQUEST, "How many days tokens of the old key stay valid (8-30, default 8)."),
        conflict="The overlap of an earlier rotation still lasts, or another one happened in between.",
        **BAD,
    ),
)
def rotate_signing_key() -> dict[str, Any]:
    request = body(c.SIGNING_KEY_REQUEST, optional=True)
    return ops.rotate_signing_key(principal(), request.get("overlap_days", ops.MIN_SIGNING_OVERLAP_DAYS))


# --- previews, users, pacing ------------------------------------------------------------------


@router.post(
    "/admin/v1/previews",
    **c.route(
        "createPreview",
        "A one-hour preview token for a campaign of the live version",
        TAG,
        (c.PREVIEW, "The token; send it to /v1/decide as `preview`."),
        body=(c.PREVIEW_REQUEST, "The campaign, and optionally one of its sites and creatives."),
        not_found="The campaign is not in the live config version (publish it first).",
        **BAD,
    ),
)
def create_preview() -> dict[str, Any]:
    request = body(c.PREVIEW_REQUEST)
    return ops.create_preview(
        principal(),
        request["campaign_id"],
        site_id=request.get("site_id"),
        creative_id=request.get("creative_id"),
    )


EXPLAIN_REQUEST: c.Schema = {
    "title": "ExplainRequest",
    "type": "object",
    "required": ["site_id", "slot", "customer_id"],
    "properties": {
        "site_id": {"type": "string", "maxLength": 64},
        "slot": {"type": "string", "maxLength": 64},
        "customer_id": {"type": "string", "maxLength": 128},
    },
}


@router.post(
    "/admin/v1/previews/explain",
    **c.route(
        "explainDecision",
        "Which campaign a test customer would get in a slot, and why not the others",
        TAG,
        (c.OBJECT, "The winner (caps aside) and each campaign of the site with its reason."),
        body=(EXPLAIN_REQUEST, "The site, the slot and the test customer."),
        not_found="The site is not in the live config version.",
        **BAD,
    ),
)
def explain_decision() -> dict[str, Any]:
    request = body(EXPLAIN_REQUEST)
    return explain.explain(principal(), request["site_id"], request["slot"], request["customer_id"])


@router.get(
    "/admin/v1/users",
    **c.route(
        "listUsers",
        "The admin users with their role and brand (group admins)",
        TAG,
        (c.USERS, "The users; `configured` is false without a user pool."),
    ),
)
def list_users() -> dict[str, Any]:
    return ops.list_users(principal())


@router.get(
    "/admin/v1/pacing",
    **c.route(
        "getPacing",
        "Caps and reciprocity in their current period: limit, used, remaining",
        TAG,
        (c.PACING, "One row per cap and per restricted brand pair you may see."),
        description=(
            "For each cap of each live campaign and each destination cap of the group settings, the "
            "current period's limit and use; for each restricted ordered brand pair, the ledger. `used` "
            "of a `served` cap is what decide instances have leased for serving: at most one block per "
            "instance above what was shown (never above the limit)."
        ),
    ),
)
def pacing() -> dict[str, Any]:
    return ops.pacing(principal())
