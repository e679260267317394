"""Campaign, site and group documents: every bad input named by field; plans for volume control."""

import datetime as dt

import pytest

from xsell.decisioning import catalog, engine, volume
from xsell.errors import InvalidRequest

SITES = {
    "hana-web": {"site_id": "hana-web", "brand": "hana"},
    "tabi-web": {"site_id": "tabi-web", "brand": "tabi"},
}
BRANDS = {"hana", "tabi", "umi"}
NOW = dt.datetime(2026, 11, 23, 14, 59, 59, tzinfo=dt.UTC)  # 23:59:59 in Tokyo


def campaign(**changes):
    doc = {
        "campaign_id": "c1",
        "status": "active",
        "source_sites": ["hana-web"],
        "slots": ["top"],
        "destination_brand": "tabi",
        "creatives": [{"creative_id": "a", "template": "text_card", "fields": {"link_url": "https://t.jp"}}],
    }
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def test_a_complete_campaign_validates():
    doc = campaign(
        name="冬の温泉",
        priority=3,
        weight=2,
        schedule={"start": "2026-12-01", "days": ["sat", "sun"]},
        targeting={"field": "visit_count", "op": "ge", "value": 2},
        holdout_pct=10,
        caps=[{"metric": "served", "period": "day", "limit": 500}],
        frequency=[{"period": "week", "limit": 3}],
        guard={"rank_at_least": "gold"},
    )
    assert catalog.validate_campaign(doc, sites=SITES, brands=BRANDS) is doc


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"campaign_id": "has space"}, "campaign.campaign_id", "letters, digits"),
        ({"colour": "red"}, "campaign.colour", "unknown field 'colour'"),
        ({"status": "live"}, "campaign.status", "draft, active, paused"),
        ({"source_sites": []}, "campaign.source_sites", "1-100 names"),
        ({"source_sites": ["nowhere-web"]}, "campaign.source_sites[0]", "not configured"),
        ({"destination_brand": "sora"}, "campaign.destination_brand", "not a configured brand"),
        ({"destination_brand": "hana"}, "campaign.destination_brand", "brand of every source site"),
        ({"priority": -1}, "campaign.priority", "0 to 1000"),
        ({"weight": True}, "campaign.weight", "whole number"),
        ({"schedule": {"timezone": "Mars/Olympus"}}, "campaign.schedule.timezone", ""),
        ({"targeting": {"field": "shoe_size", "op": "eq", "value": 1}}, "targeting", ""),
        ({"creatives": []}, "campaign.creatives", "1-10 creatives"),
        (
            {
                "creatives": [
                    {"creative_id": "a", "template": "popup", "fields": {"link_url": "https://t.jp"}}
                ]
            },
            "campaign.creatives[0].template",
            "image_banner, text_card, image_text",
        ),
        (
            {
                "creatives": [
                    {"creative_id": "a", "template": "text_card", "fields": {"link_url": "javascript:x"}}
                ]
            },
            "campaign.creatives[0].fields.link_url",
            "https://",
        ),
        (
            {
                "creatives": [
                    {"creative_id": "a", "template": "image_text", "fields": {"link_url": "https://t.jp"}}
                ]
            },
            "campaign.creatives[0].fields.image_url",
            "required for image_text",
        ),
        (
            {
                "creatives": [
                    {"creative_id": "a", "template": "text_card", "fields": {"link_url": "http://t.jp"}}
                ]
            },
            "campaign.creatives[0].fields.link_url",
            "https://",
        ),
        ({"holdout_pct": 60}, "campaign.holdout_pct", "0 to 50"),
        ({"caps": [{"period": "hour", "limit": 5}]}, "campaign.caps[0].period", "day, week, month, total"),
        ({"caps": [{"period": "day", "limit": 0}]}, "campaign.caps[0].limit", "1 to"),
        ({"caps": [{"period": "day", "limit": 5, "shards": 4}]}, "campaign.caps[0].shards", "unknown field"),
        (
            {"caps": [{"period": "day", "limit": 5}, {"period": "day", "limit": 9}]},
            "campaign.caps[1]",
            "repeats the served/day cap",
        ),
        ({"frequency": [{"period": "day"}]}, "campaign.frequency[0].limit", "whole number"),
        ({"guard": {}}, "campaign.guard", "rank_at_least or ltv_at_least"),
    ],
)
def test_bad_campaigns_are_named_by_field(changes, field, words):
    with pytest.raises(InvalidRequest) as caught:
        catalog.validate_campaign(campaign(**changes), sites=SITES, brands=BRANDS)
    assert caught.value.field is not None and caught.value.field.startswith(field)
    assert words in str(caught.value)


def test_loopback_http_links_are_allowed_for_the_local_demo():
    doc = campaign(
        creatives=[
            {"creative_id": "a", "template": "text_card", "fields": {"link_url": "http://127.0.0.1:8001/"}}
        ]
    )
    catalog.validate_campaign(doc)


