import datetime as dt
from collections import Counter as Tally

import pytest

from xsell.decisioning import catalog, engine
from xsell.decisioning.facts import BrandUsage, Facts

NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)  # 12:00 in Tokyo, a Monday


def customer(cid="C1", *, used=(), optouts=(), now=NOW, **facts):
    return Facts(
        customer_id=cid,
        now=now,
        source_brand="hana",
        brands={b: BrandUsage() for b in used},
        optouts=frozenset(optouts),
        **facts,
    )


def campaign(
    cid, dest, *, sites=("hana-web",), slots=("top",), priority=0, weight=1, creatives=None, **extra
):
    return {
        "campaign_id": cid,
        "status": extra.pop("status", "active"),
        "destination_brand": dest,
        "source_sites": list(sites),
        "slots": list(slots),
        "priority": priority,
        "weight": weight,
        "creatives": creatives
        if creatives is not None
        else [
            {
                "creative_id": f"{cid}-a",
                "template": "text_card",
                "fields": {"title": cid, "link_url": "https://x"},
            }
        ],
        **extra,
    }


SITE = {"site_id": "hana-web", "brand": "hana", "allow_raw_id": True}


def snapshot(*campaigns):
    return catalog.compile_snapshot(1, [SITE], campaigns, GROUP)


GROUP = {"rank_scales": {"brand": ["regular", "silver", "gold"]}}


def pick(snap, facts, slots=("top",), accept=None):
    return [
        (c.slot, c.campaign.campaign_id)
        for c in engine.choose(snap, snap.sites["hana-web"], slots, facts, accept)
        if not c.holdout
    ]


def test_higher_priority_wins():
    snap = snapshot(campaign("low", "umi", priority=1), campaign("high", "tabi", priority=5))
    assert pick(snap, customer()) == [("top", "high")]


def test_customers_who_already_use_the_destination_are_skipped_by_default():
    snap = snapshot(campaign("to-tabi", "tabi", priority=5), campaign("to-umi", "umi"))
    assert pick(snap, customer(used=("tabi",))) == [("top", "to-umi")]


def test_campaign_may_also_speak_to_existing_customers():
    snap = snapshot(campaign("to-tabi", "tabi", only_new_to_destination=False))
    assert pick(snap, customer(used=("tabi",))) == [("top", "to-tabi")]


def test_opt_outs_are_honoured():
    snap = snapshot(campaign("to-tabi", "tabi"), campaign("to-umi", "umi"))
    assert pick(snap, customer(optouts=("all",))) == []
    assert pick(snap, customer(optouts=("tabi",))) == [("top", "to-umi")]


def test_never_refers_to_the_brand_the_customer_is_on():
    assert pick(snapshot(campaign("self", "hana")), customer()) == []


def test_paused_campaigns_are_compiled_for_preview_but_never_chosen():
    snap = snapshot(campaign("paused", "tabi", status="paused"), campaign("draft", "umi", status="draft"))
    assert set(snap.campaigns) == {"paused", "draft"}
    assert pick(snap, customer()) == []


def test_invalid_stored_campaigns_are_left_out_not_fatal():
    snap = snapshot(campaign("empty", "umi", creatives=[]), campaign("ok", "tabi"))
    assert set(snap.campaigns) == {"ok"}


def test_wrong_site_or_slot_is_not_eligible():
    snap = snapshot(
        campaign("other-site", "tabi", sites=("umi-web",)), campaign("other-slot", "umi", slots=("side",))
    )
    assert pick(snap, customer()) == []


def test_one_campaign_fills_at_most_one_slot():
    snap = snapshot(
        campaign("a", "tabi", slots=("top", "side"), priority=2), campaign("b", "umi", slots=("top", "side"))
    )
    assert pick(snap, customer(), ("top", "side")) == [("top", "a"), ("side", "b")]


def test_choice_is_stable_per_customer_and_follows_weights():
    snap = snapshot(campaign("heavy", "tabi", weight=3), campaign("light", "umi", weight=1))
    first = pick(snap, customer("C42"))
    assert all(pick(snap, customer("C42")) == first for _ in range(5))
    tally = Tally(pick(snap, customer(f"C{n}"))[0][1] for n in range(4000))
    assert 0.70 < tally["heavy"] / 4000 < 0.80


