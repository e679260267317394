"""Brand affinity: for each ordered pair of brands (A, B), how much likelier a customer who uses A
is to use B than the average customer of the group.

    lift(A -> B) = P(uses B | uses A) / P(uses B) = n(A and B) * n / (n(A) * n(B))

counted over the whole profile store (``brands.<brand>.used`` of each profile: the brand usage
partners import). A lift above 1 means A's customers are drawn to B; a pair whose source brand
has fewer than :data:`MIN_SUPPORT` customers, or whose destination has no customer, gets no
lift (``None``): too few customers to say.

Pure counting: :func:`tally` reads profiles (any iterable of profile items, as
:func:`xsell.dal.profiles.scan_brand_usage` yields them), :func:`merge` adds up the tallies of a
parallel scan's segments, and :func:`lifts` turns a tally into the pairs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MIN_SUPPORT = 30  # customers of the source brand below which a lift says nothing


@dataclass
class Tally:
    customers: int = 0  # profiles counted (with or without any brand)
    users: Counter[str] = field(default_factory=Counter)  # brand -> customers using it
    both: Counter[tuple[str, str]] = field(default_factory=Counter)  # (a, b), a < b -> using both

    def add(self, brands: Iterable[str]) -> None:
        used = sorted(set(brands))
        self.customers += 1
        self.users.update(used)
        for i, a in enumerate(used):
            for b in used[i + 1 :]:
                self.both[(a, b)] += 1


def used_brands(profile: Mapping[str, Any]) -> list[str]:
    """The brands a profile item (plain values) says the customer uses."""
    brands = profile.get("brands") or {}
    return [b for b, usage in brands.items() if isinstance(usage, Mapping) and usage.get("used")]


def tally(profiles: Iterable[Mapping[str, Any]]) -> Tally:
    counted = Tally()
    for profile in profiles:
        counted.add(used_brands(profile))
    return counted


def merge(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for part in tallies:
        total.customers += part.customers
        total.users.update(part.users)
        total.both.update(part.both)
    return total


def lifts(counted: Tally, min_support: int = MIN_SUPPORT) -> list[dict[str, Any]]:
    """One row per ordered pair of brands seen: the counts, P(B | A), P(B) and the lift."""
    rows = []
    brands = sorted(counted.users)
    for a in brands:
        for b in brands:
            if a == b:
                continue
            n_a, n_b = counted.users[a], counted.users[b]
            n_ab = counted.both[(a, b) if a < b else (b, a)]
            known = n_a >= min_support and n_b > 0 and counted.customers > 0
            p_b_given_a = n_ab / n_a if n_a else None
            p_b = n_b / counted.customers if counted.customers else None
            rows.append(
                {
                    "source_brand": a,
                    "destination_brand": b,
                    "customers": counted.customers,
                    "source_customers": n_a,
                    "destination_customers": n_b,
                    "both_customers": n_ab,
                    "p_destination_given_source": p_b_given_a,
                    "p_destination": p_b,
                    "lift": (n_ab * counted.customers) / (n_a * n_b) if known else None,
                }
            )
    return rows


def compute(segments: int = 8, scan: Any = None) -> Tally:
    """The tally of the whole profile store, read as a parallel Scan of ``segments`` segments
    (one thread each; :func:`xsell.dal.profiles.scan_brand_usage` unless ``scan`` is given)."""
    from concurrent.futures import ThreadPoolExecutor

    if scan is None:
        from xsell.dal import profiles

        scan = profiles.scan_brand_usage
    with ThreadPoolExecutor(max_workers=segments) as pool:
        return merge(pool.map(lambda s: tally(scan(s, segments)), range(segments)))
