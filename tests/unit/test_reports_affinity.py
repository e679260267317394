"""Brand affinity: lift = P(uses B | uses A) / P(uses B), worked out by hand on ten profiles, and
decide drawing an affinity-weighted campaign in proportion to its published lift."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from xsell.decisioning import catalog, engine
from xsell.decisioning.facts import Facts
from xsell.errors import InvalidRequest
from xsell.reporting import affinity


def _profile(n: int, *brands: str) -> dict:
    return {"customer_id": f"C{n:03d}", "brands": {b: {"used": 1} for b in brands}}


# 10 customers: hana only 2, hana+tabi 3, tabi only 1, umi only 3, none 1.
PROFILES = [
    _profile(1, "hana"),
    _profile(2, "hana"),
    _profile(3, "hana", "tabi"),
    _profile(4, "hana", "tabi"),
    _profile(5, "hana", "tabi"),
    _profile(6, "tabi"),
    _profile(7, "umi"),
    _profile(8, "umi"),
    _profile(9, "umi"),
    _profile(10),
]


def _by_pair(rows: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["source_brand"], r["destination_brand"]): r for r in rows}


def test_lift_by_hand():
    rows = _by_pair(affinity.lifts(affinity.tally(PROFILES), min_support=1))
    assert len(rows) == 6  # every ordered pair of the three brands
    hana_tabi = rows[("hana", "tabi")]
    # P(tabi | hana) = 3/5, P(tabi) = 4/10: lift 1.5
    assert (hana_tabi["both_customers"], hana_tabi["source_customers"], hana_tabi["customers"]) == (3, 5, 10)
    assert hana_tabi["p_destination_given_source"] == pytest.approx(0.6)
    assert hana_tabi["p_destination"] == pytest.approx(0.4)
    assert hana_tabi["lift"] == pytest.approx(1.5)
    # P(hana | tabi) = 3/4, P(hana) = 5/10: lift 1.5 as well (lift is symmetric)
    assert rows[("tabi", "hana")]["lift"] == pytest.approx(1.5)
    # nobody uses umi with another brand
    assert rows[("hana", "umi")]["lift"] == 0 and rows[("umi", "tabi")]["lift"] == 0


def test_too_few_source_customers_give_no_lift():
    rows = _by_pair(affinity.lifts(affinity.tally(PROFILES)))  # default: at least 30 customers
    assert all(r["lift"] is None for r in rows.values())
    assert rows[("hana", "tabi")]["both_customers"] == 3  # the counts are still there


def test_segments_add_up_to_the_whole():
    parts = [affinity.tally(PROFILES[i::3]) for i in range(3)]
    merged = affinity.merge(parts)
    whole = affinity.tally(PROFILES)
    assert (merged.customers, merged.users, merged.both) == (whole.customers, whole.users, whole.both)
    seen = []

    def scan(segment: int, segments: int):
        seen.append((segment, segments))
        return PROFILES[segment::segments]

    computed = affinity.compute(segments=4, scan=scan)
    assert sorted(seen) == [(0, 4), (1, 4), (2, 4), (3, 4)]
    assert computed.both == whole.both and computed.customers == 10


def test_usage_flags_that_are_not_set_do_not_count():
    profile = {"brands": {"hana": {"used": 0}, "tabi": {"used": 1}, "umi": "yes", "sora": None}}
    assert affinity.used_brands(profile) == ["tabi"]
    assert affinity.used_brands({}) == []


# --- decide: a campaign weighted by affinity ------------------------------------------------


def _campaign(cid: str, destination: str, **extra):
    return {
        "campaign_id": cid,
        "status": "active",
        "destination_brand": destination,
        "source_sites": ["hana-web"],
        "slots": ["top"],
        "creatives": [
            {
                "creative_id": f"{cid}-a",
                "template": "text_card",
                "fields": {"title": cid, "link_url": "https://x"},
            }
        ],
        **extra,
    }


def _chosen(snapshot, customers: int) -> Counter:
    site = snapshot.sites["hana-web"]
    picked = Counter()
    for n in range(customers):
        facts = Facts(customer_id=f"C{n:05d}", now=NOW, source_brand="hana", brands={}, optouts=frozenset())
        [choice] = engine.choose(snapshot, site, ["top"], facts)
        picked[choice.campaign.destination_brand] += 1
    return picked


SITE = {"site_id": "hana-web", "brand": "hana", "allow_raw_id": True}
NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
PUBLISHED = {
    "pairs": [
        {"source_brand": "hana", "destination_brand": "tabi", "lift": 1.8},
        {"source_brand": "hana", "destination_brand": "umi", "lift": 0.2},
        {"source_brand": "tabi", "destination_brand": "umi", "lift": None},  # too few customers
    ]
}


def test_decide_weighs_destinations_by_the_published_lift():
    campaigns = [
        _campaign("to-tabi", "tabi", weight_by_affinity=True),
        _campaign("to-umi", "umi", weight_by_affinity=True),
    ]
    snapshot = catalog.compile_snapshot(1, [SITE], campaigns, {}, PUBLISHED)
    assert snapshot.affinity == {("hana", "tabi"): 1.8, ("hana", "umi"): 0.2}
    site = snapshot.sites["hana-web"]
    weights = [engine.draw_weight(snapshot, site, snapshot.campaigns[c]) for c in ("to-tabi", "to-umi")]
    assert weights == [1.8, 0.2]
    # Each customer's draw is stable: the fraction picks to-tabi when it falls in its 1.8 of 2.0.
    expected = Counter(
        "tabi" if engine.stable_fraction(f"C{n:05d}", "top", "campaign", "0") * 2.0 < 1.8 else "umi"
        for n in range(2000)
    )
    picked = _chosen(snapshot, 2000)
    assert picked == expected
    assert 0.85 < picked["tabi"] / 2000 < 0.95  # ~ 1.8 / 2.0


def test_without_the_option_or_a_published_lift_the_weights_stay():
    plain = catalog.compile_snapshot(
        1, [SITE], [_campaign("to-tabi", "tabi"), _campaign("to-umi", "umi")], {}, PUBLISHED
    )
    picked = _chosen(plain, 2000)
    assert 0.45 < picked["tabi"] / 2000 < 0.55
    unknown = catalog.compile_snapshot(
        1, [SITE], [_campaign("to-tabi", "tabi", weight_by_affinity=True)], {}, {"pairs": []}
    )
    assert engine.draw_weight(unknown, unknown.sites["hana-web"], unknown.campaigns["to-tabi"]) == 1


def test_a_campaign_with_a_bad_affinity_option_is_refused():
    with pytest.raises(InvalidRequest) as caught:
        catalog.validate_campaign(_campaign("to-tabi", "tabi", weight_by_affinity="yes"))
    assert caught.value.field == "campaign.weight_by_affinity"


def test_observed_lift_by_hand():
    seen = {
        ("hana", "tabi"): affinity.Observed(referrals=1000, conversions=40),  # 4 %
        ("tabi", "hana"): affinity.Observed(referrals=600, conversions=6),  # 1 %
        ("umi", "hana"): affinity.Observed(referrals=400, conversions=14),  # 3.5 %, too few referrals
    }
    # All referrals: 60 conversions of 2,000 = 3 %.
    lifts = affinity.observed_lifts(seen, min_referrals=500)
    assert lifts == {("hana", "tabi"): pytest.approx(4 / 3), ("tabi", "hana"): pytest.approx(1 / 3)}
    assert affinity.observed_lifts({("a", "b"): affinity.Observed(800, 0)}, min_referrals=500) == {}
    assert affinity.observed_lifts({}, min_referrals=1) == {}


def test_the_published_lift_is_the_observed_one_where_referrals_suffice():
    counted = affinity.tally(PROFILES * 10)  # enough customers for usage lifts
    seen = {("hana", "tabi"): affinity.Observed(1000, 30), ("tabi", "hana"): affinity.Observed(10, 5)}
    moment = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    doc = affinity.document(counted, moment, seen, min_referrals=500)
    pairs = {(p["source_brand"], p["destination_brand"]): p for p in doc["pairs"]}
    ab, ba = pairs[("hana", "tabi")], pairs[("tabi", "hana")]
    observed = round((30 / 1000) / (35 / 1010), 4)
    assert (ab["lift_source"], ab["observed_lift"], ab["referrals"]) == ("observed", observed, 1000)
    assert ab["lift"] == ab["observed_lift"] != ab["usage_lift"]
    assert (ba["lift_source"], ba["observed_lift"], ba["lift"]) == ("usage", None, ba["usage_lift"])
    affinity.check(doc)
    assert catalog.compile_affinity(doc)[("hana", "tabi")] == ab["observed_lift"]
