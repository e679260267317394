"""Server-to-server conversions (``POST /v1/conversions``): the trusted path.

The destination site's server reports an order it took through a referral, signing the exact
request body with the site's own secret (the one its identity tokens use), as
:mod:`xsell.server_calls` describes: each signed request is accepted once (``replayed`` after
that). Body: ``{"site", "ref", "order_id", "value", "currency"}``; each order is accepted once per
referral token (``duplicate``). The stored record says ``channel: "s2s"``, and its
``conversion_site`` is the signing site.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from xsell import observability, server_calls
from xsell.dal import events as event_store
from xsell.dal import secrets
from xsell.errors import BodyTooLarge, Conflict, InvalidRequest
from xsell.measuring import records
from xsell.measuring.events import Event, Rejected, order, referral
from xsell.measuring.service import GUARD_MARGIN, EventsUnavailable

MAX_BODY_BYTES = 8 * 1024
DUPLICATE = "duplicate"
_SITE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _parse(body: str | None) -> dict[str, Any]:
    if not body:
        raise InvalidRequest("body is empty", "body")
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"body exceeds {MAX_BODY_BYTES} bytes", "body")
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise InvalidRequest("body is not valid JSON", "body") from exc
    if not isinstance(parsed, dict):
        raise InvalidRequest("body must be a JSON object", "body")
    site = parsed.get("site")
    if not isinstance(site, str) or not _SITE.fullmatch(site):
        raise InvalidRequest("site must be a site key of 1-64 letters, digits, _ or -", "site")
    return parsed


def record_conversion(
    body: str | None, timestamp: str | None, mac: str | None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Verify and store one signed conversion; its summary. Raises InvalidRequest (400),
    SignatureInvalid or SignatureExpired (401), Conflict ``replayed`` or ``duplicate`` (409), or
    EventsUnavailable (503)."""
    received = now or dt.datetime.now(dt.UTC)
    parsed = _parse(body)
    site = parsed["site"]
    assert body is not None
    signed = server_calls.verify(site, body, timestamp, mac, received)
    try:
        claims = referral(secrets.signing_keys(received), parsed.get("ref"), received.timestamp())
    except Rejected as exc:
        raise InvalidRequest(f"referral token rejected: {exc.reason.value}", "ref") from exc
    try:
        placed = order(parsed)
    except Rejected as exc:
        raise InvalidRequest(
            "order_id (1-128 printable ASCII characters), value (0-10^10) or currency (ISO 4217) "
            "is not usable",
            "order_id",
        ) from exc

    used = server_calls.accept_once(signed, "s2s", received)
    guard = event_store.seen_key(claims.decision_id, claims.slot, "s2s", placed.order_id)
    expires = dt.datetime.fromtimestamp(claims.expires, dt.UTC) + GUARD_MARGIN
    if not event_store.claim(guard, expires):
        raise Conflict("this order was already recorded for this referral", code=DUPLICATE)

    event = Event("conversion", claims, placed)
    shaped = records.shape(event, received, secrets.pseudonym_key(), site, records.CHANNEL_S2S)
    if event_store.put_records([records.encode(shaped)]):
        event_store.release(guard)
        event_store.release(used)
        raise EventsUnavailable("the events stream did not take the conversion")
    observability.count(observability.SIGNED_CONVERSIONS)
    return {
        "accepted": True,
        "event_id": shaped["event_id"],
        "decision_id": claims.decision_id,
        "order_id": placed.order_id,
        "channel": records.CHANNEL_S2S,
    }
