"""Pick a campaign and creative per slot from a config snapshot and a customer profile.

Pure logic: no I/O. The snapshot is compiled once per config version by the
decide function; a call here only filters and chooses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Creative:
    creative_id: str
    template: str
    fields: Mapping[str, str]
    weight: int = 1


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    destination_brand: str
    source_sites: frozenset[str]
    slots: frozenset[str]
    creatives: tuple[Creative, ...]
    priority: int = 0
    weight: int = 1
    # By default a campaign only speaks to customers who have not used the destination yet.
    only_new_to_destination: bool = True


@dataclass(frozen=True)
class Site:
    site_id: str
    brand: str
    allow_raw_id: bool = False
    origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class Customer:
    customer_id: str
    brands_used: frozenset[str] = frozenset()
    optouts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Snapshot:
    version: int
    sites: Mapping[str, Site]
    campaigns: Sequence[Campaign] = field(default_factory=tuple)


@dataclass(frozen=True)
class Choice:
    slot: str
    campaign: Campaign
    creative: Creative


def compile_snapshot(
    version: int, sites: Iterable[Mapping[str, Any]], campaigns: Iterable[Mapping[str, Any]]
) -> Snapshot:
    """Turn stored config dictionaries into the immutable snapshot the engine reads."""
    compiled_sites = {
        s["site_id"]: Site(s["site_id"], s["brand"], bool(s.get("allow_raw_id")), tuple(s.get("origins", ())))
        for s in sites
    }
    compiled = []
    for c in campaigns:
        if c.get("status") != "active":
            continue
        creatives = tuple(
            Creative(cr["creative_id"], cr["template"], dict(cr["fields"]), int(cr.get("weight", 1)))
            for cr in c.get("creatives", ())
        )
        if not creatives:
            continue
        compiled.append(
            Campaign(
                campaign_id=c["campaign_id"],
                destination_brand=c["destination_brand"],
                source_sites=frozenset(c.get("source_sites", ())),
                slots=frozenset(c.get("slots", ())),
                creatives=creatives,
                priority=int(c.get("priority", 0)),
                weight=int(c.get("weight", 1)),
                only_new_to_destination=bool(c.get("only_new_to_destination", True)),
            )
        )
    compiled.sort(key=lambda camp: (-camp.priority, camp.campaign_id))
    return Snapshot(version, compiled_sites, tuple(compiled))


def _eligible(campaign: Campaign, site: Site, slot: str, customer: Customer) -> bool:
    if site.site_id not in campaign.source_sites or slot not in campaign.slots:
        return False
    if campaign.destination_brand == site.brand:
        return False  # a referral always leaves the brand the customer is on
    if "all" in customer.optouts or campaign.destination_brand in customer.optouts:
        return False
    return not (campaign.only_new_to_destination and campaign.destination_brand in customer.brands_used)


def _stable_fraction(*parts: str) -> float:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _weighted(items: Sequence[Any], weights: Sequence[int], fraction: float) -> Any:
    total = sum(weights)
    point = fraction * total
    for item, weight in zip(items, weights, strict=True):
        point -= weight
        if point < 0:
            return item
    return items[-1]


def choose(snapshot: Snapshot, site: Site, slots: Sequence[str], customer: Customer) -> list[Choice]:
    """One choice per slot that has an eligible campaign; a campaign fills at most one slot."""
    taken: set[str] = set()
    choices = []
    for slot in slots:
        candidates = [
            c for c in snapshot.campaigns if c.campaign_id not in taken and _eligible(c, site, slot, customer)
        ]
        if not candidates:
            continue
        top = candidates[0].priority
        tier = [c for c in candidates if c.priority == top]
        campaign = _weighted(
            tier, [c.weight for c in tier], _stable_fraction(customer.customer_id, slot, "campaign")
        )
        creative = _weighted(
            campaign.creatives,
            [cr.weight for cr in campaign.creatives],
            _stable_fraction(customer.customer_id, campaign.campaign_id, "variant"),
        )
        taken.add(campaign.campaign_id)
        choices.append(Choice(slot, campaign, creative))
    return choices
