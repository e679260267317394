"""Event records as they land in S3: one JSON object per line, one schema for every type.

Firehose writes them under ``events/dt=YYYY-MM-DD/`` (the Asia/Tokyo day the
event arrived, the product's reporting day); the same prefix expression is
given to the local emulator, so reports read one layout everywhere.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any

from xsell import signing
from xsell.measuring.events import Event
from xsell.vocabulary import BUSINESS_ZONE, DEFAULT_TZ

SCHEMA_VERSION = 1
EVENTS_PREFIX = "events/"
# Firehose's own prefix syntax; CDK and local bootstrap both configure the stream with it.
PARTITION_EXPRESSION = "dt=!{timestamp:yyyy-MM-dd}/"
ERROR_PREFIX = "errors/!{firehose:error-output-type}/" + PARTITION_EXPRESSION
# The reporting day is a calendar day of the group's zone (a fixed offset, see xsell.vocabulary).
TIME_ZONE_NAME = DEFAULT_TZ
TIME_ZONE = BUSINESS_ZONE

# What xsell.signing.customer_hash produces: 16 bytes, base64url without padding.
_HASH = re.compile(r"^[A-Za-z0-9_-]{22}$")


def day(at: dt.datetime) -> str:
    """The reporting day of an instant: its date in Asia/Tokyo."""
    return at.astimezone(TIME_ZONE).date().isoformat()


def partition_prefix(at: dt.datetime) -> str:
    """The S3 prefix Firehose writes an event received at ``at`` under."""
    return f"{EVENTS_PREFIX}dt={day(at)}/"


def customer_hash(value: str, key: bytes) -> str:
    """The stored customer pseudonym. Tokens already carry a hash; anything else is hashed
    here, so a raw id can never reach S3 even from a misbehaving signer."""
    return value if _HASH.fullmatch(value) else signing.customer_hash(key, value)


# Which path a conversion came by: the site's server, signed with the site's secret (trusted),
# or the browser's conversion tag (untrusted: order, value and site are the page's word).
CHANNEL_S2S = "s2s"
CHANNEL_BROWSER = "browser"


def shape(
    event: Event,
    received_at: dt.datetime,
    key: bytes,
    page_site: str | None = None,
    channel: str = CHANNEL_BROWSER,
) -> dict[str, Any]:
    """The stored record of one accepted event; ``key`` is the pseudonym key."""
    claims, order = event.claims, event.order
    return {
        "schema": SCHEMA_VERSION,
        "event_id": uuid.uuid4().hex,
        "event_type": event.type,
        "received_at": received_at.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
        "dt": day(received_at),
        "decision_id": claims.decision_id,
        "site_id": claims.site_id,
        "slot": claims.slot,
        "campaign_id": claims.campaign_id,
        "creative_id": claims.creative_id,
        "source_brand": claims.source_brand,
        "destination_brand": claims.destination_brand,
        "customer_hash": customer_hash(claims.customer, key),
        "holdout": claims.holdout,
        "order_id": order.order_id if order else None,
        "value": order.value if order else None,
        "currency": order.currency if order else None,
        # Where the order was placed: the signing site (s2s), or as the page's tag says (browser).
        "conversion_site": page_site if order else None,
        "channel": channel if order else None,
        "device": claims.device,
    }


def encode(record: dict[str, Any]) -> bytes:
    """One JSON line; Firehose concatenates records as they are, so each ends in a newline."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
