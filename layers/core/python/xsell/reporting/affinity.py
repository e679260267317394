"""Brand affinity: for each ordered pair of brands (A, B), how much likelier a customer who uses A
is to use B than the average customer of the group.

    lift(A -> B) = P(uses B | uses A) / P(uses B) = n(A and B) * n / (n(A) * n(B))

and, once referrals from A to B are frequent enough (:data:`MIN_OBSERVED_REFERRALS` in the last
:data:`OBSERVED_DAYS` days, from the brand-pair report), what they showed instead:

    observed lift(A -> B) = conversion rate of A's referrals to B / conversion rate of all referrals

The published ``lift`` (what decide weighs by) is the observed one where there is enough
data (``lift_source: observed``), the usage one otherwise (``usage``); both stay in the pair.

counted over the whole profile store (``brands.<brand>.used`` of each profile: the brand usage
partners import). A lift above 1 means A's customers are drawn to B; a pair whose source brand
has fewer than :data:`MIN_SUPPORT` customers, or whose destination has no customer, gets no
lift (``None``): too few customers to say.

Pure counting: :func:`tally` reads profiles (any iterable of profile items, as
:func:`xsell.dal.profiles.scan_brand_usage` yields them), :func:`merge` adds up the tallies of a
parallel scan's segments, and :func:`lifts` turns a tally into the pairs.

:func:`refresh` is the nightly job (``functions/affinity``; the demo runs it after its imports):
the whole store counted, the pairs published as the ``affinity`` document (id ``brands``) of a
new config version, which decide reads for campaigns with ``weight_by_affinity`` and the admin
API shows as the ``affinity`` report. :func:`check` is what a publish requires of that document.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from xsell.decisioning.catalog import AFFINITY_ID, AFFINITY_KIND
from xsell.errors import InvalidRequest

log = logging.getLogger(__name__)
MIN_SUPPORT = 30  # customers of the source brand below which a lift says nothing
SEGMENTS = 8  # parallel Scan segments of the nightly job
OBSERVED_DAYS = 30  # the referrals the observed lift is read from
MIN_OBSERVED_REFERRALS = 500  # referrals of a pair from which its own conversions speak for it
REPORT_POLL_SECONDS = 2.0  # Athena: ask again this often for the brand-pair report


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


PUBLISHED_FIELDS = ("source_brand", "destination_brand", "source_customers", "destination_customers",
                    "both_customers")  # fmt: skip


@dataclass(frozen=True)
class Observed:
    """What the referrals of one pair showed in the last :data:`OBSERVED_DAYS` days."""

    referrals: int
    conversions: int


def observed_lifts(
    observed: Mapping[tuple[str, str], Observed], min_referrals: int = MIN_OBSERVED_REFERRALS
) -> dict[tuple[str, str], float]:
    """(source, destination) -> conversion rate of the pair's referrals over the rate of all
    referrals, for the pairs with at least ``min_referrals`` referrals (and some conversions
    anywhere, without which no rate compares)."""
    referrals = sum(o.referrals for o in observed.values())
    conversions = sum(o.conversions for o in observed.values())
    if not referrals or not conversions:
        return {}
    overall = conversions / referrals
    return {
        pair: (o.conversions / o.referrals) / overall
        for pair, o in observed.items()
        if o.referrals >= min_referrals
    }


def document(
    counted: Tally,
    computed_at: dt.datetime,
    observed: Mapping[tuple[str, str], Observed] | None = None,
    min_referrals: int = MIN_OBSERVED_REFERRALS,
) -> dict[str, Any]:
    """The published form: per pair of :func:`lifts` its counts, its usage lift and, with enough
    referrals, its observed lift, and the ``lift`` decide uses (lifts rounded to 4 places; the
    shares follow from the counts), with when and over how many customers it was counted. About
    200 bytes a pair: a group of 40 brands (1,560 pairs) stays well inside one item."""
    seen = observed or {}
    by_referrals = observed_lifts(seen, min_referrals)
    pairs = []
    for row in lifts(counted):
        key = (row["source_brand"], row["destination_brand"])
        usage = None if row["lift"] is None else round(row["lift"], 4)
        measured = by_referrals.get(key)
        pair = {name: row[name] for name in PUBLISHED_FIELDS}
        pair["usage_lift"] = usage
        pair["referrals"] = seen[key].referrals if key in seen else 0
        pair["observed_lift"] = None if measured is None else round(measured, 4)
        pair["lift"] = pair["observed_lift"] if measured is not None else usage
        pair["lift_source"] = "observed" if measured is not None else ("usage" if usage is not None else None)
        pairs.append(pair)
    return {
        "computed_at": computed_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "customers": counted.customers,
        "min_support": MIN_SUPPORT,
        "min_observed_referrals": min_referrals,
        "pairs": pairs,
    }


def _number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool) and math.isfinite(value)


def check(doc: Mapping[str, Any]) -> None:
    """InvalidRequest unless ``doc`` is a publishable affinity document: a list of pairs of two
    different brand ids, each with a lift that is a number >= 0 or null."""
    pairs = doc.get("pairs")
    if not isinstance(pairs, list):
        raise InvalidRequest("affinity.pairs must be a list", "pairs")
    for n, pair in enumerate(pairs):
        where = f"pairs[{n}]"
        if not isinstance(pair, Mapping):
            raise InvalidRequest(f"{where} must be an object", where)
        source, destination, lift = pair.get("source_brand"), pair.get("destination_brand"), pair.get("lift")
        if not (
            isinstance(source, str) and isinstance(destination, str) and source and source != destination
        ):
            raise InvalidRequest(f"{where} must name two different brands", where)
        if lift is not None and not (_number(lift) and lift >= 0):
            raise InvalidRequest(f"{where}.lift must be a number >= 0 or null", f"{where}.lift")


def read_observed(now: dt.datetime, wait: Any = None) -> dict[tuple[str, str], Observed]:
    """Referrals and conversions per pair over the last :data:`OBSERVED_DAYS` days, from the
    brand-pair report (Athena in AWS, DuckDB locally; polled until it is done)."""
    import time

    from xsell.admin.configs import SYSTEM
    from xsell.reporting import layout, service

    until = layout.today(now)
    query = {"from": layout.shift(until, -(OBSERVED_DAYS - 1)), "until": until}
    answer = service.run(SYSTEM, "pairs", query, now=now)
    while answer.get("status") == "running":
        (wait or time.sleep)(REPORT_POLL_SECONDS)
        answer = service.run(SYSTEM, "pairs", {**query, "run": answer["run"]}, now=now)
    return {
        (row["source_brand"], row["destination_brand"]): Observed(
            int(row["referrals_sent"] or 0), int(row["conversions"] or 0)
        )
        for row in answer["rows"]
    }


def refresh(
    now: dt.datetime | None = None,
    segments: int = SEGMENTS,
    min_referrals: int = MIN_OBSERVED_REFERRALS,
) -> dict[str, Any]:
    """Count the whole profile store, read what referrals showed, and publish the pairs as a new
    config version (none when nothing changed but the time); what was published. Without the
    events (no report can run), the usage lifts alone are published."""
    from xsell.admin import configs

    moment = now or dt.datetime.now(dt.UTC)
    counted = compute(segments)
    try:
        observed = read_observed(moment)
    except Exception:  # noqa: BLE001 - the usage lifts are still worth publishing
        log.exception("brand-pair report unavailable: publishing usage lifts only")
        observed = {}
    doc = document(counted, moment, observed, min_referrals)
    version = configs.publish_computed(
        AFFINITY_KIND,
        AFFINITY_ID,
        doc,
        note=f"brand affinity over {counted.customers} customers",
        same=_same_pairs,
    )
    return {
        "version": version,
        "customers": counted.customers,
        "pairs": len(doc["pairs"]),
        "observed_pairs": sum(1 for p in doc["pairs"] if p["lift_source"] == "observed"),
    }


def _same_pairs(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return old.get("pairs") == new.get("pairs") and old.get("customers") == new.get("customers")
