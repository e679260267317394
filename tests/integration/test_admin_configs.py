"""Drafts, approvals, publishing and roll back against DynamoDB Local, with the role rules.

Each test works on its own campaign and creative ids next to the demo config, which the
``local_system`` fixture publishes; only what a test names is published by it.
"""

from __future__ import annotations

import uuid

import pytest

from tests import configs as test_configs
from xsell.admin import audit, configs
from xsell.admin.access import Principal
from xsell.dal import config as store
from xsell.errors import Conflict, InvalidRequest, NotAllowed, NotFound

HANA = Principal("hana-user", "hana@xsell.example", "brand-marketer", "hana")
TABI = Principal("tabi-user", "tabi@xsell.example", "brand-marketer", "tabi")
UMI = Principal("umi-user", "umi@xsell.example", "brand-marketer", "umi")
ADMIN = Principal("admin-user", "admin@xsell.example", "group-admin", None)
OTHER_ADMIN = Principal("admin-2", "admin2@xsell.example", "group-admin", None)
VIEWER = Principal("viewer-user", "viewer@xsell.example", "viewer", None)
NOBODY = Principal("lost-user", "lost@xsell.example", None, None)


@pytest.fixture
def ids(local_system):
    tag = uuid.uuid4().hex[:8]
    return {"creative": f"cr-{tag}", "campaign": f"cp-{tag}"}


def creative(local_system, creative_id: str, title: str = "旅トラベル 冬の宿", brand: str = "hana") -> dict:
    """A creative the hana team owns, sending customers to tabi's site."""
    return {
        "creative_id": creative_id,
        "brand": brand,
        "template": "text_card",
        "fields": {"title": title, "link_url": f"{local_system.site_urls['tabi']}/onsen"},
    }


def campaign(campaign_id: str, creative_id: str, **extra) -> dict:
    return {
        "campaign_id": campaign_id,
        "name": "花 → 旅",
        "status": "active",
        "source_sites": ["hana-web"],
        "slots": ["side"],
        "destination_brand": "tabi",
        "creatives": [{"creative_id": creative_id, "weight": 1}],
        **extra,
    }


def drafted(local_system, ids, by: Principal = HANA) -> dict:
    configs.save_document(by, "creative", ids["creative"], creative(local_system, ids["creative"]), None)
    return configs.save_document(
        by, "campaign", ids["campaign"], campaign(ids["campaign"], ids["creative"]), None
    )


def test_a_cross_brand_campaign_goes_live_only_after_the_other_brand_approves(local_system, ids):
    saved = drafted(local_system, ids)
    assert (saved["state"], saved["approval"]["status"]) == ("new", "missing")
    held = configs.preview(HANA)["changes"]
    mine = next(c for c in held if c["id"] == ids["campaign"])
    assert (mine["ready"], mine["reason"]) == (False, "waits_for_approval")

    configs.request_approval(HANA, ids["campaign"], "please check")
    with pytest.raises(NotAllowed, match="second person"):
        configs.decide_approval(HANA, ids["campaign"], approve=True)
    with pytest.raises(NotAllowed):  # umi is not part of this campaign
        configs.decide_approval(UMI, ids["campaign"], approve=True)
    approved = configs.decide_approval(
        TABI, ids["campaign"], approve=True, fingerprint=saved["approval"]["fingerprint"]
    )
    assert approved["approval"]["status"] == "approved"

    result = configs.publish(
        TABI, note="winter", only=[f"campaign/{ids['campaign']}", f"creative/{ids['creative']}"]
    )
    live = store.load(store.live_version())
    served = live["campaign"][ids["campaign"]]
    assert result["version"] == store.live_version()
    assert served["creatives"][0]["fields"]["title"] == "旅トラベル 冬の宿"  # inlined for decide
    assert configs.get_document(HANA, "campaign", ids["campaign"])["state"] == "published"
    actions = [
        (e["action"], e["email"]) for e in reversed(audit.search(ADMIN, obj=f"campaign/{ids['campaign']}"))
    ]
    assert actions == [
        ("save", "hana@xsell.example"),
        ("request_approval", "hana@xsell.example"),
        ("approve", "tabi@xsell.example"),
    ]
    [published] = audit.search(ADMIN, obj=f"version/{result['version']}")
    assert (published["action"], published["email"]) == ("publish", "tabi@xsell.example")
    assert {"kind": "campaign", "id": ids["campaign"], "action": "add"} in published["detail"]["changes"]


def test_an_edit_after_approval_or_to_its_creative_needs_approval_again(local_system, ids):
    drafted(local_system, ids)
    configs.request_approval(HANA, ids["campaign"])
    configs.decide_approval(TABI, ids["campaign"], approve=True)
    current = configs.get_document(HANA, "creative", ids["creative"])
    configs.save_document(
        HANA,
        "creative",
        ids["creative"],
        creative(local_system, ids["creative"], "別の見出し"),
        current["rev"],
    )
    assert configs.get_document(HANA, "campaign", ids["campaign"])["approval"]["status"] == "stale"
    with pytest.raises(Conflict) as raised:
        configs.publish(TABI, only=[f"campaign/{ids['campaign']}"])
    assert raised.value.code == "nothing_to_publish"


