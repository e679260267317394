"""Over HTTP: decide never hands out a referral token for a link off the group's domains, even when
the live config holds one the admin API would have refused (an old version, or written around it)."""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests import configs
from xsell.admin import documents
from xsell.decisioning import catalog
from xsell.errors import InvalidRequest


def _decide(system, customer: str) -> dict:
    body = {"site": "hana-web", "customer": {"id": customer}, "slots": ["top-banner"]}
    request = urllib.request.Request(
        f"{system.gateway.url}/v1/decide",
        json.dumps(body).encode(),
        method="POST",
        headers={"Origin": system.site_urls["hana"]},  # the page's own call, as the tag makes it
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["slots"]


@pytest.fixture
def campaign_linking(local_system) -> Iterator[Callable[[str], str]]:
    from local.lambda_runtime import handler_module

    published: list[str] = []

    def publish(link: str) -> str:
        campaign_id = f"leak-{uuid.uuid4().hex[:6]}"
        fields = {"title": "t", "link_url": link}
        campaign = {
            "campaign_id": campaign_id,
            "status": "active",
            "source_sites": ["hana-web"],
            "slots": ["top-banner"],
            "destination_brand": "umi",
            "priority": 1000,  # above the demo campaigns
            "creatives": [{"creative_id": "a", "template": "text_card", "fields": fields}],
        }
        configs.put_unchecked({("campaign", campaign_id): campaign})
        handler_module("decide").snapshots.refresh()
        published.append(campaign_id)
        return campaign_id

    yield publish
    configs.put_unchecked(dict.fromkeys((("campaign", c) for c in published), None))
    handler_module("decide").snapshots.refresh()


def test_a_link_to_a_third_party_is_served_without_the_referral_token(local_system, campaign_linking):
    link = "https://tracker.example.com/r?to=umi"
    creative = {
        "creative_id": "a",
        "brand": "umi",
        "template": "text_card",
        "fields": {"title": "t", "link_url": link},
    }
    group = configs.live("group").get(catalog.GROUP_ID, {})
    with pytest.raises(InvalidRequest, match="must point at one of the group's domains"):  # admin refuses it
        documents.validate_creative(creative, documents.Context(configs.live("site"), {}, group))
    campaign_id = campaign_linking(link)
    slot = _decide(local_system, f"leak-{uuid.uuid4().hex[:8]}")["top-banner"]
    assert (slot["campaign_id"], slot["fields"]["link_url"]) == (campaign_id, link)
    assert "ref" not in slot
    assert slot["token"]  # impressions and clicks are still measured


def test_a_link_to_a_group_site_still_carries_it(local_system, campaign_linking):
    campaign_id = campaign_linking(f"{local_system.site_urls['umi']}/?from=hana")
    slot = _decide(local_system, f"leak-{uuid.uuid4().hex[:8]}")["top-banner"]
    assert slot["campaign_id"] == campaign_id
    assert slot["ref"]
