"""The decide use case: request in, per-slot creatives out. Storage through the DAL."""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Any

from xsell import env
from xsell.dal import config as config_store
from xsell.dal import profiles as profile_store
from xsell.dal import secrets as secret_store
from xsell.decisioning import engine, tokens
from xsell.decisioning.request import DecideRequest, parse
from xsell.errors import IdentityRejected, UnknownSite
from xsell.signing import BadToken

DEFAULT_TTL_SECONDS = 30.0


class SnapshotCache:
    """The compiled config, refreshed when its version stamp moves (checked every ``ttl`` s)."""

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
            stamp = config_store.version()
            if self._snapshot is None or self._snapshot.version != stamp:
                self._snapshot = engine.compile_snapshot(
                    stamp, config_store.list_kind("site"), config_store.list_kind("campaign")
                )
            self._checked = now
            return self._snapshot


def _customer_id(request: DecideRequest, site: engine.Site) -> str:
    """Who is asking: from the site's signed identity token, or a raw id where allowed."""
    if request.identity_token is not None:
        secret = secret_store.site_secret(site.site_id)
        if secret is None:
            raise IdentityRejected(f"site {site.site_id!r} has no identity secret configured")
        try:
            return tokens.identity_subject(secret, site.site_id, request.identity_token)
        except BadToken as exc:
            raise IdentityRejected(f"identity token rejected: {exc.reason}") from exc
    if not site.allow_raw_id or request.customer_id is None:
        raise IdentityRejected(f"site {site.site_id!r} accepts signed identity tokens only")
    return request.customer_id


def _customer(customer_id: str) -> engine.Customer:
    profile = profile_store.get(customer_id)
    if profile is None:
        return engine.Customer(customer_id)
    brands = profile.brands.as_dict() if profile.brands else {}
    used = frozenset(brand for brand, usage in brands.items() if usage.get("used"))
    return engine.Customer(customer_id, used, frozenset(profile.optouts or ()))


def decide(body: Any, cache: SnapshotCache) -> dict[str, Any]:
    """Validate ``body``, choose per slot, and shape the response the tag renders."""
    request = parse(body)
    snapshot = cache.get()
    site = snapshot.sites.get(request.site)
    if site is None:
        raise UnknownSite(f"unknown site {request.site!r}")
    customer_id = _customer_id(request, site)
    choices = engine.choose(snapshot, site, request.slots, _customer(customer_id))
    decision_id = uuid.uuid4().hex
    key = secret_store.signing_key()
    slots = {}
    for c in choices:
        claims = tokens.slot_claims(
            key,
            decision_id=decision_id,
            site=site.site_id,
            slot=c.slot,
            campaign=c.campaign.campaign_id,
            creative=c.creative.creative_id,
            source=site.brand,
            destination=c.campaign.destination_brand,
            customer_id=customer_id,
        )
        slots[c.slot] = {
            "campaign_id": c.campaign.campaign_id,
            "creative_id": c.creative.creative_id,
            "destination_brand": c.campaign.destination_brand,
            "template": c.creative.template,
            "fields": dict(c.creative.fields),
            "token": tokens.slot_token(key, claims),
            "ref": tokens.ref_token(key, claims),
        }
    return {"decision_id": decision_id, "slots": slots, "holdouts": []}
