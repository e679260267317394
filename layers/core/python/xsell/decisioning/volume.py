"""Volume control: what serving one choice must count, and which limits must hold.

Pure: :func:`plan` turns a choice into claims; :func:`xsell.dal.counters.reserve` makes them
all at once with conditional writes (one transaction when more than one item moves), so a
limit is exact however many requests race for it. Nothing is counted for a refused choice.

- :class:`Quota` — served creatives per campaign or destination brand and period;
- :class:`ClickLimit` — serving stops once the clicks counted by collect reach the limit;
  :class:`ClickCounter` names what collect adds a click to (carried in the slot token);
- :class:`Frequency` — creatives of one campaign per customer and period;
- :class:`Ledger` — reciprocity between two brands: serving A→B spends one credit of the
  pair's period (starting at ``allowance``) and earns ``ratio`` credits for B→A, so
  ``sent(A→B) ≤ allowance + ratio × sent(B→A)`` holds at every instant.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from xsell.decisioning import engine
from xsell.decisioning.schedule import DEFAULT_TZ, period_expires_at, period_key


class Quota(NamedTuple):
    scope: str  # campaign | destination
    subject: str
    period_key: str
    limit: int
    shards: int
    expires_at: int | None


class ClickLimit(NamedTuple):
    scope: str
    subject: str
    period_key: str
    limit: int


class ClickCounter(NamedTuple):
    scope: str
    subject: str
    period_key: str
    expires_at: int | None


class Frequency(NamedTuple):
    customer_id: str
    campaign_id: str
    period_key: str
    limit: int
    expires_at: int | None


class Ledger(NamedTuple):
    source: str
    destination: str
    period_key: str
    ratio: float
    allowance: int
    expires_at: int | None


Claim = Quota | ClickLimit | Frequency | Ledger


class Plan(NamedTuple):
    claims: tuple[Claim, ...] = ()
    click_counters: tuple[ClickCounter, ...] = ()


def plan(
    snapshot: engine.Snapshot, choice: engine.Choice, customer_id: str, source_brand: str, now: datetime
) -> Plan:
    """The claims serving ``choice`` makes; an empty plan when nothing limits it."""
    campaign = choice.campaign
    claims: list[Claim] = []
    clicks: list[ClickCounter] = []
    caps = [(cap, campaign.timezone) for cap in campaign.caps]
    caps += [(cap, DEFAULT_TZ) for cap in snapshot.destination_caps.get(campaign.destination_brand, ())]
    for cap, tz in caps:
        key = period_key(now, tz, cap.period)
        expires = period_expires_at(now, tz, cap.period)
        if cap.metric == "clicks":
            claims.append(ClickLimit(cap.scope, cap.subject, key, cap.limit))
            clicks.append(ClickCounter(cap.scope, cap.subject, key, expires))
        else:
            claims.append(Quota(cap.scope, cap.subject, key, cap.limit, cap.shards, expires))
    for freq in campaign.frequency:
        claims.append(
            Frequency(
                customer_id,
                campaign.campaign_id,
                period_key(now, campaign.timezone, freq.period),
                freq.limit,
                period_expires_at(now, campaign.timezone, freq.period),
            )
        )
    pair = snapshot.reciprocity.get((source_brand, campaign.destination_brand))
    if pair is not None:
        claims.append(
            Ledger(
                source_brand,
                campaign.destination_brand,
                period_key(now, pair.timezone, pair.period),
                pair.ratio,
                pair.allowance,
                period_expires_at(now, pair.timezone, pair.period),
            )
        )
    return Plan(tuple(claims), tuple(clicks))
