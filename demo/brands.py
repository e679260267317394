"""The demo company group and its referral campaigns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Brand:
    brand_id: str
    name: str
    tagline: str
    color: str

    @property
    def site_id(self) -> str:
        return f"{self.brand_id}-web"


BRANDS = (
    Brand("hana", "花コスメ Hana Cosmetics", "肌にやさしい、毎日のスキンケア", "#c2185b"),
    Brand("tabi", "旅トラベル Tabi Travel", "週末の温泉旅をもっと気軽に", "#00796b"),
    Brand("umi", "海グルメ Umi Gourmet", "港から直送の海の幸", "#1565c0"),
)
BY_ID = {b.brand_id: b for b in BRANDS}
SLOT = "top-banner"

# (source brand, destination brand, priority, title, body, call to action)
_REFERRALS = (
    (
        "hana",
        "tabi",
        2,
        "旅トラベル 会員限定 温泉宿10%オフ",
        "花コスメ会員さまへ、癒やしの週末を。",
        "宿を探す",
    ),
    ("hana", "umi", 1, "海グルメ 初回送料無料", "旬の海鮮をご自宅に。", "今週の鮮魚を見る"),
    (
        "tabi",
        "umi",
        2,
        "海グルメ 旅先の味をご自宅で",
        "旅トラベル会員さま限定クーポン付き。",
        "クーポンを使う",
    ),
    ("tabi", "hana", 1, "花コスメ 旅行用トライアルセット", "旅先でも肌にやさしく。", "セットを見る"),
    (
        "umi",
        "hana",
        2,
        "花コスメ はじめての方に500円オフ",
        "海グルメ会員さまだけの特典です。",
        "特典を受け取る",
    ),
    ("umi", "tabi", 1, "旅トラベル 港町の宿特集", "美味しい海の幸を現地で。", "特集を見る"),
)


def sites(site_urls: dict[str, str]) -> list[dict[str, Any]]:
    """Site config for each brand; the demo sites identify customers by raw id."""
    return [
        {
            "site_id": b.site_id,
            "brand": b.brand_id,
            "name": b.name,
            "origins": [site_urls[b.brand_id]],
            "slots": [SLOT],
            "allow_raw_id": True,
        }
        for b in BRANDS
    ]


def creatives(site_urls: dict[str, str], asset_base: str) -> list[dict[str, Any]]:
    """The creative library: one image + text banner per referral pair, owned by its destination."""
    return [
        {
            "creative_id": f"{source}-to-{dest}-a",
            "brand": dest,
            "name": f"{BY_ID[dest].name} ({BY_ID[source].name}向け)",
            "template": "image_text",
            "fields": {
                "title": title,
                "body": body,
                "cta": cta,
                "image_url": f"{asset_base}/assets/{dest}.svg",
                "alt": BY_ID[dest].name,
                "link_url": f"{site_urls[dest]}/?from={source}",
            },
        }
        for source, dest, _, title, body, cta in _REFERRALS
    ]


def campaigns() -> list[dict[str, Any]]:
    """One active campaign per referral pair, using that pair's creative from the library."""
    out = []
    for source, dest, priority, *_ in _REFERRALS:
        campaign_id = f"{source}-to-{dest}"
        out.append(
            {
                "campaign_id": campaign_id,
                "name": f"{BY_ID[source].name} → {BY_ID[dest].name}",
                "status": "active",
                "source_sites": [BY_ID[source].site_id],
                "slots": [SLOT],
                "destination_brand": dest,
                "priority": priority,
                "weight": 1,
                "creatives": [{"creative_id": f"{campaign_id}-a", "weight": 1}],
                # Volume control a marketer would start with; loose enough for a demo session.
                "caps": [{"metric": "served", "period": "day", "limit": 10000}],
                "frequency": [{"period": "day", "limit": 50}],
                **_EXTRAS.get(campaign_id, {}),
            }
        )
    return out


# What some demo campaigns add: a holdout to measure lift, and targeting.
_EXTRAS: dict[str, dict[str, Any]] = {
    "umi-to-tabi": {"holdout_pct": 10},
    "tabi-to-hana": {
        "targeting": {
            "any": [
                {"field": "attributes.gender", "op": "eq", "value": "female"},
                {"field": "recent_categories", "op": "has_any", "value": ["beauty", "spa"]},
            ]
        }
    },
}


def group() -> dict[str, Any]:
    """Group-wide settings: rank scales, a guard for umi's best customers, reciprocity."""
    return {
        "rank_scales": {"group": ["bronze", "silver", "gold", "platinum"], "brand": ["C", "B", "A"]},
        "guards": {"umi": {"rank_at_least": "A", "ltv_at_least": 250000}},
        "destination_caps": {
            b.brand_id: [{"metric": "served", "period": "day", "limit": 50000}] for b in BRANDS
        },
        "reciprocity": {"period": "day", "default": {"ratio": 3, "allowance": 1000}},
    }
