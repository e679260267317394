"""Server-to-server conversions (``POST /v1/conversions``): the trusted path.

The destination site's server reports an order it took through a referral, signing the exact
request body with the site's own secret (the one its identity tokens use)::

    X-Xsell-Timestamp: <unix seconds>
    X-Xsell-Signature: hex(HMAC-SHA256(site secret, "<timestamp>." + body))

Body: ``{"site", "ref", "order_id", "value", "currency"}``. The timestamp must be within
:data:`SIGNATURE_WINDOW` seconds of the server's clock, each signed request is accepted once
(``replayed`` after that) and each order once per referral token (``duplicate``). During a
rotation's overlap both the site's current and previous secrets are accepted. The stored
record says ``channel: "s2s"``, and its ``conversion_site`` is the signing site.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from typing import Any

from xsell import observability
from xsell.dal import events as event_store
from xsell.dal import secrets
from xsell.errors import BodyTooLarge, Conflict, InvalidRequest, SignatureExpired, SignatureInvalid
from xsell.measuring import records
from xsell.measuring.events import Event, Rejected, order, referral
from xsell.measuring.service import GUARD_MARGIN, EventsUnavailable

TIMESTAMP_HEADER = "x-xsell-timestamp"
SIGNATURE_HEADER = "x-xsell-signature"
SIGNATURE_WINDOW = 300  # seconds the timestamp may differ from the server's clock, either way
MAX_BODY_BYTES = 8 * 1024
REPLAYED = "replayed"
DUPLICATE = "duplicate"
_SITE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")


def signature(secret: bytes, timestamp: int | str, body: str | bytes) -> str:
    """The ``X-Xsell-Signature`` of ``body`` sent at ``timestamp``."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return hmac.new(secret, str(timestamp).encode("ascii") + b"." + raw, hashlib.sha256).hexdigest()


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


def _authenticate(site: str, body: str, timestamp: str | None, mac: str | None, now: dt.datetime) -> str:
    if timestamp is None or not _TIMESTAMP.fullmatch(timestamp):
        raise InvalidRequest(
            "X-Xsell-Timestamp must be the request's time in unix seconds", "X-Xsell-Timestamp"
        )
    if mac is None or not _SIGNATURE.fullmatch(mac):
        raise InvalidRequest("X-Xsell-Signature must be 64 lowercase hex digits", "X-Xsell-Signature")
    if abs(now.timestamp() - int(timestamp)) > SIGNATURE_WINDOW:
        raise SignatureExpired(f"X-Xsell-Timestamp is more than {SIGNATURE_WINDOW} s from the server's clock")
    keys = secrets.site_secrets(site, now)
    if not any(hmac.compare_digest(mac, signature(key, timestamp, body)) for key in keys):
        raise SignatureInvalid(f"X-Xsell-Signature is not a signature of this body by site {site!r}")
    return mac


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
    mac = _authenticate(site, body, timestamp, mac, received)
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

    used = event_store.signature_key(mac)
    if not event_store.claim(used, received + dt.timedelta(seconds=2 * SIGNATURE_WINDOW)):
        raise Conflict("this signed request was already received", code=REPLAYED)
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
