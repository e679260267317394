"""decide's own measured events, in the stored record format (:mod:`xsell.measuring.records`):
one ``request`` per slot a page asked for, and one ``served`` per slot filled with a creative,
both with the page's device class. The funnel starts from them (docs/reports.md); the tag never
sends them, so collect does not accept them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xsell.measuring import records

REQUEST = "request"
SERVED = "served"


@dataclass(frozen=True)
class Served:
    slot: str
    campaign_id: str
    creative_id: str
    destination_brand: str


def _record(
    kind: str,
    at: dt.datetime,
    decision_id: str,
    site_id: str,
    source_brand: str,
    slot: str,
    customer: str,
    device: str | None,
    served: Served | None = None,
) -> dict[str, Any]:
    return {
        "schema": records.SCHEMA_VERSION,
        "event_id": uuid.uuid4().hex,
        "event_type": kind,
        "received_at": at.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
        "dt": records.day(at),
        "decision_id": decision_id,
        "site_id": site_id,
        "slot": slot,
        "campaign_id": served.campaign_id if served else None,
        "creative_id": served.creative_id if served else None,
        "source_brand": source_brand,
        "destination_brand": served.destination_brand if served else None,
        "customer_hash": customer,
        "holdout": False,
        "order_id": None,
        "value": None,
        "currency": None,
        "conversion_site": None,
        "device": device,
    }


def decision_lines(
    *,
    at: dt.datetime,
    decision_id: str,
    site_id: str,
    source_brand: str,
    slots: Sequence[str],
    served: Sequence[Served],
    customer_hash: str,
    device: str | None,
) -> list[bytes]:
    """The encoded records of one decision: a request per asked slot, a served per filled one."""
    common = (at, decision_id, site_id, source_brand)
    lines = [
        records.encode(_record(REQUEST, *common, slot, customer_hash, device))
        for slot in dict.fromkeys(slots)
    ]
    lines += [records.encode(_record(SERVED, *common, s.slot, customer_hash, device, s)) for s in served]
    return lines
