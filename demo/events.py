"""Synthetic measured events in the exact stored format (xsell.measuring.records), for the demo's
reports and the report benchmark.

A few weeks of decide's requests and served slots, impressions, clicks, holdout exposures and
orders for the demo campaigns (each customer on one device class, about one order in ten reported
server to server), with a real lift in one campaign (``umi-to-tabi``: treated customers order
twice as often as its holdout) and none in another (``tabi-to-hana``: both arms order alike),
and an A/B test on ``hana-to-tabi`` whose variant b gets more clicks. Records land in the folder
of the Asia/Tokyo day they "arrive" (a few seconds to a minute and a half after the event), as
Firehose puts them.
"""

from __future__ import annotations

import datetime as dt
import gzip
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xsell.measuring import records

DEMO_KEY = b"xsell-demo-events"


@dataclass(frozen=True)
class Plan:
    campaign_id: str
    site_id: str
    source_brand: str
    destination_brand: str
    creatives: tuple[tuple[str, float, float], ...]  # (creative id, weight, click-through rate)
    holdout: float  # share of customers held out
    order_rate_treated: float  # chance a treated customer orders within the week after exposure
    order_rate_holdout: float
    order_value: int


PLANS = (
    Plan("hana-to-tabi", "hana-web", "hana", "tabi",
         (("hana-to-tabi-a", 1, 0.04), ("hana-to-tabi-b", 1, 0.06)), 0.0, 0.05, 0.0, 18000),
    Plan("umi-to-tabi", "umi-web", "umi", "tabi", (("umi-to-tabi-a", 1, 0.05),), 0.10, 0.20, 0.05, 22000),
    Plan("tabi-to-hana", "tabi-web", "tabi", "hana", (("tabi-to-hana-a", 1, 0.05),), 0.10, 0.05, 0.05, 6000),
    Plan("umi-to-hana", "umi-web", "umi", "hana", (("umi-to-hana-a", 1, 0.03),), 0.0, 0.03, 0.0, 5000),
    Plan("hana-to-umi", "hana-web", "hana", "umi", (("hana-to-umi-a", 1, 0.03),), 0.0, 0.04, 0.0, 8000),
)  # fmt: skip


DEVICES = (("mobile", 6), ("desktop", 3), ("tablet", 1))
S2S_SHARE = 0.1  # orders the destination's server reports (signed), the rest through the browser tag


def _record(kind: str, at: dt.datetime, who: str, plan: Plan, creative: str | None, decision: str,
            order: tuple[str, float] | None = None, device: str | None = None,
            channel: str | None = None) -> dict[str, Any]:  # fmt: skip
    request = kind == "request"  # decide's answer to the page: no campaign chosen yet
    return {
        "schema": records.SCHEMA_VERSION,
        "event_id": uuid.UUID(int=random.getrandbits(128)).hex,
        "event_type": kind,
        "received_at": at.astimezone(dt.UTC).isoformat(timespec="milliseconds"),
        "dt": records.day(at),
        "decision_id": decision,
        "site_id": plan.site_id,
        "slot": "top-banner",
        "campaign_id": None if request else plan.campaign_id,
        "creative_id": creative,
        "source_brand": plan.source_brand,
        "destination_brand": None if request else plan.destination_brand,
        "customer_hash": who,
        "holdout": kind == "holdout",
        "order_id": order[0] if order else None,
        "value": order[1] if order else None,
        "currency": "JPY" if order else None,
        "conversion_site": f"{plan.destination_brand}-web" if order else None,
        "channel": (channel or records.CHANNEL_BROWSER) if order else None,
        "device": device,
    }


