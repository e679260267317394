"""A small, hand-checked set of stored event records for the report tests (unit and integration).

Expected figures are worked out by hand in the docstrings below and in EXPECTED_*; the records are
in the stored format (xsell.measuring.records.shape), and the folder each lands in is given
separately, as Firehose chooses it (an event a second before midnight lands in the next day's).
"""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from xsell.measuring import records

_ids = itertools.count(1)

CAMPAIGNS = {
    "camp-a": ("hana-web", "hana", "tabi"),
    "camp-b": ("umi-web", "umi", "hana"),
    "camp-c": ("hana-web", "hana", "tabi"),
}


def customer(n: int) -> str:
    return f"cust{n:02d}".ljust(22, "x")


def record(
    kind: str,
    at: str,
    who: int,
    campaign: str,
    creative: str | None,
    decision: str,
    device: str | None = None,
    channel: str = "browser",
    **order: Any,
) -> dict:
    site, source, destination = CAMPAIGNS[campaign]
    received = dt.datetime.fromisoformat(at)
    if kind == "request":  # decide's record of a slot asked for: no campaign chosen yet
        campaign, destination = None, None
    return {
        "schema": records.SCHEMA_VERSION,
        "event_id": f"{next(_ids):032x}",
        "event_type": kind,
        "received_at": received.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
        "dt": records.day(received),
        "decision_id": decision.ljust(32, "0"),
        "site_id": site,
        "slot": "top-banner",
        "campaign_id": campaign,
        "creative_id": creative,
        "source_brand": source,
        "destination_brand": destination,
        "customer_hash": customer(who),
        "holdout": kind == "holdout",
        "order_id": order.get("order_id"),
        "value": order.get("value"),
        "currency": "JPY" if kind == "conversion" else None,
        "conversion_site": f"{destination}-web" if kind == "conversion" else None,
        "channel": channel if kind == "conversion" else None,
        "device": device,
    }


def _conv(
    at: str,
    who: int,
    campaign: str,
    creative: str | None,
    decision: str,
    order_id: str,
    value: float,
    device: str | None = None,
    channel: str = "browser",
):
    return record(
        "conversion", at, who, campaign, creative, decision, device, channel, order_id=order_id, value=value
    )


# (folder day, record). Times are UTC; Tokyo is +9 h.
EVENTS: list[tuple[str, dict]] = [
    # c1 on a phone: decide is asked for the slot and serves a1 on 11-10, c1 sees and clicks it,
    # orders on 11-11 (reported twice): one click-through order, counted on the phone.
    ("2026-11-10", record("request", "2026-11-10T00:59:59+00:00", 1, "camp-a", None, "d1", "mobile")),
    ("2026-11-10", record("served", "2026-11-10T00:59:59+00:00", 1, "camp-a", "a1", "d1", "mobile")),
    ("2026-11-10", record("impression", "2026-11-10T01:00:00+00:00", 1, "camp-a", "a1", "d1", "mobile")),
    ("2026-11-10", record("click", "2026-11-10T01:00:30+00:00", 1, "camp-a", "a1", "d1", "mobile")),
    ("2026-11-11", _conv("2026-11-11T02:00:00+00:00", 1, "camp-a", "a1", "d1", "O1", 1000, "mobile")),
    ("2026-11-11", _conv("2026-11-11T02:05:00+00:00", 1, "camp-a", "a1", "d1", "O1", 1000, "mobile")),
    # c7 on a phone: decide is asked on 11-12 but has nothing to serve (a request, no served).
    ("2026-11-12", record("request", "2026-11-12T03:00:00+00:00", 7, "camp-a", None, "d7", "mobile")),
    # c2: sees a2 a second before midnight Tokyo (lands in the 11-11 folder), orders 12 h later
    # without a click: a view-through order for a2 on 11-11.
    ("2026-11-11", record("impression", "2026-11-10T14:59:59+00:00", 2, "camp-a", "a2", "d2")),
    ("2026-11-11", _conv("2026-11-11T03:00:00+00:00", 2, "camp-c", "c1", "d9", "O2", 500)),
    # c3: sees and clicks a2 on 11-11, orders the same day.
    ("2026-11-11", record("impression", "2026-11-11T00:00:00+00:00", 3, "camp-a", "a2", "d3")),
    ("2026-11-11", record("click", "2026-11-11T00:01:00+00:00", 3, "camp-a", "a2", "d3")),
    ("2026-11-11", _conv("2026-11-11T05:00:00+00:00", 3, "camp-a", "a2", "d3", "O3", 2000)),
    # c4: in camp-a's holdout on 11-10, orders at tabi the same day through another referral.
    ("2026-11-10", record("holdout", "2026-11-10T02:00:00+00:00", 4, "camp-a", None, "d4")),
    ("2026-11-10", _conv("2026-11-10T05:00:00+00:00", 4, "camp-c", "c1", "d8", "O4", 700)),
    # c5: umi -> hana, sees, clicks and orders on 11-12.
    ("2026-11-12", record("impression", "2026-11-12T01:00:00+00:00", 5, "camp-b", "b1", "d5")),
    ("2026-11-12", record("click", "2026-11-12T01:00:10+00:00", 5, "camp-b", "b1", "d5")),
    # ... and umi's server reports that order, signed (server to server).
    ("2026-11-12", _conv("2026-11-12T02:00:00+00:00", 5, "camp-b", "b1", "d5", "O5", 3000, None, "s2s")),
    # c6: clicked a1 on 11-01, ordered ten days later: outside the 7-day window, not credited.
    ("2026-11-01", record("impression", "2026-11-01T01:00:00+00:00", 6, "camp-a", "a1", "d6")),
    ("2026-11-01", record("click", "2026-11-01T01:01:00+00:00", 6, "camp-a", "a1", "d6")),
    ("2026-11-11", _conv("2026-11-11T01:00:00+00:00", 6, "camp-a", "a1", "d6", "O6", 900)),
]

