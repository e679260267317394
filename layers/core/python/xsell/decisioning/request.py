"""The decide request body, validated into a plain value."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from xsell.errors import InvalidRequest

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CUSTOMER = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
MAX_SLOTS = 20


@dataclass(frozen=True)
class DecideRequest:
    site: str
    customer_id: str | None  # a raw id, accepted only where the site allows it
    identity_token: str | None  # a token minted by the brand's backend
    slots: tuple[str, ...]
    page_url: str | None


def parse(body: Any) -> DecideRequest:
    """Validate a decoded JSON body; every problem names the field at fault."""
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object")
    site = body.get("site")
    if not isinstance(site, str) or not _NAME.match(site):
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
    if raw_id is not None and not _CUSTOMER.match(raw_id):
        raise InvalidRequest("customer.id must be 1-128 letters, digits or _.:@-", "customer.id")
    slots = body.get("slots")
    if not isinstance(slots, list) or not slots or len(slots) > MAX_SLOTS:
        raise InvalidRequest(f"slots must be a list of 1-{MAX_SLOTS} slot names", "slots")
    if not all(isinstance(s, str) and _NAME.match(s) for s in slots):
        raise InvalidRequest("each slot must be 1-64 letters, digits, _ or -", "slots")
    page = body.get("page") or {}
    if not isinstance(page, dict):
        raise InvalidRequest("page must be an object", "page")
    url = page.get("url")
    if url is not None and (not isinstance(url, str) or len(url) > 2048):
        raise InvalidRequest("page.url must be a string of at most 2048 characters", "page.url")
    return DecideRequest(site, raw_id, token, tuple(dict.fromkeys(slots)), url)
