"""Caps leased in blocks at scale: a discrete simulation of 1,000 decide instances at 10,000 decisions/s.

Every instance is the layer's own :class:`xsell.decisioning.leases.Pool` (block sizing, refills,
"never over") on a simulated clock; only the counters table is simulated: one item per cap,
leased from with the same conditional write the DAL sends (``count <= limit - units``, and
when refused, once more for what is left, as :class:`xsell.dal.counters.CounterStore` does).
Decisions arrive as a Poisson stream spread evenly over the instances, and each takes one unit
of the same campaign cap (the hottest case: every page view wants the one campaign). Instances
are recycled as Lambda recycles environments (exponential lifetimes, mean ``LIFETIME_S``) and
replaced by fresh ones with no blocks.

- ``capacity.cap_stranded_share``: how far short of its limit a cap ends, as a share of the
  limit, when demand passes the cap mid-period: units leased by instances that stopped before
  serving them. The worst of caps of 10 thousand, 100 thousand and 1 million units (each also
  printed); traffic goes on for ``DRAIN_S`` after the counter is full, as it would for the
  rest of the day.
- ``capacity.cap_stranded_share_at_period_end``: the same when the cap runs out exactly as its
  period ends (demand equal to the limit over the period): the blocks still held then expire
  with the period — the worst case the design accepts, about a second of the cap's traffic.
- ``capacity.hot_item_writes_per_s``: writes per second on the cap's counter item, the peak
  one-second window (refused attempts included), against DynamoDB's ~1,000 writes per second
  for one item. The peak is the first second of a period, when every instance starts the new
  period's item with a one-unit block; ``capacity.hot_item_writes_per_s_steady`` is the peak
  once blocks are sized, and ``capacity.hot_item_writes_per_decision`` the average.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from xsell.decisioning import leases
from xsell.decisioning.volume import Quota

INSTANCES = 1_000
RATE = 10_000.0  # decisions per second, all instances together
LIFETIME_S = 600.0  # mean life of a decide environment under load (pessimistic: hours in practice)
DRAIN_S = 30.0
CAPS = (10_000, 100_000, 1_000_000)
SEED = 11


@dataclass
class SimulatedCounters:
    """The counters table's cap items, on the simulated clock: the DAL's lease write, one
    conditional ``UpdateItem`` (and one more for what is left when it is refused)."""

    clock: Clock
    counts: Counter[str] = field(default_factory=Counter)
    writes: Counter[int] = field(default_factory=Counter)  # per whole simulated second

    def _write(self, quota: Quota, units: int) -> bool:
        self.writes[int(self.clock.now)] += 1
        key = f"{quota.scope}:{quota.subject}#{quota.period_key}"
        if self.counts[key] > quota.limit - units:
            return False
        self.counts[key] += units
        return True

    def lease_quota(self, quota: Quota, units: int) -> int:
        key = f"{quota.scope}:{quota.subject}#{quota.period_key}"
        while units > 0:
            if self._write(quota, units):
                return units
            units = min(units, quota.limit - self.counts[key])
        return 0

    def lease_credit(self, ledger: object, units: int, settlement: object) -> int:
        raise AssertionError("this simulation leases caps only")

    def clicks(self, limit: object) -> int:
        raise AssertionError("this simulation leases caps only")


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Outcome:
    limit: int
    leased: int
    served: int
    decisions: int
    peak_writes_per_s: int
    steady_writes_per_s: int  # the peak once every instance has sized its blocks (after 2 s)
    writes: int

    @property
    def short_share(self) -> float:
        return (self.limit - self.served) / self.limit


def simulate(limit: int, period_s: float | None = None, seed: int = SEED) -> Outcome:
    """Decisions until ``period_s`` (default: until the cap is full, then ``DRAIN_S`` more)."""
    rng = random.Random(seed)
    clock = Clock()
    store = SimulatedCounters(clock)
    quota = Quota("campaign", "bench-campaign", "d2026-12-01", limit, None)
    pools = [leases.Pool(store, clock) for _ in range(INSTANCES)]
    stops = [(rng.expovariate(1 / LIFETIME_S), n) for n in range(INSTANCES)]
    heapq.heapify(stops)
    served = decisions = 0
    full_at: float | None = None
    while True:
        clock.now += rng.expovariate(RATE)
        end = period_s if period_s is not None else (full_at + DRAIN_S if full_at is not None else None)
        if end is not None and clock.now >= end:
            break
        while stops[0][0] <= clock.now:  # recycled: its blocks are gone with it
            _, n = heapq.heappop(stops)
            pools[n] = leases.Pool(store, clock)
            heapq.heappush(stops, (clock.now + rng.expovariate(1 / LIFETIME_S), n))
        decisions += 1
        if pools[rng.randrange(INSTANCES)].take([quota]):
            served += 1
        if full_at is None and sum(store.counts.values()) >= limit:
            full_at = clock.now
    return Outcome(
        limit=limit,
        leased=sum(store.counts.values()),
        served=served,
        decisions=decisions,
        peak_writes_per_s=max(store.writes.values()),
        steady_writes_per_s=max((w for second, w in store.writes.items() if second >= 2), default=0),
        writes=sum(store.writes.values()),
    )


def run() -> Iterator[tuple[str, float, str]]:
    shares = []
    hottest = None
    for limit in CAPS:
        outcome = simulate(limit)
        assert outcome.served <= outcome.leased <= limit, outcome  # never over
        shares.append(outcome.short_share)
        yield f"capacity.cap_stranded_share_{limit // 1000}k", round(outcome.short_share, 5), "ratio"
        if hottest is None or outcome.peak_writes_per_s > hottest.peak_writes_per_s:
            hottest = outcome
    yield "capacity.cap_stranded_share", round(max(shares), 5), "ratio"
    at_end = simulate(CAPS[-1], period_s=CAPS[-1] / RATE)
    yield "capacity.cap_stranded_share_at_period_end", round(at_end.short_share, 5), "ratio"
    assert hottest is not None
    yield "capacity.hot_item_writes_per_s", hottest.peak_writes_per_s, "per_s"
    yield "capacity.hot_item_writes_per_s_steady", hottest.steady_writes_per_s, "per_s"
    yield "capacity.hot_item_writes_per_decision", round(hottest.writes / hottest.decisions, 4), "ratio"
