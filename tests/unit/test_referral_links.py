"""A referral token rides only on a link to the group's own hosts, whatever the stored config holds:
the admin API checks domains when a creative is saved, and decide checks again when it compiles the
config it serves (a config may have been published before that check, or around it)."""

from __future__ import annotations

import pytest

from xsell.decisioning import catalog

SITES = [
    {"site_id": "hana-web", "brand": "hana", "origins": ["https://www.hana.example.jp"]},
    {"site_id": "tabi-web", "brand": "tabi", "origins": ["https://www.tabi.example.jp"]},
]
GROUP = {"domains": ["tabi-shop.example.jp"]}


def _referable(link: str, group: dict | None = GROUP) -> bool:
    campaign = {
        "campaign_id": "hana-to-tabi",
        "status": "active",
        "destination_brand": "tabi",
        "source_sites": ["hana-web"],
        "slots": ["top"],
        "creatives": [
            {"creative_id": "a", "template": "text_card", "fields": {"title": "t", "link_url": link}}
        ],
    }
    snapshot = catalog.compile_snapshot(1, SITES, [campaign], group)
    (creative,) = snapshot.campaigns["hana-to-tabi"].creatives
    return creative.referable


@pytest.mark.parametrize(
    "link",
    [
        "https://www.tabi.example.jp/onsen?from=hana",  # a site's own origin
        "https://WWW.TABI.EXAMPLE.JP/",  # host names have no case
        "https://tabi-shop.example.jp/sale",  # a domain of the group settings
        "https://m.tabi-shop.example.jp/",  # and its subdomains
    ],
)
def test_a_link_on_the_group_s_hosts_carries_the_referral_token(link):
    assert _referable(link)


@pytest.mark.parametrize(
    "link",
    [
        "https://tracker.example.com/?to=https://www.tabi.example.jp/",
        "https://www.tabi.example.jp.evil.example/",  # a group host as a prefix only
        "https://eviltabi-shop.example.jp/",  # a group domain as a suffix without the dot
        "https://user@evil.example/",
    ],
)
def test_a_link_off_the_group_s_hosts_never_gets_a_referral_token(link, caplog):
    assert not _referable(link)
    assert "links outside the group's domains: served without a referral token" in caplog.text


def test_without_group_domains_only_the_sites_origins_count():
    assert _referable("https://www.hana.example.jp/", group=None)
    assert not _referable("https://tabi-shop.example.jp/", group=None)