def test_an_approver_must_have_reviewed_the_current_content(local_system, ids):
    drafted(local_system, ids)
    with pytest.raises(Conflict) as raised:
        configs.decide_approval(TABI, ids["campaign"], approve=True, fingerprint="0" * 32)
    assert raised.value.code == "changed_since_review"


def test_pausing_needs_no_second_person(local_system, ids):
    drafted(local_system, ids, by=ADMIN)
    configs.decide_approval(OTHER_ADMIN, ids["campaign"], approve=True)
    configs.publish(ADMIN, only=[f"campaign/{ids['campaign']}", f"creative/{ids['creative']}"])
    rev = configs.get_document(HANA, "campaign", ids["campaign"])["rev"]
    paused = campaign(ids["campaign"], ids["creative"], status="paused")
    saved = configs.save_document(HANA, "campaign", ids["campaign"], paused, rev)
    assert saved["approval"]["status"] == "not_needed"
    configs.publish(HANA, only=[f"campaign/{ids['campaign']}"])
    assert store.load(store.live_version())["campaign"][ids["campaign"]]["status"] == "paused"


def test_a_brand_marketer_cannot_read_or_change_another_brands_campaign(local_system, ids):
    drafted(local_system, ids, by=HANA)
    before = store.draft("campaign", ids["campaign"])
    entries = len(audit.search(ADMIN, obj=f"campaign/{ids['campaign']}"))
    with pytest.raises(NotAllowed):
        configs.get_document(UMI, "campaign", ids["campaign"])
    with pytest.raises(NotAllowed):
        configs.save_document(
            UMI, "campaign", ids["campaign"], campaign(ids["campaign"], ids["creative"]), before.rev
        )
    with pytest.raises(NotAllowed):
        configs.delete_document(UMI, "campaign", ids["campaign"], before.rev)
    assert ids["campaign"] not in {d["id"] for d in configs.list_documents(UMI, "campaign")}
    assert store.draft("campaign", ids["campaign"]) == before  # nothing written
    assert len(audit.search(ADMIN, obj=f"campaign/{ids['campaign']}")) == entries


def test_every_role_lists_the_brands_a_campaign_may_send_customers_to(local_system):
    hana_sites = configs.list_documents(HANA, "site")
    assert {d["data"]["brand"] for d in hana_sites} == {"hana"}  # no other brand's site settings
    brands = configs.group_brands(HANA)
    site_brands = {d["data"]["brand"] for d in configs.list_documents(ADMIN, "site") if d["data"]}
    assert brands == sorted(site_brands) and {"hana", "tabi", "umi"} <= set(brands)
    assert configs.group_brands(VIEWER) == configs.group_brands(ADMIN) == brands
    with pytest.raises(NotAllowed):
        configs.group_brands(NOBODY)


def test_a_marketer_cannot_move_a_campaign_away_from_their_brand(local_system, ids):
    configs.save_document(
        ADMIN, "creative", ids["creative"], creative(local_system, ids["creative"], brand="tabi"), None
    )
    saved = configs.save_document(
        ADMIN, "campaign", ids["campaign"], campaign(ids["campaign"], ids["creative"]), None
    )
    moved = campaign(ids["campaign"], ids["creative"], source_sites=["umi-web"])
    with pytest.raises(NotAllowed):  # the result would no longer touch hana
        configs.save_document(HANA, "campaign", ids["campaign"], moved, saved["rev"])


def test_viewers_read_and_nobody_without_a_role_does_anything(local_system, ids):
    drafted(local_system, ids)
    assert configs.get_document(VIEWER, "campaign", ids["campaign"])["id"] == ids["campaign"]
    with pytest.raises(NotAllowed):
        configs.save_document(
            VIEWER, "creative", "x" + ids["creative"], creative(local_system, "x" + ids["creative"]), None
        )
    with pytest.raises(NotAllowed):
        configs.publish(VIEWER)
    with pytest.raises(NotAllowed):
        configs.list_documents(NOBODY, "campaign")


