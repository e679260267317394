"""The public API's contract in plain JSON Schema: what POST /v1/decide and POST /v1/events take and answer.

The handlers hand these dicts to their Powertools routes, and ``python -m local.openapi`` writes
``docs/openapi.json`` from those routes. Plain dicts on purpose: pydantic models (or Powertools'
``enable_validation``) would cost the decide function's cold start. The checks themselves stay in
the domain (:func:`xsell.decisioning.request.parse`, :func:`xsell.measuring.events.parse_batch`
and :func:`~xsell.measuring.events.check`); this module only describes them.

Both routes read the body as JSON whatever its ``Content-Type``: the tag sends ``text/plain`` so
that the browser needs no CORS preflight. The document says so with ``contentMediaType``.
"""

from __future__ import annotations

from typing import Any

from xsell.http import STATUS
from xsell.vocabulary import CUSTOMER_ID_PATTERN, DEVICES, TEMPLATES

Schema = dict[str, Any]

TITLE = "xsell public API"
VERSION = "1.0.0"
DESCRIPTION = (
    "What the site tag calls: `POST /v1/decide` picks the cross-referral creative for each slot of a "
    "page, `POST /v1/events` records what the visitor then saw and did. Bodies are JSON, sent as "
    "`application/json` or, by the tag, as `text/plain` (a CORS simple request). Every error is "
    "answered with `{error, message}`."
)
TAGS = [
    {"name": "decide", "description": "Which creative each slot of a page shows."},
    {"name": "events", "description": "Impressions, clicks, holdout exposures and conversions."},
    {
        "name": "conversions",
        "description": "Conversions reported by the destination site's server, signed with its secret.",
    },
]

# The domain's own limits, written out rather than imported: importing the measuring and catalog
# modules here would put them on the decide function's cold start. tests/unit/test_openapi.py
# holds every one of these to the domain's value. Customer ids, devices and templates come from
# xsell.vocabulary, which the domain reads too.
KEY_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # site keys and slot names
ORDER_ID_PATTERN = r"^[\x21-\x7e]{1,128}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
MAX_TOKEN_CHARS = 4096
MAX_URL_CHARS = 2048
MAX_CATEGORY_CHARS = 64
MAX_SLOTS = 20
MAX_FIELD_CHARS = 2048
MAX_BODY_BYTES = 64 * 1024
MAX_EVENTS = 50
MAX_ORDER_VALUE = 10**10
MAX_BROWSER_CONVERSIONS = 5
MAX_CONVERSION_BODY_BYTES = 8 * 1024
SIGNATURE_WINDOW = 300
SLOT_EVENT_TYPES = ("impression", "click", "holdout")
REJECTION_REASONS = (
    "invalid_event",
    "unknown_type",
    "token_malformed",
    "token_forged",
    "token_wrong_purpose",
    "token_expired",
    "holdout_mismatch",
    "invalid_order",
    "duplicate",
    "conversion_cap",
    "not_stored",
)
UNAVAILABLE = "unavailable"  # collect's 503: the events stream took none of the events

_KEY: Schema = {"type": "string", "pattern": KEY_PATTERN}
_TOKEN: Schema = {"type": "string", "maxLength": MAX_TOKEN_CHARS}

DECIDE_REQUEST: Schema = {
    "title": "DecideRequest",
    "type": "object",
    "required": ["site", "customer", "slots"],
    "properties": {
        "site": {**_KEY, "description": "The site key the tag was installed with."},
        "customer": {
            "type": "object",
            "description": (
                "Who is asking: `token`, an identity token minted by the brand's backend, or `id`, a raw "
                "customer id where the site allows raw ids. A token wins when both are sent."
            ),
            "properties": {
                "token": _TOKEN,
                "id": {"type": "string", "pattern": CUSTOMER_ID_PATTERN},
            },
            "anyOf": [{"required": ["token"]}, {"required": ["id"]}],
        },
        "slots": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_SLOTS,
            "items": _KEY,
            "description": "The slots on the page to fill; repeats are answered once.",
        },
        "page": {
            "type": "object",
            "properties": {
                "url": {"type": "string", "maxLength": MAX_URL_CHARS},
                "category": {"type": "string", "maxLength": MAX_CATEGORY_CHARS},
                "referrer": {"type": "string", "maxLength": MAX_URL_CHARS},
            },
        },
        "device": {
            "type": "string",
            "enum": list(DEVICES),
            "description": "Defaults to the class the User-Agent header suggests.",
        },
        "preview": {
            **_TOKEN,
            "description": "A preview token: shows its campaign for QA, unsigned, counting nothing.",
        },
    },
}