def generate(
    *, days: int = 21, customers: int = 3000, end: dt.date | None = None, seed: int = 7, views: float = 4.0
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(folder day, record) for ``customers`` customers over the ``days`` days before ``end``."""
    rng = random.Random(seed)
    random.seed(seed)
    last = end or (dt.datetime.now(records.TIME_ZONE).date() - dt.timedelta(days=1))
    start = dt.datetime.combine(last - dt.timedelta(days=days - 1), dt.time(), records.TIME_ZONE)
    span = days * 86400
    orders = 0
    for n in range(customers):
        who = records.customer_hash(f"C{n:06d}", DEMO_KEY)
        device = rng.choices([d for d, _ in DEVICES], [w for _, w in DEVICES])[0]
        for plan in PLANS:
            if rng.random() > 0.5:
                continue  # about half the customers are eligible for each campaign
            held = rng.random() < plan.holdout
            creative = rng.choices([c[0] for c in plan.creatives], [c[1] for c in plan.creatives])[0]
            ctr = next(c[2] for c in plan.creatives if c[0] == creative)
            first: dt.datetime | None = None
            last_click: tuple[dt.datetime, str] | None = None
            for _ in range(max(1, int(rng.expovariate(1 / views)))):
                at = start + dt.timedelta(seconds=rng.randrange(span))
                decision = uuid.UUID(int=rng.getrandbits(128)).hex
                first = at if first is None or at < first else first
                asked = at - dt.timedelta(milliseconds=rng.randrange(200, 2000))
                yield _arrive(rng, _record("request", asked, who, plan, None, decision, device=device))
                if held:
                    yield _arrive(rng, _record("holdout", at, who, plan, None, decision, device=device))
                    continue
                yield _arrive(rng, _record("served", asked, who, plan, creative, decision, device=device))
                yield _arrive(rng, _record("impression", at, who, plan, creative, decision, device=device))
                if rng.random() < ctr * 3:  # clickers are the likelier buyers
                    clicked = at + dt.timedelta(seconds=rng.randrange(2, 60))
                    yield _arrive(
                        rng, _record("click", clicked, who, plan, creative, decision, device=device)
                    )
                    if last_click is None or clicked > last_click[0]:
                        last_click = (clicked, decision)
            rate = plan.order_rate_holdout if held else plan.order_rate_treated
            if first is not None and rng.random() < rate:
                base, decision = last_click or (first, uuid.UUID(int=rng.getrandbits(128)).hex)
                at = base + dt.timedelta(seconds=rng.randrange(600, 3 * 86400))
                orders += 1
                value = float(round(plan.order_value * rng.uniform(0.5, 1.5), -1))
                channel = records.CHANNEL_S2S if rng.random() < S2S_SHARE else records.CHANNEL_BROWSER
                order = _record("conversion", at, who, plan, None if held else creative, decision,
                                (f"D{orders:07d}", value), device, channel)  # fmt: skip
                if at < start + dt.timedelta(seconds=span):
                    yield _arrive(rng, order)
                    if rng.random() < 0.02:  # the conversion tag reported it twice
                        yield _arrive(rng, dict(order, event_id=uuid.UUID(int=rng.getrandbits(128)).hex))


def _arrive(rng: random.Random, record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    at = dt.datetime.fromisoformat(record["received_at"]) + dt.timedelta(seconds=rng.uniform(1, 90))
    return records.day(at), record


def gzip_folders(events: Iterator[tuple[str, dict[str, Any]]]) -> dict[str, bytes]:
    lines: dict[str, list[bytes]] = {}
    for day, record in events:
        lines.setdefault(day, []).append(records.encode(record))
    return {day: gzip.compress(b"".join(chunk)) for day, chunk in lines.items()}


def write_s3(bucket: str, **options: Any) -> int:
    """Write the generated events to the events bucket as Firehose would; the number of objects."""
    import boto3

    s3 = boto3.session.Session().client("s3")
    folders = gzip_folders(generate(**options))
    for day, data in folders.items():
        s3.put_object(Bucket=bucket, Key=f"{records.EVENTS_PREFIX}dt={day}/xsell-demo-{day}.gz", Body=data)
    return len(folders)


def write_dir(root: Path, **options: Any) -> int:
    folders = gzip_folders(generate(**options))
    for day, data in folders.items():
        folder = Path(root) / records.EVENTS_PREFIX / f"dt={day}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"xsell-demo-{day}.gz").write_bytes(data)
    return len(folders)