RANGE = {"from": "2026-11-10", "until": "2026-11-12"}
NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)

# day, campaign, creative, site, source, destination, device -> requests, served, impressions,
# clicks, holdout, click conversions, view conversions, s2s conversions, revenue
EXPECTED_FUNNEL = {
    ("2026-11-10", None, None, "hana-web", "hana", None, "mobile"): (1, 0, 0, 0, 0, 0, 0, 0, 0.0),
    ("2026-11-10", "camp-a", "a1", "hana-web", "hana", "tabi", "mobile"): (0, 1, 1, 1, 0, 0, 0, 0, 0.0),
    ("2026-11-10", "camp-a", "a2", "hana-web", "hana", "tabi", "unknown"): (0, 0, 1, 0, 0, 0, 0, 0, 0.0),
    ("2026-11-10", "camp-a", None, "hana-web", "hana", "tabi", "unknown"): (0, 0, 0, 0, 1, 0, 0, 0, 0.0),
    ("2026-11-11", "camp-a", "a1", "hana-web", "hana", "tabi", "mobile"): (0, 0, 0, 0, 0, 1, 0, 0, 1000.0),
    ("2026-11-11", "camp-a", "a2", "hana-web", "hana", "tabi", "unknown"): (0, 0, 1, 1, 0, 1, 1, 0, 2500.0),
    ("2026-11-12", None, None, "hana-web", "hana", None, "mobile"): (1, 0, 0, 0, 0, 0, 0, 0, 0.0),
    ("2026-11-12", "camp-b", "b1", "umi-web", "umi", "hana", "unknown"): (0, 0, 1, 1, 0, 1, 0, 1, 3000.0),
}
# campaign, creative -> customers, impressions, clicks, clickers, converters, conversions, revenue
EXPECTED_AB = {
    ("camp-a", "a1"): (1, 1, 1, 1, 1, 1, 1000.0),
    ("camp-a", "a2"): (2, 2, 1, 1, 2, 2, 2500.0),
    ("camp-b", "b1"): (1, 1, 1, 1, 1, 1, 3000.0),
}
# campaign, arm -> customers, converters, conversions, revenue, revenue squared
EXPECTED_HOLDOUT = {
    ("camp-a", "holdout"): (1, 1, 1, 700.0, 490000.0),
    ("camp-a", "treatment"): (3, 3, 3, 3500.0, 5250000.0),
    ("camp-b", "treatment"): (1, 1, 1, 3000.0, 9000000.0),
}
# source, destination -> impressions, sent, received, conversions, revenue, new customers
EXPECTED_PAIRS = {
    ("hana", "tabi"): (3, 2, 0, 3, 3500.0, 3),
    ("umi", "hana"): (1, 1, 0, 1, 3000.0, 1),
}
SETTLEMENT = {
    "currency": "JPY",
    "default": {"per_conversion": 500},
    "pairs": {"umi>hana": {"revenue_share": 0.1}},
}
# month 2026-11: (kind, payer, payee) -> conversions, revenue, amount
EXPECTED_SETTLEMENT = {
    ("pair", "tabi", "hana"): (3, 3500.0, 1500),
    ("pair", "hana", "umi"): (1, 3000.0, 300),
    ("net", None, "hana"): (None, None, 1200),
    ("net", None, "tabi"): (None, None, -1500),
    ("net", None, "umi"): (None, None, 300),
}


def by_folder(events: Iterable[tuple[str, dict]] = EVENTS) -> dict[str, bytes]:
    """GZIP JSON lines per folder day, as Firehose writes them."""
    folders: dict[str, list[bytes]] = {}
    for day, rec in events:
        folders.setdefault(day, []).append(records.encode(rec))
    return {day: gzip.compress(b"".join(lines)) for day, lines in folders.items()}


def write_dir(root: Path) -> None:
    for day, data in by_folder().items():
        folder = root / records.EVENTS_PREFIX / f"dt={day}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"xsell-events-1-{day}.gz").write_bytes(data)


def write_s3(s3: Any, bucket: str, prefix_tag: str = "fixture") -> list[str]:
    keys = []
    for day, data in by_folder().items():
        key = f"{records.EVENTS_PREFIX}dt={day}/{prefix_tag}-{day}.gz"
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        keys.append(key)
    return keys