@pytest.mark.parametrize(
    ("doc", "field", "words"),
    [
        ({"rank_scales": {"group": []}}, "group.rank_scales.group", "distinct rank names"),
        ({"rank_scales": {"group": ["a", "a"]}}, "group.rank_scales.group", "distinct rank names"),
        ({"reciprocity": {"default": {"ratio": -1}}}, "group.reciprocity.default.ratio", "0 to 1000"),
        ({"reciprocity": {"pairs": {"hana-tabi": {}}}}, "group.reciprocity.pairs.hana-tabi", "'from>to'"),
        (
            {"reciprocity": {"pairs": {"hana>sora": {}}}},
            "group.reciprocity.pairs.hana>sora",
            "not a configured",
        ),
        (
            {"destination_caps": {"tabi": [{"period": "day"}]}},
            "group.destination_caps.tabi[0].limit",
            "whole",
        ),
        ({"guards": {"hana": {"ltv_at_least": "lots"}}}, "group.guards.hana.ltv_at_least", "whole number"),
        ({"budget": 1}, "group.budget", "unknown field"),
    ],
)
def test_bad_group_settings_are_named_by_field(doc, field, words):
    with pytest.raises(InvalidRequest) as caught:
        catalog.validate_group(doc, brands=BRANDS)
    assert caught.value.field == field
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("site", "field"),
    [
        ({"site_id": "s", "brand": "b", "origins": ["https://shop.example.jp/path"]}, "site.origins[0]"),
        ({"site_id": "s", "brand": "b", "origins": ["ftp://shop.example.jp"]}, "site.origins[0]"),
        ({"site_id": "s", "brand": "b", "allow_raw_id": "yes"}, "site.allow_raw_id"),
        ({"site_id": "s"}, "site.brand"),
    ],
)
def test_bad_sites_are_named_by_field(site, field):
    with pytest.raises(InvalidRequest) as caught:
        catalog.validate_site(site)
    assert caught.value.field == field


def test_site_origins_compile_to_lowercase_origins():
    site = catalog.compile_site({"site_id": "s", "brand": "b", "origins": ["https://Shop.Example.JP/"]})
    assert site.origins == ("https://shop.example.jp",)


def _snapshot(group=None, **changes):
    sites = [{"site_id": "hana-web", "brand": "hana"}, {"site_id": "tabi-web", "brand": "tabi"}]
    return catalog.compile_snapshot(1, sites, [campaign(**changes)], group)


def _plan(snapshot):
    chosen = engine.Choice("top", snapshot.campaigns["c1"], snapshot.campaigns["c1"].creatives[0])
    return volume.plan(snapshot, chosen, "hana", NOW)


def test_a_campaign_without_limits_plans_no_claims():
    assert _plan(_snapshot()) == volume.Plan()


def test_plan_counts_periods_in_the_campaign_time_zone():
    snap = _snapshot(
        caps=[{"period": "day", "limit": 10}, {"metric": "clicks", "period": "total", "limit": 3}],
        frequency=[{"period": "week", "limit": 2}],
        schedule={"timezone": "Europe/Berlin"},
    )
    plan = _plan(snap)
    quota, clicks = plan.shared
    (freq,) = plan.frequency
    assert (quota.subject, quota.period_key, quota.limit) == ("c1", "d2026-11-23", 10)  # 15:59 in Berlin
    assert (clicks.limit, clicks.period_key) == (3, "total")
    assert (freq.campaign_id, freq.period_key, freq.limit) == ("c1", "w2026-W48", 2)
    assert plan.click_counters == (volume.ClickCounter("campaign", "c1", "total", None),)


def test_destination_caps_and_reciprocity_use_tokyo_days():
    group = {
        "destination_caps": {"tabi": [{"period": "day", "limit": 100}]},
        "reciprocity": {"default": {"ratio": 2, "allowance": 5}},
    }
    quota, ledger = _plan(_snapshot(group)).shared
    assert (quota.scope, quota.subject, quota.period_key) == ("destination", "tabi", "d2026-11-23")
    assert (ledger.source, ledger.destination, ledger.allowance, ledger.earn) == ("hana", "tabi", 5, 2.0)
    assert ledger.period_key == "d2026-11-23"
    one_second_later = volume.plan(
        _snapshot(group),
        engine.Choice("top", *_first(_snapshot(group))),
        "hana",
        NOW + dt.timedelta(seconds=1),
    )
    assert one_second_later.shared[0].period_key == "d2026-11-24"  # midnight in Tokyo


def test_a_referral_earns_the_way_back_by_the_way_back_s_own_rule():
    group = {
        "reciprocity": {
            "pairs": {"hana>tabi": {"ratio": 1, "allowance": 5}, "tabi>hana": {"ratio": 3, "allowance": 7}}
        }
    }
    (ledger,) = _plan(_snapshot(group)).shared
    assert (ledger.allowance, ledger.earn, ledger.back_allowance) == (5, 3.0, 7)
    # Only the way back restricted: hana→tabi spends nothing but still earns tabi→hana credit.
    (ledger,) = _plan(_snapshot({"reciprocity": {"pairs": {"tabi>hana": {"ratio": 2}}}})).shared
    assert (ledger.allowance, ledger.earn, ledger.back_allowance) == (None, 2.0, 0)
    # Only this way restricted: it spends credit and earns nothing.
    (ledger,) = _plan(_snapshot({"reciprocity": {"pairs": {"hana>tabi": {"ratio": 2}}}})).shared
    assert (ledger.allowance, ledger.earn) == (0, 0.0)


def _first(snapshot):
    c = snapshot.campaigns["c1"]
    return c, c.creatives[0]


def test_a_pair_set_to_null_is_not_restricted():
    group = {"reciprocity": {"default": {"ratio": 1, "allowance": 0}, "pairs": {"hana>tabi": None}}}
    snap = _snapshot(group)
    assert ("hana", "tabi") not in snap.reciprocity and ("tabi", "hana") in snap.reciprocity
