"""Volume control: what serving one choice must count, and which limits must hold.

Pure: :func:`plan` turns a choice into claims. Shared limits (caps, reciprocity) are taken
from blocks a decide instance leases (:mod:`xsell.decisioning.leases`); a customer's
frequency is a condition on the write that records the visit. Nothing is counted for a
refused choice, and no limit is ever passed, however many requests race for it.

- :class:`Quota` — served creatives per campaign or destination brand and period;
- :class:`ClickLimit` — serving stops once the clicks counted by collect reach the limit;
  :class:`ClickCounter` names what collect adds a click to (carried in the slot token);
- :class:`Frequency` — creatives of one campaign per customer and period;
- :class:`Ledger` — reciprocity between two brands. Serving A→B spends one A→B credit (the
  pair starts at A→B's ``allowance``) and earns B→A its own rule's ratio, so
  ``sent(A→B) ≤ allowance(A→B) + ratio(A→B) × sent(B→A)`` holds at every instant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple

from xsell.decisioning import engine
from xsell.decisioning.schedule import period_expires_at, period_key
from xsell.vocabulary import DEFAULT_TZ


class Quota(NamedTuple):
    scope: str  # campaign | destination
    subject: str
    period_key: str
    limit: int
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
    campaign_id: str
    period_key: str
    limit: int


class Ledger(NamedTuple):
    """One referral source→destination, seen from the pair's ledger."""

    source: str
    destination: str
    period_key: str
    expires_at: int | None
    allowance: int | None  # source→destination's starting credit; None: that way is unrestricted
    earn: float  # credits destination→source gains per referral (0: that way is unrestricted)
    back_allowance: int  # destination→source's starting credit


Shared = Quota | ClickLimit | Ledger
Claim = Shared | Frequency


class Plan(NamedTuple):
    shared: tuple[Shared, ...] = ()
    frequency: tuple[Frequency, ...] = ()
    click_counters: tuple[ClickCounter, ...] = ()


@lru_cache(maxsize=512)
def _period(second: int, tz: str, name: str) -> tuple[str, int | None]:
    """The key and expiry of the period containing ``second`` (periods start on whole seconds)."""
    now = datetime.fromtimestamp(second, UTC)
    return period_key(now, tz, name), period_expires_at(now, tz, name)


def period(now: datetime, tz: str, name: str) -> tuple[str, int | None]:
    """(counter key, expiry) of the ``name`` period containing ``now`` in ``tz``, memoised per second."""
    return _period(int(now.timestamp()), tz, name)


def frequency_claims(campaign: engine.Campaign, now: datetime) -> tuple[Frequency, ...]:
    return tuple(
        Frequency(campaign.campaign_id, period(now, campaign.timezone, f.period)[0], f.limit)
        for f in campaign.frequency
    )


def plan(snapshot: engine.Snapshot, choice: engine.Choice, source_brand: str, now: datetime) -> Plan:
    """The claims serving ``choice`` makes; an empty plan when nothing limits it."""
    campaign = choice.campaign
    shared: list[Shared] = []
    clicks: list[ClickCounter] = []
    caps = [(cap, campaign.timezone) for cap in campaign.caps]
    caps += [(cap, DEFAULT_TZ) for cap in snapshot.destination_caps.get(campaign.destination_brand, ())]
    for cap, tz in caps:
        key, expires = period(now, tz, cap.period)
        if cap.metric == "clicks":
            shared.append(ClickLimit(cap.scope, cap.subject, key, cap.limit))
            clicks.append(ClickCounter(cap.scope, cap.subject, key, expires))
        else:
            shared.append(Quota(cap.scope, cap.subject, key, cap.limit, expires))
    destination = campaign.destination_brand
    there = snapshot.reciprocity.get((source_brand, destination))
    back = snapshot.reciprocity.get((destination, source_brand))
    rule = there or back
    if rule is not None:
        shared.append(
            Ledger(
                source_brand,
                destination,
                *period(now, rule.timezone, rule.period),
                there.allowance if there is not None else None,
                back.ratio if back is not None else 0.0,
                back.allowance if back is not None else 0,
            )
        )
    return Plan(tuple(shared), frequency_claims(campaign, now), tuple(clicks))