def test_variant_weights_split_customers():
    creatives = [
        {"creative_id": "A", "template": "text_card", "weight": 1, "fields": {"link_url": "https://x"}},
        {"creative_id": "B", "template": "text_card", "weight": 1, "fields": {"link_url": "https://x"}},
    ]
    snap = snapshot(campaign("ab", "tabi", creatives=creatives))
    site = snap.sites["hana-web"]
    tally = Tally(
        engine.choose(snap, site, ["top"], customer(f"C{n}"))[0].creative.creative_id for n in range(2000)
    )
    assert 0.45 < tally["A"] / 2000 < 0.55


def test_a_refused_choice_falls_through_to_the_next_in_its_tier_then_the_next_tier():
    snap = snapshot(
        campaign("a", "tabi", priority=5), campaign("b", "umi", priority=5), campaign("c", "sora", priority=1)
    )
    asked = []

    def refuse_priority_five(choice):
        asked.append(choice.campaign.campaign_id)
        return choice.campaign.priority < 5

    assert pick(snap, customer(), accept=refuse_priority_five) == [("top", "c")]
    assert sorted(asked[:2]) == ["a", "b"] and asked[2] == "c"


def test_nothing_is_chosen_when_every_candidate_is_refused():
    snap = snapshot(campaign("a", "tabi"), campaign("b", "umi"))
    assert pick(snap, customer(), accept=lambda c: False) == []


def test_holdout_customers_get_an_empty_slot_and_accept_is_not_asked():
    snap = snapshot(campaign("h", "tabi", holdout_pct=50), campaign("other", "umi", priority=0))
    asked = []
    outcomes = Tally()
    for n in range(2000):
        chosen = engine.choose(
            snap, snap.sites["hana-web"], ["top"], customer(f"C{n}"), lambda c: asked.append(c) or True
        )
        outcomes["holdout" if chosen and chosen[0].holdout else chosen[0].campaign.campaign_id] += 1
    assert all(not c.holdout for c in asked)
    assert 0.2 < outcomes["holdout"] / 2000 < 0.3  # half of the half that draws "h"
    again = [
        engine.choose(snap, snap.sites["hana-web"], ["top"], customer(f"C{n}"))[0].holdout for n in range(50)
    ]
    assert again == [
        engine.choose(snap, snap.sites["hana-web"], ["top"], customer(f"C{n}"))[0].holdout for n in range(50)
    ]


def test_schedule_closes_the_campaign_outside_its_window():
    snap = snapshot(campaign("lunch", "tabi", schedule={"hours": [{"from": "11:00", "to": "13:00"}]}))
    assert pick(snap, customer()) == [("top", "lunch")]  # 12:00 JST
    assert pick(snap, customer(now=NOW + dt.timedelta(hours=2))) == []  # 14:00 JST


def test_targeting_selects_customers():
    snap = snapshot(
        campaign("loyal", "tabi", targeting={"field": "visit_count", "op": "ge", "value": 3}, priority=2),
        campaign("anyone", "umi"),
    )
    assert pick(snap, customer(visit_count=3)) == [("top", "loyal")]
    assert pick(snap, customer(visit_count=1)) == [("top", "anyone")]


@pytest.mark.parametrize(
    ("usage", "kept"),
    [
        (BrandUsage(rank="gold"), True),
        (BrandUsage(rank="silver"), False),
        (BrandUsage(ltv=120_000), True),
        (BrandUsage(ltv=5_000, rank="regular"), False),
        (None, False),
    ],
)
def test_cannibalisation_guard_keeps_the_source_brands_best_customers_home(usage, kept):
    snap = snapshot(campaign("g", "tabi", guard={"rank_at_least": "gold", "ltv_at_least": 100_000}))
    facts = Facts("C1", NOW, "hana", brands={"hana": usage} if usage else {})
    assert pick(snap, facts) == ([] if kept else [("top", "g")])


def test_group_guard_applies_per_source_brand():
    group = {**GROUP, "guards": {"hana": {"rank_at_least": "silver"}}}
    snap = catalog.compile_snapshot(1, [SITE], [campaign("g", "tabi")], group)
    silver = Facts("C1", NOW, "hana", brands={"hana": BrandUsage(rank="silver")})
    assert pick(snap, silver) == []
    assert pick(snap, Facts("C1", NOW, "hana", brands={"hana": BrandUsage(rank="regular")})) == [("top", "g")]
