"""Brand affinity over the real profiles table (DynamoDB Local): the parallel Scan through
xsell.dal.profiles reads every profile once across its segments, skips decide's state items,
and the lift computed from it matches the hand-worked fixture of the unit test."""

from __future__ import annotations

import uuid

import pytest

from tests.unit.test_reports_affinity import PROFILES
from xsell.dal import aws, profiles
from xsell.models import Profile
from xsell.reporting import affinity


def _item(customer_id: str, brands: dict) -> dict:
    usage = {
        b: {"M": {"used": {"N": str(u["used"])}, "first_used": {"S": "2025-01-01"}}}
        for b, u in brands.items()
    }
    return {"customer_id": {"S": customer_id}, "brands": {"M": usage}, "group_rank": {"S": "gold"}}


def test_parallel_scan_reads_every_profile_once(local_system):
    tag = uuid.uuid4().hex[:8]
    items = [_item(f"aff-{tag}-{p['customer_id']}", p["brands"]) for p in PROFILES]
    items.append({"customer_id": {"S": f"state#aff-{tag}-C001"}, "visits": {"N": "3"}})  # decide's state
    client = aws.client("dynamodb")
    for item in items:
        client.put_item(TableName=Profile.Meta.table_name, Item=item)

    mine = []

    def scan(segment: int, segments: int):
        for profile in profiles.scan_brand_usage(segment, segments, page_size=3):
            if f"aff-{tag}" in profile["customer_id"]:
                mine.append(profile["customer_id"])
                yield profile

    counted = affinity.compute(segments=3, scan=scan)
    assert sorted(mine) == sorted(i["customer_id"]["S"] for i in items[:-1])  # each once, no state item
    rows = {(r["source_brand"], r["destination_brand"]): r for r in affinity.lifts(counted, min_support=1)}
    assert rows[("hana", "tabi")]["lift"] == pytest.approx(1.5)
    assert counted.customers == 10


def test_a_segment_outside_the_scan_is_refused(local_system):
    with pytest.raises(ValueError, match="segment 3"):
        next(profiles.scan_brand_usage(3, 3))