_CREATIVE: Schema = {
    "type": "object",
    "required": ["campaign_id", "creative_id", "destination_brand", "template", "fields"],
    "properties": {
        "campaign_id": {"type": "string"},
        "creative_id": {"type": "string"},
        "destination_brand": {"type": "string"},
        "template": {"type": "string", "enum": list(TEMPLATES)},
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "string", "maxLength": MAX_FIELD_CHARS},
            "description": "The template's texts and URLs; `link_url` always.",
        },
        "token": {"type": "string", "description": "Slot token: send it with the impression and click."},
        "ref": {"type": "string", "description": "Referral token: rides on the click-through link."},
    },
}

DECIDE_RESPONSE: Schema = {
    "title": "Decision",
    "type": "object",
    "required": ["decision_id", "slots", "holdouts"],
    "properties": {
        "decision_id": {"type": "string", "pattern": r"^(preview-)?[0-9a-f]{32}$"},
        "slots": {
            "type": "object",
            "additionalProperties": _CREATIVE,
            "description": (
                "The filled slots by name; a slot left out shows nothing. Previews carry no tokens."
            ),
        },
        "holdouts": {
            "type": "array",
            "description": "Slots held out of a campaign for measurement: show nothing, report the exposure.",
            "items": {
                "type": "object",
                "required": ["slot", "campaign_id", "token"],
                "properties": {
                    "slot": {"type": "string"},
                    "campaign_id": {"type": "string"},
                    "token": {"type": "string"},
                },
            },
        },
        "preview": {"type": "boolean", "const": True, "description": "Present on previews only."},
    },
}

_SLOT_EVENT: Schema = {
    "type": "object",
    "required": ["type", "token"],
    "properties": {
        "type": {"type": "string", "enum": list(SLOT_EVENT_TYPES)},
        "token": {**_TOKEN, "description": "The slot token, or the holdout's token."},
    },
}
_CONVERSION: Schema = {
    "type": "object",
    "required": ["type", "ref", "order_id", "value", "currency"],
    "properties": {
        "type": {"type": "string", "const": "conversion"},
        "ref": {**_TOKEN, "description": "The referral token from the click-through link."},
        "order_id": {"anyOf": [{"type": "string", "pattern": ORDER_ID_PATTERN}, {"type": "integer"}]},
        "value": {"type": "number", "minimum": 0, "maximum": MAX_ORDER_VALUE},
        "currency": {"type": "string", "pattern": CURRENCY_PATTERN},
    },
}

EVENTS_REQUEST: Schema = {
    "title": "EventBatch",
    "type": "object",
    "required": ["events"],
    "properties": {
        "site": {**_KEY, "description": "The page's site key (unsigned; used for conversions)."},
        "events": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_EVENTS,
            "items": {"oneOf": [_SLOT_EVENT, _CONVERSION]},
            "description": (
                "An event that fails its own checks (a forged, expired or replayed token, an unusable "
                "order) is not stored and is answered in `rejections`; the batch is still a 200."
            ),
        },
    },
}

EVENTS_RESPONSE: Schema = {
    "title": "EventsOutcome",
    "type": "object",
    "required": ["accepted", "rejected", "reasons", "rejections"],
    "properties": {
        "accepted": {"type": "integer", "minimum": 0},
        "rejected": {"type": "integer", "minimum": 0},
        "reasons": {
            "type": "object",
            "propertyNames": {"enum": list(REJECTION_REASONS)},
            "additionalProperties": {"type": "integer", "minimum": 1},
            "description": "How many events were rejected for each reason.",
        },
        "rejections": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "reason"],
                "properties": {
                    "index": {"type": "integer", "minimum": 0},
                    "reason": {"type": "string", "enum": list(REJECTION_REASONS)},
                },
            },
        },
    },
}


