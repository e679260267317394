"""The POST /v1/events body and each event in it, validated into plain values.

Pure logic: no I/O. Every event carries a token that decide (slot token) or a
click-through link (referral token) signed; an event whose token is forged,
expired or minted for another purpose is rejected with a reason, never stored.

Limits (documented in docs/tag.md): a body of at most :data:`MAX_BODY_BYTES`
bytes holding 1 to :data:`MAX_EVENTS` events. The tag sends at most 20 per beacon.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from xsell import signing
from xsell.errors import BodyTooLarge, InvalidRequest
from xsell.vocabulary import DEVICES

MAX_BODY_BYTES = 64 * 1024  # sendBeacon and fetch keepalive bodies are capped at 64 KiB anyway
MAX_EVENTS = 50
MAX_ORDER_VALUE = 10**10
# The browser's conversion tag is the untrusted path: one referral token brings at most this many
# conversions (distinct orders) through it. Server-to-server conversions have no such cap.
MAX_BROWSER_CONVERSIONS = 5

# Token purposes, as signed by decide: slot tokens prove impressions, clicks and
# holdout exposures; referral tokens ride on click-through links to conversions.
SLOT = "slot"
REF = "ref"
PURPOSE = {"impression": SLOT, "click": SLOT, "holdout": SLOT, "conversion": REF}
EVENT_TYPES = tuple(PURPOSE)

_SITE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DECISION = re.compile(r"^[0-9a-f]{32}$")
_ORDER = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable ASCII, no spaces
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class Reason(StrEnum):
    """Why one event of a batch was not stored."""

    INVALID_EVENT = "invalid_event"  # not an object, or a required field missing
    UNKNOWN_TYPE = "unknown_type"
    TOKEN_MALFORMED = "token_malformed"
    TOKEN_FORGED = "token_forged"  # signature does not match any purpose
    TOKEN_WRONG_PURPOSE = "token_wrong_purpose"  # e.g. a referral token sent as an impression
    TOKEN_EXPIRED = "token_expired"
    HOLDOUT_MISMATCH = "holdout_mismatch"  # a holdout token as an impression/click, or the reverse
    INVALID_ORDER = "invalid_order"  # conversion without a usable order id, value or currency
    DUPLICATE = "duplicate"  # already accepted once (replay guard)
    CONVERSION_CAP = "conversion_cap"  # the referral token already brought its browser conversions
    NOT_STORED = "not_stored"  # the stream refused it; the event may be sent again


class Rejected(Exception):
    """One event that cannot be accepted; ``reason`` says why."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Batch:
    site: str | None  # the page's site key, as the tag says (not signed: used for conversions only)
    events: tuple[Any, ...]


@dataclass(frozen=True)
class Order:
    order_id: str
    value: float
    currency: str


@dataclass(frozen=True)
class Claims:
    """What a verified token says: who saw which campaign where."""

    decision_id: str
    site_id: str
    slot: str
    campaign_id: str
    creative_id: str | None
    source_brand: str
    destination_brand: str
    customer: str  # customer hash, as decide put it in the token
    holdout: bool
    expires: int  # the token's expiry, epoch seconds
    # Click counters of the campaign's click caps: (scope, subject, period, expiry or None).
    click_counters: tuple[tuple[str, str, str, int | None], ...] = ()
    device: str | None = None  # the device class decide saw (mobile, tablet, desktop)


@dataclass(frozen=True)
class Event:
    type: str
    claims: Claims
    order: Order | None = None


def parse_batch(text: str | None) -> Batch:
    """The envelope ``{"site": ..., "events": [...]}``; InvalidRequest names what is wrong."""
    if not text:
        raise InvalidRequest("body is empty", "body")
    if len(text.encode("utf-8")) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"body exceeds {MAX_BODY_BYTES} bytes", "body")
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise InvalidRequest("body is not valid JSON", "body") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object", "body")
    events = body.get("events")
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        raise InvalidRequest(f"events must be a list of 1-{MAX_EVENTS} events", "events")
    site = body.get("site")
    if site is not None and (not isinstance(site, str) or not _SITE.fullmatch(site)):
        raise InvalidRequest("site must be a site key of 1-64 letters, digits, _ or -", "site")
    return Batch(site, tuple(events))


