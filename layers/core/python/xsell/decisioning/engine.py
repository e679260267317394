"""Pick a campaign and creative per slot from a compiled snapshot and the request's facts.

Pure logic: no I/O. :mod:`xsell.decisioning.catalog` compiles the snapshot once per config
version; a call here only filters and chooses. Volume control (caps, frequency,
reciprocity) is the caller's ``accept`` callback: when it refuses a choice the next eligible
campaign is tried, so a capped campaign never leaves a slot empty while another could fill it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from xsell.decisioning.facts import Facts
from xsell.decisioning.schedule import Schedule
from xsell.vocabulary import DEFAULT_TZ

Predicate = Callable[[Facts], bool]


def _everyone(facts: Facts) -> bool:
    return True


def _no_one(facts: Facts) -> bool:
    return False


class Creative(NamedTuple):
    creative_id: str
    template: str
    fields: Mapping[str, str]
    weight: int = 1
    # Whether its link_url is on the group's domains: only then does the referral token ride on it.
    referable: bool = True


class Cap(NamedTuple):
    """At most ``limit`` per ``period`` for one campaign or one destination brand.

    ``metric`` is ``served`` (counted when decide hands out the creative, so viewable
    impressions can never exceed it) or ``clicks`` (counted by collect; decide stops serving
    once the limit is reached).
    """

    scope: str  # campaign | destination
    subject: str  # the campaign id or the destination brand
    metric: str  # served | clicks
    period: str  # day | week | month | total
    limit: int


class FrequencyCap(NamedTuple):
    """At most ``limit`` creatives of one campaign per customer per ``period``."""

    period: str  # day | week | month | total
    limit: int


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    destination_brand: str
    source_sites: frozenset[str]
    slots: frozenset[str]
    creatives: tuple[Creative, ...]
    priority: int = 0
    weight: int = 1
    status: str = "active"
    # By default a campaign only speaks to customers who have not used the destination yet.
    only_new_to_destination: bool = True
    schedule: Schedule = field(default_factory=Schedule)
    targeting: Predicate = _everyone
    # Cannibalisation guard: true for customers the source brand keeps to itself.
    kept_home: Predicate = _no_one
    holdout_pct: float = 0.0
    caps: tuple[Cap, ...] = ()
    frequency: tuple[FrequencyCap, ...] = ()
    weight_by_affinity: bool = False  # its weight times the source brand's lift toward its destination

    @property
    def timezone(self) -> str:
        return self.schedule.timezone


@dataclass(frozen=True)
class Site:
    site_id: str
    brand: str
    allow_raw_id: bool = False
    origins: tuple[str, ...] = ()  # lower-case origins, as catalog.compile_site writes them

    def allows(self, origin: str) -> bool:
        """Whether a browser ``Origin`` header names one of the site's origins."""
        return origin.lower().rstrip("/") in self.origins


class Reciprocity(NamedTuple):
    """A→B referrals in a period may not exceed ``ratio`` × (B→A) + ``allowance``."""

    ratio: float
    allowance: int
    period: str = "day"
    timezone: str = DEFAULT_TZ


@dataclass(frozen=True)
class Snapshot:
    version: int
    sites: Mapping[str, Site]
    # Every compiled campaign, drafts and paused ones too (preview may force any of them).
    campaigns: Mapping[str, Campaign] = field(default_factory=dict)
    # Active campaigns per (site, slot), best priority first, as tiers of equal priority.
    index: Mapping[tuple[str, str], tuple[tuple[Campaign, ...], ...]] = field(default_factory=dict)
    # Per ordered brand pair (source, destination); a pair missing here is unrestricted.
    reciprocity: Mapping[tuple[str, str], Reciprocity] = field(default_factory=dict)
    destination_caps: Mapping[str, tuple[Cap, ...]] = field(default_factory=dict)
    # (source brand, destination brand) -> lift (xsell.reporting.affinity), as published
    affinity: Mapping[tuple[str, str], float] = field(default_factory=dict)


class Choice(NamedTuple):
    slot: str
    campaign: Campaign
    creative: Creative
    holdout: bool = False


Accept = Callable[[Choice], bool]


def build_index(campaigns: Sequence[Campaign]) -> dict[tuple[str, str], tuple[tuple[Campaign, ...], ...]]:
    """Active campaigns grouped per (site, slot) into priority tiers, highest first."""
    lists: dict[tuple[str, str], list[Campaign]] = {}
    for campaign in campaigns:
        if campaign.status != "active" or not campaign.creatives:
            continue
        for site in campaign.source_sites:
            for slot in campaign.slots:
                lists.setdefault((site, slot), []).append(campaign)
    index = {}
    for key, found in lists.items():
        found.sort(key=lambda c: (-c.priority, c.campaign_id))
        tiers: list[list[Campaign]] = []
        for campaign in found:
            if tiers and tiers[-1][0].priority == campaign.priority:
                tiers[-1].append(campaign)
            else:
                tiers.append([campaign])
        index[key] = tuple(tuple(t) for t in tiers)
    return index


