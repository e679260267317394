"""The decide use case: request in, per-slot creatives out. Storage through the DAL.

Per request: one read of the customer's profile and state, the engine's choice under volume
control, and one write of the state. Shared limits (caps, reciprocity) are taken from this
instance's leased blocks (:mod:`xsell.decisioning.leases`), so they cost no round trip until
a block runs out; frequency caps are conditions on the state write. A refused choice falls
through to the next eligible campaign.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

from xsell import env, observability, signing
from xsell.dal import config as config_store
from xsell.dal import counters as counter_store
from xsell.dal import customers as customer_store
from xsell.dal import events as event_store
from xsell.dal import secrets as secret_store
from xsell.decisioning import catalog, engine, leases, tokens, volume
from xsell.decisioning.facts import BrandUsage, Facts
from xsell.decisioning.request import (
    DecideRequest,
    ServerSignature,
    is_customer_id,
    parse,
)
from xsell.errors import (
    IdentityRejected,
    InvalidRequest,
    OriginRejected,
    UnknownSite,
)
from xsell.measuring import decisions
from xsell.signing import BadToken

log = logging.getLogger(__name__)
DEFAULT_TTL_SECONDS = 30.0
ROUNDS = 4  # state writes tried when the customer's own concurrent visits keep taking the last count
MAX_REMOVALS = 16  # stale frequency counts dropped per state write


def instance_pool() -> leases.Pool:
    """The blocks of shared limits one decide instance (one Lambda environment) holds."""
    return leases.Pool(counter_store.STORE)


BLOCKS = instance_pool()  # the default pool of this process


class SnapshotCache:
    """The compiled live config version, refreshed when the live pointer moves (checked every ``ttl`` s)."""

    def __init__(self, ttl: float | None = None) -> None:
        self.ttl = (
            ttl if ttl is not None else float(os.environ.get(env.CONFIG_TTL_SECONDS, DEFAULT_TTL_SECONDS))
        )
        self._snapshot: engine.Snapshot | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self) -> engine.Snapshot:
        now = time.monotonic()
        if self._snapshot is not None and now - self._checked < self.ttl:
            return self._snapshot
        with self._lock:
            # Both reads are strongly consistent, and a version is whole before the pointer
            # names it: the snapshot is always exactly one published version.
            live = config_store.live_version()
            if self._snapshot is None or self._snapshot.version != live:
                documents = config_store.load(live)
                self._snapshot = catalog.compile_snapshot(
                    live,
                    documents.get("site", {}).values(),
                    documents.get("campaign", {}).values(),
                    documents.get("group", {}).get(catalog.GROUP_ID),
                    documents.get(catalog.AFFINITY_KIND, {}).get(catalog.AFFINITY_ID),
                )
            self._checked = now
            return self._snapshot

    def refresh(self) -> engine.Snapshot:
        """Check the live pointer now, whatever the TTL (tests and benchmarks after a publish)."""
        self._checked = float("-inf")
        return self.get()


def check_origin(site: engine.Site, origin: str | None) -> str | None:
    """The origin to allow in the CORS answer; OriginRejected for a browser origin not listed.

    A call without ``Origin`` is server to server and allowed: trust comes from the identity.
    """
    if origin is None:
        return None
    if not site.allows(origin):
        raise OriginRejected(f"origin {origin!r} is not allowed for site {site.site_id!r}")
    return origin


def metered_call(
    site: engine.Site, origin: str | None, signed: ServerSignature | None, now: dt.datetime
) -> bool:
    """Whether a decide call may take units of shared limits (caps, reciprocity credit).

    A browser call from one of the site's origins may (OriginRejected for any other origin); so
    may a call from the site's own server or app that signs its exact body with the site's secret,
    as server-to-server conversions are signed (SignatureInvalid/SignatureExpired when it does
    not verify, Conflict ``replayed`` when the same signed request came before: a captured call
    cannot be sent again to spend caps). A call with neither an Origin nor a signature is still
    answered, but takes nothing shared: only campaigns without caps and reciprocity can fill its
    slots.
    """
    if origin is not None:
        check_origin(site, origin)
        return True
    if signed is None or (signed.timestamp is None and signed.signature is None):
        return False
    _verify_server_signature(site, signed, now)
    return True


def _verify_server_signature(site: engine.Site, signed: ServerSignature, now: dt.datetime) -> None:
    # Imported here: only signed server calls pay for loading it.
    from xsell import server_calls

    mac = server_calls.verify(site.site_id, signed.body or "", signed.timestamp, signed.signature, now)
    server_calls.accept_once(mac, "decide", now)


def preflight_origin(cache: SnapshotCache, origin: str | None) -> str | None:
    """For a CORS preflight (no body, so no site yet): the origin if any site lists it."""
    if not origin:
        return None
    return origin if any(site.allows(origin) for site in cache.get().sites.values()) else None


def _customer_id(request: DecideRequest, site: engine.Site) -> str:
    """Who is asking: from the site's signed identity token, or a raw id where allowed.

    The token may be signed with the site's current secret or, while a rotation's overlap
    lasts, with the previous one (:func:`xsell.dal.secrets.site_secrets`).
    """
    if request.identity_token is not None:
        secrets = secret_store.site_secrets(site.site_id)
        if not secrets:
            raise IdentityRejected(f"site {site.site_id!r} has no identity secret configured")
        try:
            subject = tokens.identity_subject(secrets, site.site_id, request.identity_token)
        except BadToken as exc:
            raise IdentityRejected(f"identity token rejected: {exc.reason}") from exc
        if not is_customer_id(subject):
            raise IdentityRejected("identity token rejected: its subject is not a customer id")
        return subject
    if not site.allow_raw_id or request.customer_id is None:
        raise IdentityRejected(f"site {site.site_id!r} accepts signed identity tokens only")
    return request.customer_id


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def customer_facts(
    customer_id: str,
    site: engine.Site,
    request: DecideRequest,
    profile: dict[str, Any] | None,
    visit: customer_store.Visit,
    now: dt.datetime,
) -> Facts:
    """What targeting reads about this customer and page (decide, and the admin's explain)."""
    brands: dict[str, BrandUsage] = {}
    attributes: dict[str, Any] = {}
    profile = profile or {}
    for brand, usage in (profile.get("brands") or {}).items():
        if isinstance(usage, dict) and usage.get("used"):
            brands[brand] = BrandUsage(
                _date(usage.get("first_used")),
                _date(usage.get("last_purchase")),
                _int(usage.get("ltv")),
                usage.get("rank"),
            )
    for name, value in (profile.get("attributes") or {}).items():
        attributes[name] = _int(value) if isinstance(value, Decimal) else value
    return Facts(
        customer_id=customer_id,
        now=now,
        source_brand=site.brand,
        group_rank=profile.get("group_rank"),
        attributes=attributes,
        brands=brands,
        optouts=frozenset(profile.get("optouts") or ()),
        visit_count=visit.visit_count,
        first_visit=visit.first_visit,
        recent_categories=visit.recent_categories,
        page_url=request.page_url,
        page_category=request.page_category,
        referrer=request.referrer,
        device=request.device,
    )


def _preview(
    request: DecideRequest,
    snapshot: engine.Snapshot,
    site: engine.Site,
    customer_id: str,
    keys: tuple[bytes, ...],
) -> dict[str, Any]:
    """The forced campaign in the first requested slot it may fill; nothing counted or signed."""
    assert request.preview_token is not None
    try:
        campaign_id, creative_id, site_id = tokens.preview_target(keys, request.preview_token)
    except BadToken as exc:
        raise InvalidRequest(f"preview token rejected: {exc.reason}", "preview") from exc
    if site_id is not None and site_id != site.site_id:
        raise InvalidRequest("preview token is for another site", "preview")
    campaign = snapshot.campaigns.get(campaign_id)
    if campaign is None:
        raise InvalidRequest(f"preview campaign {campaign_id!r} is not in the config", "preview")
    creative = next((c for c in campaign.creatives if c.creative_id == creative_id), None)
    if creative_id is not None and creative is None:
        raise InvalidRequest(f"preview creative {creative_id!r} is not in the campaign", "preview")
    slot = next((s for s in request.slots if s in campaign.slots), request.slots[0])
    chosen = creative or engine.creative_for(campaign, customer_id)
    return {
        "decision_id": f"preview-{uuid.uuid4().hex}",
        "preview": True,
        "slots": {slot: _creative(campaign, chosen)},
        "holdouts": [],
    }


def _stale_frequencies(
    state: dict[str, Any] | None, snapshot: engine.Snapshot, now: dt.datetime
) -> list[str]:
    """Frequency counts of periods that have ended, to drop in the next write.

    Only a count older than its campaign's current period of the same kind is dropped: a
    campaign this instance does not know (yet) keeps its counts, and a request timed just
    before midnight never drops the new day's count that one timed just after has written.
    """
    stale = []
    for name, campaign_id in customer_store.frequency_counts(state):
        campaign = snapshot.campaigns.get(campaign_id)
        if campaign is None:
            continue
        key = name.rpartition("#")[2]  # d2026-11-23, w2026-W48, m2026-11 or total
        current = (f.period_key for f in volume.frequency_claims(campaign, now))
        if any(key[0] == c[0] and key < c and key != "total" for c in current):
            stale.append(name)
    return stale[:MAX_REMOVALS]


def _acceptor(
    snapshot: engine.Snapshot,
    site: engine.Site,
    moment: dt.datetime,
    pool: leases.Pool,
    state: dict[str, Any] | None,
    plans: dict[str, volume.Plan],
    *,
    frequency_ok: bool,
    metered: bool = True,
) -> engine.Accept:
    """The engine's ``accept``: a choice is served if every limit has room; its plan is kept.

    An unmetered call (:func:`metered_call`) takes no unit of any shared limit, so a choice
    that needs one (caps, reciprocity credit, click caps) is refused for it."""

    def accept(choice: engine.Choice) -> bool:
        plan = volume.plan(snapshot, choice, site.brand, moment)
        if plan.frequency and (
            not frequency_ok
            or any(customer_store.frequency_count(state, f) >= f.limit for f in plan.frequency)
        ):
            return False
        if plan.shared and not metered:
            return False
        if not pool.take(plan.shared):
            return False
        plans[choice.slot] = plan
        return True

    return accept


def _choose_and_record(
    snapshot: engine.Snapshot,
    site: engine.Site,
    request: DecideRequest,
    customer_id: str,
    known: customer_store.CustomerRead,
    moment: dt.datetime,
    pool: leases.Pool,
    metered: bool = True,
) -> tuple[list[engine.Choice], dict[str, volume.Plan]]:
    """Choose under every limit and record the visit with the choices' frequency counts.

    The state write is conditional on each frequency count still being under its limit; when
    the customer's other requests took the last count meanwhile, the choice is made again from
    the state as it now is. After :data:`ROUNDS` lost races nothing frequency-capped is served.
    """
    state = known.state
    for attempt in range(ROUNDS + 1):
        visit = customer_store.this_visit(state, site.site_id, request.page_category, moment)
        facts = customer_facts(customer_id, site, request, known.profile, visit, moment)
        plans: dict[str, volume.Plan] = {}
        accept = _acceptor(
            snapshot, site, moment, pool, state, plans, frequency_ok=attempt < ROUNDS, metered=metered
        )
        choices = engine.choose(snapshot, site, request.slots, facts, accept)
        frequency = [f for plan in plans.values() for f in plan.frequency]
        stale = _stale_frequencies(state, snapshot, moment)
        try:
            now_state = customer_store.record(
                customer_store.visit_update(customer_id, site.site_id, visit, moment, frequency, stale)
            )
        except Exception:
            pool.give_back(claim for plan in plans.values() for claim in plan.shared)
            raise
        if now_state is None:
            pool.served(claim for plan in plans.values() for claim in plan.shared)
            return choices, plans
        pool.give_back(claim for plan in plans.values() for claim in plan.shared)
        state = now_state
    raise AssertionError("unreachable: the last round claims no frequency, so its write holds")


def claims_customer(pseudonyms: bytes, customer_id: str) -> str:
    """The customer hash the decision's tokens carry (and its measured events store)."""
    return signing.customer_hash(pseudonyms, customer_id)


def _measure(
    request: DecideRequest,
    site: engine.Site,
    decision_id: str,
    customer: str,
    slots: dict[str, Any],
    moment: dt.datetime,
) -> None:
    """The decision's request and served events to the events stream. Best effort: a decision
    is never refused because measuring it failed (the failure is logged)."""
    lines = decisions.decision_lines(
        at=moment,
        decision_id=decision_id,
        site_id=site.site_id,
        source_brand=site.brand,
        slots=request.slots,
        served=[
            decisions.Served(slot, s["campaign_id"], s["creative_id"], s["destination_brand"])
            for slot, s in slots.items()
        ],
        customer_hash=customer,
        device=request.device,
    )
    try:
        failed = event_store.put_records(lines)
    except Exception:  # noqa: BLE001 - measuring must not cost the page its banner
        log.exception("decision events not written")
        return
    if failed:
        log.warning("%d of %d decision events not written", len(failed), len(lines))


def _creative(campaign: engine.Campaign, creative: engine.Creative) -> dict[str, Any]:
    return {
        "campaign_id": campaign.campaign_id,
        "creative_id": creative.creative_id,
        "destination_brand": campaign.destination_brand,
        "template": creative.template,
        "fields": dict(creative.fields),
    }


@observability.refusals(observability.DECIDE_REFUSED)
def decide(
    body: Any,
    cache: SnapshotCache,
    *,
    origin: str | None = None,
    user_agent: str | None = None,
    now: dt.datetime | None = None,
    pool: leases.Pool | None = None,
    signed: ServerSignature | None = None,
) -> dict[str, Any]:
    """Validate ``body``, choose per slot under volume control, and shape the tag's answer.

    ``origin`` is the browser's Origin header; ``signed`` what a site's server sent to sign the
    call (:func:`metered_call` decides whether it may take units of shared limits)."""
    request = parse(body, user_agent)
    snapshot = cache.get()
    site = snapshot.sites.get(request.site)
    if site is None:
        raise UnknownSite(f"unknown site {request.site!r}")
    metered = metered_call(site, origin, signed, now or dt.datetime.now(dt.UTC))
    customer_id = _customer_id(request, site)
    if request.preview_token is not None:
        return _preview(request, snapshot, site, customer_id, secret_store.signing_keys())
    key, pseudonyms = secret_store.signing_key(), secret_store.pseudonym_key()
    moment = now or dt.datetime.now(dt.UTC)
    choices, plans = _choose_and_record(
        snapshot,
        site,
        request,
        customer_id,
        customer_store.read(customer_id),
        moment,
        pool or BLOCKS,
        metered,
    )
    decision_id = uuid.uuid4().hex
    slots: dict[str, Any] = {}
    holdouts = []
    for c in choices:
        claims = tokens.slot_claims(
            pseudonyms,
            decision_id=decision_id,
            site=site.site_id,
            slot=c.slot,
            campaign=c.campaign.campaign_id,
            creative=None if c.holdout else c.creative.creative_id,
            source=site.brand,
            destination=c.campaign.destination_brand,
            customer_id=customer_id,
            device=request.device,
        )
        if c.holdout:
            holdouts.append(
                {
                    "slot": c.slot,
                    "campaign_id": c.campaign.campaign_id,
                    "token": tokens.slot_token(key, claims, True),
                }
            )
            continue
        clicks = [
            (k.scope, k.subject, k.period_key, k.expires_at)
            for k in plans.get(c.slot, volume.Plan()).click_counters
        ]
        slots[c.slot] = {
            **_creative(c.campaign, c.creative),
            "token": tokens.slot_token(key, claims, clicks=clicks),
        }
        if c.creative.referable:  # never a referral token on a link off the group's domains
            slots[c.slot]["ref"] = tokens.ref_token(key, claims)
    _measure(request, site, decision_id, claims_customer(pseudonyms, customer_id), slots, moment)
    observability.count(observability.DECISIONS)
    observability.count(observability.SLOTS_SERVED, len(slots))
    observability.count(observability.HOLDOUTS, len(holdouts))
    return {"decision_id": decision_id, "slots": slots, "holdouts": holdouts}
