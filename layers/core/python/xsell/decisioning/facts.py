"""What decide knows about one request when it tests a campaign's targeting.

Built once per request from the profile, the customer's behaviour on this site and the
request itself; compiled targeting predicates read it and nothing else (no I/O).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple


class BrandUsage(NamedTuple):
    """One brand's part of the profile, as imported from that brand's ``brand_usage`` file."""

    first_used: date | None = None
    last_purchase: date | None = None
    ltv: int | None = None  # yen
    rank: str | None = None


@dataclass(frozen=True)
class Facts:
    customer_id: str
    now: datetime  # timezone-aware, UTC
    source_brand: str  # the brand whose site is asking
    # Profile (imported). Attribute values are str or int (gender, birth_year, age_band,
    # prefecture, member_since as an ISO date string, plus partner-mapped extras).
    group_rank: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    brands: Mapping[str, BrandUsage] = field(default_factory=dict)
    optouts: frozenset[str] = frozenset()  # brand ids, or "all"
    # Behaviour on this site, updated by decide itself; visit_count includes this visit.
    visit_count: int = 1
    first_visit: bool = True
    recent_categories: tuple[str, ...] = ()  # newest first, bounded
    # The request.
    page_url: str | None = None
    page_category: str | None = None
    referrer: str | None = None
    device: str | None = None  # mobile | tablet | desktop

    @property
    def brands_used(self) -> frozenset[str]:
        return frozenset(self.brands)
