"""The decide request body, validated into a plain value."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from xsell.errors import InvalidRequest
from xsell.vocabulary import CUSTOMER_ID_PATTERN, DEVICES

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CUSTOMER = re.compile(CUSTOMER_ID_PATTERN)
MAX_SLOTS = 20
_TABLET = re.compile(r"iPad|Tablet|PlayBook|Silk|Android(?!.*Mobile)", re.I)
_MOBILE = re.compile(r"Mobi|iPhone|iPod|Android.*Mobile|Windows Phone", re.I)


def is_customer_id(value: str) -> bool:
    """The group customer id format, shared with the importer: never a ``#`` (keys use it)."""
    return _CUSTOMER.fullmatch(value) is not None


# A call from a site's own server or app signs its exact body with the site's secret
# (xsell.server_calls: its headers, format and checks).


class ServerSignature(NamedTuple):
    """What a caller without an Origin sent to sign its call; all None for an unsigned call."""

    timestamp: str | None
    signature: str | None
    body: str | None


class DecideRequest(NamedTuple):
    site: str
    customer_id: str | None  # a raw id, accepted only where the site allows it
    identity_token: str | None  # a token minted by the brand's backend
    slots: tuple[str, ...]
    page_url: str | None
    page_category: str | None = None
    referrer: str | None = None
    device: str | None = None
    preview_token: str | None = None  # forces a campaign for QA; counts nothing


def device_from_user_agent(user_agent: str | None) -> str | None:
    """A coarse device class from a User-Agent header (tablet before mobile: iPad says Mobile)."""
    if not user_agent:
        return None
    if _TABLET.search(user_agent):
        return "tablet"
    if _MOBILE.search(user_agent):
        return "mobile"
    return "desktop"


def _optional_text(value: Any, path: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidRequest(f"{path} must be a string of at most {limit} characters", path)
    return value or None


def parse(body: Any, user_agent: str | None = None) -> DecideRequest:
    """Validate a decoded JSON body; every problem names the field at fault."""
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object")
    site = body.get("site")
    if not isinstance(site, str) or not _NAME.fullmatch(site):
        raise InvalidRequest("site must be a site key of 1-64 letters, digits, _ or -", "site")
    customer = body.get("customer")
    if not isinstance(customer, dict) or not (
        isinstance(customer.get("id"), str) or isinstance(customer.get("token"), str)
    ):
        raise InvalidRequest(
            "customer.token (or customer.id where the site allows it) is required", "customer"
        )
    token = customer.get("token") if isinstance(customer.get("token"), str) else None
    raw_id = customer.get("id") if token is None else None
    if token is not None and len(token) > 4096:
        raise InvalidRequest("customer.token is too long", "customer.token")
    if raw_id is not None and not is_customer_id(raw_id):
        raise InvalidRequest("customer.id must be 1-128 letters, digits or _.:@-", "customer.id")
    slots = body.get("slots")
    if not isinstance(slots, list) or not slots or len(slots) > MAX_SLOTS:
        raise InvalidRequest(f"slots must be a list of 1-{MAX_SLOTS} slot names", "slots")
    if not all(isinstance(s, str) and _NAME.fullmatch(s) for s in slots):
        raise InvalidRequest("each slot must be 1-64 letters, digits, _ or -", "slots")
    page = body.get("page") or {}
    if not isinstance(page, dict):
        raise InvalidRequest("page must be an object", "page")
    url = _optional_text(page.get("url"), "page.url", 2048)
    category = _optional_text(page.get("category"), "page.category", 64)
    referrer = _optional_text(page.get("referrer"), "page.referrer", 2048)
    device = body.get("device")
    if device is not None and device not in DEVICES:
        raise InvalidRequest(f"device must be one of {', '.join(DEVICES)}", "device")
    preview = _optional_text(body.get("preview"), "preview", 4096)
    return DecideRequest(
        site,
        raw_id,
        token,
        tuple(dict.fromkeys(slots)),
        url,
        category,
        referrer,
        device or device_from_user_agent(user_agent),
        preview,
    )