# Why a campaign may not speak to a customer (``ineligibility``); the admin's preview shows them.
OWN_BRAND, OPTED_OUT, USES_DESTINATION = "own_brand", "opted_out", "uses_destination"
OUTSIDE_SCHEDULE, GUARDED, NOT_TARGETED = "outside_schedule", "guarded", "not_targeted"


def ineligibility(campaign: Campaign, site: Site, facts: Facts) -> str | None:
    """Why ``campaign`` may not speak to this customer on this site now (caps aside); None if it may."""
    destination = campaign.destination_brand
    if destination == site.brand:
        return OWN_BRAND  # a referral always leaves the brand the customer is on
    optouts = facts.optouts
    if optouts and ("all" in optouts or destination in optouts):
        return OPTED_OUT
    if campaign.only_new_to_destination and destination in facts.brands:
        return USES_DESTINATION
    if not campaign.schedule.is_open(facts.now):
        return OUTSIDE_SCHEDULE
    if campaign.kept_home(facts):
        return GUARDED
    if not campaign.targeting(facts):
        return NOT_TARGETED
    return None


def eligible(campaign: Campaign, site: Site, facts: Facts) -> bool:
    """Whether ``campaign`` may speak to this customer on this site now (caps aside)."""
    return ineligibility(campaign, site, facts) is None


def stable_fraction(*parts: str) -> float:
    """A number in [0, 1) that depends only on ``parts``: same customer, same answer."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


_T = TypeVar("_T")


def _weighted(items: Sequence[_T], weights: Sequence[float], fraction: float) -> _T:
    point = fraction * sum(weights)
    for item, weight in zip(items, weights, strict=True):
        point -= weight
        if point < 0:
            return item
    return items[-1]


def creative_for(campaign: Campaign, customer_id: str) -> Creative:
    """The A/B variant this customer sees: a stable hash of customer and campaign."""
    creatives = campaign.creatives
    if len(creatives) == 1:
        return creatives[0]
    return _weighted(
        creatives,
        [cr.weight for cr in creatives],
        stable_fraction(customer_id, campaign.campaign_id, "variant"),
    )


def in_holdout(campaign: Campaign, customer_id: str) -> bool:
    return campaign.holdout_pct > 0 and (
        stable_fraction(customer_id, campaign.campaign_id, "holdout") * 100 < campaign.holdout_pct
    )


MIN_AFFINITY = 0.05  # the least share an affinity-weighted campaign keeps (a lift of 0 still draws)


def draw_weight(snapshot: Snapshot, site: Site, campaign: Campaign) -> float:
    """A campaign's weight in its tier's draw: its configured weight, times the published lift of
    the page's brand toward its destination when it is weighted by affinity (1 when unknown)."""
    if not campaign.weight_by_affinity:
        return campaign.weight
    lift = snapshot.affinity.get((site.brand, campaign.destination_brand), 1.0)
    return campaign.weight * max(lift, MIN_AFFINITY)


def choose(
    snapshot: Snapshot,
    site: Site,
    slots: Sequence[str],
    facts: Facts,
    accept: Accept | None = None,
) -> list[Choice]:
    """One choice per slot that has an eligible campaign; a campaign fills at most one slot.

    Within the best tier that has eligible campaigns the choice is weighted and stable per
    customer and slot; a choice ``accept`` refuses is dropped and the next one drawn, then
    the next tier. A customer in a campaign's holdout gets that campaign's empty slot
    (``holdout=True``), which ``accept`` is not asked about.
    """
    taken: set[str] = set()
    choices = []
    customer = facts.customer_id
    verdicts: dict[str, bool] = {}  # a campaign listed for several slots is judged once

    def may_show(campaign: Campaign) -> bool:
        verdict = verdicts.get(campaign.campaign_id)
        if verdict is None:
            verdict = verdicts[campaign.campaign_id] = eligible(campaign, site, facts)
        return verdict

    for slot in slots:
        choice = None
        for tier in snapshot.index.get((site.site_id, slot), ()):
            pool = [c for c in tier if c.campaign_id not in taken and may_show(c)]
            draw = 0
            while pool:
                campaign = (
                    pool[0]
                    if len(pool) == 1
                    else _weighted(
                        pool,
                        [draw_weight(snapshot, site, c) for c in pool],
                        stable_fraction(customer, slot, "campaign", str(draw)),
                    )
                )
                draw += 1
                candidate = Choice(
                    slot, campaign, creative_for(campaign, customer), in_holdout(campaign, customer)
                )
                if candidate.holdout or accept is None or accept(candidate):
                    choice = candidate
                    break
                pool.remove(campaign)
            if choice is not None:
                break
        if choice is not None:
            taken.add(choice.campaign.campaign_id)
            choices.append(choice)
    return choices
