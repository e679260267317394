from collections import Counter as Tally

from xsell.decisioning import engine


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
    return engine.compile_snapshot(1, [SITE], campaigns)


def pick(snap, customer, slots=("top",)):
    return [
        (c.slot, c.campaign.campaign_id) for c in engine.choose(snap, snap.sites["hana-web"], slots, customer)
    ]


def test_higher_priority_wins():
    snap = snapshot(campaign("low", "umi", priority=1), campaign("high", "tabi", priority=5))
    assert pick(snap, engine.Customer("C1")) == [("top", "high")]


def test_customers_who_already_use_the_destination_are_skipped_by_default():
    snap = snapshot(campaign("to-tabi", "tabi", priority=5), campaign("to-umi", "umi"))
    assert pick(snap, engine.Customer("C1", brands_used=frozenset({"tabi"}))) == [("top", "to-umi")]


def test_campaign_may_also_speak_to_existing_customers():
    snap = snapshot(campaign("to-tabi", "tabi", only_new_to_destination=False))
    assert pick(snap, engine.Customer("C1", brands_used=frozenset({"tabi"}))) == [("top", "to-tabi")]


def test_opt_outs_are_honoured():
    snap = snapshot(campaign("to-tabi", "tabi"), campaign("to-umi", "umi"))
    assert pick(snap, engine.Customer("C1", optouts=frozenset({"all"}))) == []
    assert pick(snap, engine.Customer("C1", optouts=frozenset({"tabi"}))) == [("top", "to-umi")]


def test_never_refers_to_the_brand_the_customer_is_on():
    assert pick(snapshot(campaign("self", "hana")), engine.Customer("C1")) == []


def test_paused_and_empty_campaigns_are_not_compiled():
    snap = snapshot(campaign("paused", "tabi", status="paused"), campaign("empty", "umi", creatives=[]))
    assert snap.campaigns == ()


def test_wrong_site_or_slot_is_not_eligible():
    snap = snapshot(
        campaign("other-site", "tabi", sites=("umi-web",)), campaign("other-slot", "umi", slots=("side",))
    )
    assert pick(snap, engine.Customer("C1")) == []


def test_one_campaign_fills_at_most_one_slot():
    snap = snapshot(
        campaign("a", "tabi", slots=("top", "side"), priority=2), campaign("b", "umi", slots=("top", "side"))
    )
    assert pick(snap, engine.Customer("C1"), ("top", "side")) == [("top", "a"), ("side", "b")]


def test_choice_is_stable_per_customer_and_follows_weights():
    snap = snapshot(campaign("heavy", "tabi", weight=3), campaign("light", "umi", weight=1))
    first = pick(snap, engine.Customer("C42"))
    assert all(pick(snap, engine.Customer("C42")) == first for _ in range(5))
    tally = Tally(pick(snap, engine.Customer(f"C{n}"))[0][1] for n in range(4000))
    assert 0.70 < tally["heavy"] / 4000 < 0.80


def test_variant_weights_split_customers():
    creatives = [
        {"creative_id": "A", "template": "text_card", "weight": 1, "fields": {"link_url": "https://x"}},
        {"creative_id": "B", "template": "text_card", "weight": 1, "fields": {"link_url": "https://x"}},
    ]
    snap = snapshot(campaign("ab", "tabi", creatives=creatives))
    site = snap.sites["hana-web"]
    tally = Tally(
        engine.choose(snap, site, ["top"], engine.Customer(f"C{n}"))[0].creative.creative_id
        for n in range(2000)
    )
    assert 0.45 < tally["A"] / 2000 < 0.55
