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

SCHEMA_VERSION = 1
EVENTS_PREFIX = "events/"
# Firehose's own prefix syntax; CDK and local bootstrap both configure the stream with it.
PARTITION_EXPRESSION = "dt=!{timestamp:yyyy-MM-dd}/"
ERROR_PREFIX = "errors/!{firehose:error-output-type}/" + PARTITION_EXPRESSION
TIME_ZONE_NAME = "Asia/Tokyo"
# Japan keeps no daylight saving time: a fixed offset needs no tz database in Lambda.
TIME_ZONE = dt.timezone(dt.timedelta(hours=9), TIME_ZONE_NAME)

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


def shape(event: Event, received_at: dt.datetime, key: bytes, page_site: str | None = None) -> dict[str, Any]:
    """The stored record of one accepted event."""
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
        # Where the order was placed, as the destination page's tag says (not signed).
        "conversion_site": page_site if order else None,
    }


def encode(record: dict[str, Any]) -> bytes:
    """One JSON line; Firehose concatenates records as they are, so each ends in a newline."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