def error_schema(*codes: str) -> Schema:
    """The body of every error answer: ``{"error": code, "message": text}``."""
    return {
        "title": "Error",
        "type": "object",
        "required": ["error", "message"],
        "properties": {"error": {"type": "string", "enum": list(codes)}, "message": {"type": "string"}},
    }


def _json(schema: Schema, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# A JSON object as text: optional whitespace, braces around the rest.
TEXT_OBJECT_PATTERN = r"^[ \t\r\n]*\{[\s\S]*\}[ \t\r\n]*$"


def request_body(schema: Schema, description: str) -> dict[str, Any]:
    """A required JSON body, accepted as ``application/json`` and as ``text/plain`` holding JSON."""
    return {
        "required": True,
        "description": description,
        "content": {
            "application/json": {"schema": schema},
            "text/plain": {
                # The JSON text of an object: never empty (a 400), at least "{}". contentSchema is an
                # annotation only, so the pattern carries what a validator can check of it.
                "schema": {
                    "type": "string",
                    "minLength": 2,
                    "pattern": TEXT_OBJECT_PATTERN,
                    "contentMediaType": "application/json",
                    "contentSchema": schema,
                }
            },
        },
    }


def responses(success: tuple[Schema, str], **errors: str) -> dict[int, dict[str, Any]]:
    """A route's answers: ``success`` as the 200, and each domain error (by code) it may raise."""
    status_of = {code: status for _, status, code in STATUS} | {UNAVAILABLE: 503}
    answers = {200: _json(*success)}
    for code, description in errors.items():
        answers[status_of[code]] = _json(error_schema(code), description)
    return dict(sorted(answers.items()))


# The keyword arguments of each handler's Powertools route. Powertools 3.37 builds a requestBody only
# from a pydantic-typed body parameter (validation on, pydantic at cold start), so the body goes in
# through ``openapi_extensions``, which Powertools merges into the operation and then checks with
# its own OpenAPI model like any requestBody.
DECIDE_ROUTE: dict[str, Any] = {
    "summary": "Choose the creative for each slot of a page",
    "description": (
        "Reads the visitor's profile, records the visit, and picks per slot the best campaign the "
        "site may show under its caps. A call from a browser must come from one of the site's "
        "origins. A call from the site's own server or app sends no Origin and signs its exact body "
        "with the site's secret (the headers below, as for `POST /v1/conversions`); a call with "
        "neither an Origin nor a signature takes no unit of any cap or reciprocity credit, so only "
        f"campaigns without them can fill its slots. At most {MAX_SLOTS} slots per call."
    ),
    "tags": ["decide"],
    "operation_id": "decide",
    "responses": responses(
        (DECIDE_RESPONSE, "The creative for each slot that gets one, and the held-out slots."),
        invalid_request="The body is not JSON or breaks the request schema; `message` names the field.",
        origin_rejected="The browser's Origin is not one of the site's origins.",
        unknown_site="No site has this key.",
    )
    | {
        401: _json(
            error_schema("identity_rejected", "signature_invalid", "signature_expired"),
            "The customer token is forged, expired or for another site, or a raw id was sent to a "
            "site that takes tokens only (`identity_rejected`); a server call's signature is not the "
            "site's (`signature_invalid`) or its timestamp is too far from the server's clock "
            "(`signature_expired`).",
        ),
        409: _json(
            error_schema("replayed"),
            "This signed server call was received before: each call must be signed anew (a new "
            "timestamp), so that a captured call cannot be sent again to spend caps.",
        ),
    },
    "openapi_extensions": {
        "parameters": [
            {
                "name": "X-Xsell-Timestamp",
                "in": "header",
                "required": False,
                "description": "Server calls only: the request's time in unix seconds; refused more "
                f"than {SIGNATURE_WINDOW} s from the server's clock.",
                "schema": {"type": "string", "pattern": r"^[0-9]{1,12}$"},
            },
            {
                "name": "X-Xsell-Signature",
                "in": "header",
                "required": False,
                "description": 'Server calls only: hex(HMAC-SHA256(site secret, timestamp + "." + '
                "the exact body bytes)).",
                "schema": {"type": "string", "pattern": r"^[0-9a-f]{64}$"},
            },
        ],
        "requestBody": request_body(DECIDE_REQUEST, "The page, its slots and who is looking."),
    },
}

EVENTS_ROUTE: dict[str, Any] = {
    "summary": "Record impressions, clicks, holdout exposures and conversions",
    "description": (
        f"A batch of 1-{MAX_EVENTS} events in at most {MAX_BODY_BYTES} bytes. Each event carries the "
        "token decide signed for it; events are checked one by one and the answer says which were "
        "stored. A batch may be sent again: events already stored are rejected as `duplicate`."
    ),
    "tags": ["events"],
    "operation_id": "collectEvents",
    "responses": responses(
        (EVENTS_RESPONSE, "How many events were stored, and why each other one was not."),
        invalid_request="The body is empty, not JSON, or not a batch of events.",
        body_too_large=f"The body is larger than {MAX_BODY_BYTES} bytes.",
        unavailable="The events stream took none of the events: send the batch again later.",
    ),
    "openapi_extensions": {
        "requestBody": request_body(EVENTS_REQUEST, "A batch of events from one page."),
    },
}

CONVERSION_REQUEST: Schema = {
    "title": "SignedConversion",
    "type": "object",
    "required": ["site", "ref", "order_id", "value", "currency"],
    "properties": {
        "site": {**_KEY, "description": "The destination site whose secret signed the request."},
        "ref": {**_TOKEN, "description": "The referral token the customer arrived with (`xsell_ref`)."},
        "order_id": {"anyOf": [{"type": "string", "pattern": ORDER_ID_PATTERN}, {"type": "integer"}]},
        "value": {"type": "number", "minimum": 0, "maximum": MAX_ORDER_VALUE},
        "currency": {"type": "string", "pattern": CURRENCY_PATTERN},
    },
}

CONVERSION_RESPONSE: Schema = {
    "title": "ConversionRecorded",
    "type": "object",
    "required": ["accepted", "event_id", "decision_id", "order_id", "channel"],
    "properties": {
        "accepted": {"type": "boolean", "const": True},
        "event_id": {"type": "string"},
        "decision_id": {"type": "string"},
        "order_id": {"type": "string"},
        "channel": {"type": "string", "const": "s2s"},
    },
}

_SIGNATURE_HEADERS = [
    {
        "name": "X-Xsell-Timestamp",
        "in": "header",
        "required": True,
        "description": f"The request's time in unix seconds; refused more than {SIGNATURE_WINDOW} s "
        "from the server's clock.",
        "schema": {"type": "string", "pattern": r"^[0-9]{1,12}$"},
    },
    {
        "name": "X-Xsell-Signature",
        "in": "header",
        "required": True,
        "description": 'hex(HMAC-SHA256(site secret, timestamp + "." + the exact body bytes)).',
        "schema": {"type": "string", "pattern": r"^[0-9a-f]{64}$"},
    },
]

CONVERSION_ROUTE: dict[str, Any] = {
    "summary": "Record a conversion reported by the destination site's server (trusted)",
    "description": (
        "The trusted conversion path: the destination site's server signs the body with the site's "
        "secret. Each signed request is accepted once, each order once per referral token; the "
        "stored event says `channel: s2s`. The browser's conversion tag (`POST /v1/events`) is the "
        f"untrusted path, capped at {MAX_BROWSER_CONVERSIONS} conversions per referral token."
    ),
    "tags": ["conversions"],
    "operation_id": "recordConversion",
    "responses": {
        200: _json(CONVERSION_RESPONSE, "The conversion was stored."),
        400: _json(
            error_schema("invalid_request"),
            "The body, a header, the referral token or the order is unusable; `field` names it.",
        ),
        401: _json(
            error_schema("signature_invalid", "signature_expired"),
            "The signature is not the site's (`signature_invalid`) or its timestamp is too old or too "
            "far ahead (`signature_expired`).",
        ),
        409: _json(
            error_schema("replayed", "duplicate"),
            "This signed request was received before (`replayed`), or this order was already recorded "
            "for this referral token (`duplicate`).",
        ),
        413: _json(
            error_schema("body_too_large"), f"The body is larger than {MAX_CONVERSION_BODY_BYTES} bytes."
        ),
        503: _json(error_schema(UNAVAILABLE), "The events stream did not take it: send it again, re-signed."),
    },
    "openapi_extensions": {
        "parameters": _SIGNATURE_HEADERS,
        "requestBody": request_body(CONVERSION_REQUEST, "One order, signed by the destination site."),
    },
}