def check(raw: Any, keys: bytes | Sequence[bytes], now: float | None = None) -> Event:
    """Verify one event against the signing ``keys`` valid now; raises :class:`Rejected`."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise Rejected(Reason.INVALID_EVENT)
    kind = raw["type"]
    if kind not in PURPOSE:
        raise Rejected(Reason.UNKNOWN_TYPE)
    field = "ref" if kind == "conversion" else "token"
    if not isinstance(raw.get(field), str):
        raise Rejected(Reason.INVALID_EVENT)
    claims = _claims(_verify(keys, PURPOSE[kind], raw[field], now), kind)
    if claims.holdout != (kind == "holdout"):
        raise Rejected(Reason.HOLDOUT_MISMATCH)
    return Event(kind, claims, _order(raw) if kind == "conversion" else None)


def referral(keys: bytes | Sequence[bytes], token: Any, now: float | None = None) -> Claims:
    """The claims of a valid referral token; raises :class:`Rejected`."""
    if not isinstance(token, str):
        raise Rejected(Reason.INVALID_EVENT)
    return _claims(_verify(keys, REF, token, now), "conversion")


def order(raw: dict[str, Any]) -> Order:
    """The order of a conversion (``order_id``, ``value``, ``currency``); raises :class:`Rejected`."""
    return _order(raw)


def _verify(keys: bytes | Sequence[bytes], purpose: str, token: str, now: float | None) -> dict[str, Any]:
    try:
        return signing.verify(keys, purpose, token, now)
    except signing.BadToken as exc:
        if exc.reason == "expired":
            raise Rejected(Reason.TOKEN_EXPIRED) from exc
        if exc.reason == "malformed":
            raise Rejected(Reason.TOKEN_MALFORMED) from exc
    # A bad signature: say whether it is ours but for another use, or not ours at all.
    for other in {SLOT, REF} - {purpose}:
        try:
            signing.verify(keys, other, token, now)
        except signing.BadToken:
            continue
        raise Rejected(Reason.TOKEN_WRONG_PURPOSE)
    raise Rejected(Reason.TOKEN_FORGED)


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise Rejected(Reason.TOKEN_MALFORMED)
    return value


def _claims(payload: dict[str, Any], kind: str) -> Claims:
    decision = _text(payload, "d")
    if not _DECISION.fullmatch(decision):
        raise Rejected(Reason.TOKEN_MALFORMED)
    creative = payload.get("cr")
    if creative is not None and not isinstance(creative, str):
        raise Rejected(Reason.TOKEN_MALFORMED)
    # Referral tokens carry no holdout flag: only shown creatives have links.
    holdout = payload.get("h", 0)
    if holdout not in (0, 1) or (kind == "conversion" and "h" in payload):
        raise Rejected(Reason.TOKEN_MALFORMED)
    return Claims(
        decision_id=decision,
        site_id=_text(payload, "s"),
        slot=_text(payload, "sl"),
        campaign_id=_text(payload, "c"),
        creative_id=creative,
        source_brand=_text(payload, "b"),
        destination_brand=_text(payload, "db"),
        customer=_text(payload, "u"),
        holdout=holdout == 1,
        expires=int(payload["exp"]),
        click_counters=_click_counters(payload.get("k", [])),
        device=_device(payload.get("dv")),
    )


def _device(value: Any) -> str | None:
    if value is None:
        return None
    if value not in DEVICES:
        raise Rejected(Reason.TOKEN_MALFORMED)
    return str(value)


def _click_counters(raw: Any) -> tuple[tuple[str, str, str, int | None], ...]:
    if not isinstance(raw, list) or len(raw) > 16:
        raise Rejected(Reason.TOKEN_MALFORMED)
    counters = []
    for entry in raw:
        if (
            not isinstance(entry, list)
            or len(entry) != 4
            or not all(isinstance(part, str) and part for part in entry[:3])
            or not (entry[3] is None or (isinstance(entry[3], int) and not isinstance(entry[3], bool)))
        ):
            raise Rejected(Reason.TOKEN_MALFORMED)
        counters.append((entry[0], entry[1], entry[2], entry[3]))
    return tuple(counters)


def _order(raw: dict[str, Any]) -> Order:
    order_id, value, currency = raw.get("order_id"), raw.get("value"), raw.get("currency")
    if isinstance(order_id, int) and not isinstance(order_id, bool):
        order_id = str(order_id)
    if not isinstance(order_id, str) or not _ORDER.fullmatch(order_id):
        raise Rejected(Reason.INVALID_ORDER)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Rejected(Reason.INVALID_ORDER)
    if not math.isfinite(value) or not 0 <= value <= MAX_ORDER_VALUE:
        raise Rejected(Reason.INVALID_ORDER)
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise Rejected(Reason.INVALID_ORDER)
    return Order(order_id, float(value), currency)