def test_a_second_save_from_the_same_revision_gets_409_with_the_current_draft(local_system, ids):
    saved = drafted(local_system, ids)
    first = campaign(ids["campaign"], ids["creative"], priority=3)
    second = campaign(ids["campaign"], ids["creative"], priority=7)
    configs.save_document(HANA, "campaign", ids["campaign"], first, saved["rev"])
    with pytest.raises(Conflict) as raised:
        configs.save_document(TABI, "campaign", ids["campaign"], second, saved["rev"])
    assert raised.value.current["data"]["priority"] == 3
    assert store.draft("campaign", ids["campaign"]).data["priority"] == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"destination_brand": "nowhere"}, "campaign.destination_brand"),
        ({"source_sites": ["no-site"]}, "campaign.source_sites[0]"),
        ({"creatives": [{"creative_id": "missing-one"}]}, "campaign.creatives[0].creative_id"),
        ({"caps": [{"period": "hour", "limit": 5}]}, "campaign.caps[0].period"),
        ({"holdout_pct": 90}, "campaign.holdout_pct"),
        ({"surprise": 1}, "campaign.surprise"),
    ],
)
def test_a_bad_campaign_is_refused_naming_the_field_and_nothing_is_saved(local_system, ids, change, field):
    configs.save_document(HANA, "creative", ids["creative"], creative(local_system, ids["creative"]), None)
    with pytest.raises(InvalidRequest) as raised:
        configs.save_document(
            HANA, "campaign", ids["campaign"], {**campaign(ids["campaign"], ids["creative"]), **change}, None
        )
    assert raised.value.field == field
    assert store.draft("campaign", ids["campaign"]) is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "x" * 41, "link_url": "{tabi}/"}, "creative.fields.title"),
        ({"title": "t", "link_url": "https://evil.example.com/"}, "creative.fields.link_url"),
        ({"title": "t", "link_url": "javascript:alert(1)"}, "creative.fields.link_url"),
        ({"link_url": "{tabi}/"}, "creative.fields.title"),
        ({"title": "t", "link_url": "{tabi}/", "image_url": "{tabi}/a.png"}, "creative.fields.image_url"),
    ],
)
def test_a_bad_creative_is_refused_naming_the_field(local_system, ids, fields, field):
    doc = creative(local_system, ids["creative"])
    doc["fields"] = {k: v.format(tabi=local_system.site_urls["tabi"]) for k, v in fields.items()}
    with pytest.raises(InvalidRequest) as raised:
        configs.save_document(HANA, "creative", ids["creative"], doc, None)
    assert raised.value.field == field


def test_a_creative_in_use_cannot_be_deleted(local_system, ids):
    drafted(local_system, ids)
    rev = configs.get_document(HANA, "creative", ids["creative"])["rev"]
    with pytest.raises(Conflict) as raised:
        configs.delete_document(HANA, "creative", ids["creative"], rev)
    assert raised.value.code == "in_use"


def test_roll_back_publishes_an_earlier_version_again_and_resets_the_drafts(local_system, ids):
    drafted(local_system, ids, by=ADMIN)
    configs.decide_approval(TABI, ids["campaign"], approve=True)
    first = configs.publish(ADMIN, only=[f"campaign/{ids['campaign']}", f"creative/{ids['creative']}"])[
        "version"
    ]
    rev = configs.get_document(ADMIN, "campaign", ids["campaign"])["rev"]
    configs.save_document(
        ADMIN, "campaign", ids["campaign"], campaign(ids["campaign"], ids["creative"], status="paused"), rev
    )
    configs.publish(ADMIN, only=[f"campaign/{ids['campaign']}"])
    with pytest.raises(NotAllowed):
        configs.restore(HANA, first)
    restored = configs.restore(ADMIN, first, "paused by mistake")
    live = store.load(restored["version"])
    assert live == store.load(first)
    assert live["campaign"][ids["campaign"]]["status"] == "active"
    assert configs.get_document(ADMIN, "campaign", ids["campaign"])["state"] == "published"
    assert store.versions(limit=1)[0]["restored_from"] == first
    with pytest.raises(NotFound):
        configs.restore(ADMIN, 10**8)


def test_every_change_is_in_the_audit_log_with_who_and_a_diff(local_system, ids):
    saved = drafted(local_system, ids)
    configs.save_document(
        HANA,
        "campaign",
        ids["campaign"],
        campaign(ids["campaign"], ids["creative"], priority=4),
        saved["rev"],
    )
    entries = audit.search(ADMIN, obj=f"campaign/{ids['campaign']}")
    assert [e["action"] for e in entries] == ["save", "save"]  # newest first
    assert entries[0]["email"] == "hana@xsell.example" and entries[0]["brands"] == ["hana", "tabi"]
    assert {"path": "priority", "before": None, "after": 4} in entries[0]["diff"]
    assert audit.search(UMI, obj=f"campaign/{ids['campaign']}") == []  # not umi's business
    assert len(audit.search(TABI, obj=f"campaign/{ids['campaign']}", user="hana@xsell.example")) == 2
    text = audit.as_csv(entries).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("at,user,email,role,action,object")


def test_publishing_refuses_a_version_that_would_not_hold_together(local_system, ids):
    configs.save_document(ADMIN, "creative", ids["creative"], creative(local_system, ids["creative"]), None)
    configs.save_document(
        ADMIN, "campaign", ids["campaign"], campaign(ids["campaign"], ids["creative"], status="paused"), None
    )
    # A group admin publishes only the campaign: its creative is not in the live version yet,
    # but the campaign's creatives are inlined from the drafts, so the version still holds.
    configs.publish(ADMIN, only=[f"campaign/{ids['campaign']}"])
    site = test_configs.live("site")["hana-web"]
    doomed = {**site, "brand": "gone"}  # the campaign's source would lose its brand
    with pytest.raises(InvalidRequest, match="would leave"):
        configs.publish_documents({"site": {"hana-web": doomed}}, note="test")
    assert test_configs.live("site")["hana-web"] == site
    assert store.draft("site", "hana-web").data == site  # the failed publish left no draft behind
