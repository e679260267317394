"""Preview/QA: which campaign would a test customer get in a slot, and why not the others.

Read-only: the customer's profile and state are read, nothing is written or counted. Caps,
frequency and reciprocity are left aside (they change by the second); the answer says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from xsell.admin.access import Principal
from xsell.dal import customers as customer_store
from xsell.decisioning import catalog, engine, service
from xsell.decisioning.request import DecideRequest, is_customer_id
from xsell.errors import InvalidRequest, NotFound

NOT_ACTIVE, NOT_HERE, HELD_OUT = "not_active", "not_on_this_slot", "held_out"
NOTE = (
    "Caps, frequency and reciprocity are not applied here: they may still leave the slot to another campaign."
)


def explain(
    principal: Principal,
    site_id: Any,
    slot: Any,
    customer_id: Any,
    *,
    now: dt.datetime | None = None,
    snapshots: service.SnapshotCache | None = None,
) -> dict[str, Any]:
    principal.require_read()
    for name, value in (("site_id", site_id), ("slot", slot)):
        if not isinstance(value, str) or not catalog.NAME.fullmatch(value):
            raise InvalidRequest(f"{name} must be 1-64 letters, digits, _ or -", name)
    if not isinstance(customer_id, str) or not is_customer_id(customer_id):
        raise InvalidRequest("customer_id must be 1-128 letters, digits or _.:@-", "customer_id")
    snapshot = (snapshots or service.SnapshotCache(ttl=0)).get()
    site = snapshot.sites.get(site_id)
    if site is None:
        raise NotFound(f"site {site_id!r} is not in the live config version")
    principal.require_read({site.brand}, f"site {site_id!r}")
    moment = now or dt.datetime.now(dt.UTC)
    known = customer_store.read(customer_id)
    visit = customer_store.this_visit(known.state, site_id, None, moment)
    request = DecideRequest(site_id, customer_id, None, (slot,), None)
    facts = service.customer_facts(customer_id, site, request, known.profile, visit, moment)
    chosen: list[engine.Choice | None] = [*engine.choose(snapshot, site, [slot], facts)]
    [winner] = chosen or [None]
    rows = []
    for campaign in sorted(snapshot.campaigns.values(), key=lambda c: (-c.priority, c.campaign_id)):
        if site_id not in campaign.source_sites:
            continue
        reason = (
            NOT_HERE
            if slot not in campaign.slots
            else NOT_ACTIVE
            if campaign.status != "active"
            else engine.ineligibility(campaign, site, facts)
        )
        if reason is None and engine.in_holdout(campaign, customer_id):
            reason = HELD_OUT
        rows.append(
            {
                "campaign_id": campaign.campaign_id,
                "destination_brand": campaign.destination_brand,
                "priority": campaign.priority,
                "eligible": reason is None,
                "reason": reason,
                "wins": winner is not None and winner.campaign.campaign_id == campaign.campaign_id,
            }
        )
    return {
        "site_id": site_id,
        "slot": slot,
        "customer_id": customer_id,
        "config_version": snapshot.version,
        "known_customer": known.profile is not None,
        "winner": None
        if winner is None
        else {
            "campaign_id": winner.campaign.campaign_id,
            "creative_id": winner.creative.creative_id,
            "holdout": winner.holdout,
        },
        "campaigns": rows,
        "note": NOTE,
    }
