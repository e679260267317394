"""Tokens decide hands out: slot tokens (what collect accepts events for) and referral tokens
(carried on the click-through link, sent back with a conversion), and the identity tokens
a brand's backend mints for its logged-in customer.

Slot token (purpose ``slot``, 1 day): ``d`` decision id, ``s`` site, ``sl`` slot, ``c``
campaign, ``cr`` creative (None for a holdout), ``b`` source brand, ``db`` destination brand,
``u`` customer hash, ``h`` 1 for a holdout, and ``k`` (only when the campaign has click caps)
the click counters collect adds an accepted click to, as ``[scope, subject, period, expiry]``
lists. Referral token (purpose ``ref``, the attribution
window): the same without ``h``.

Identity token (purpose ``identity``, signed with the site's secret): ``sub`` the group
customer id, ``site`` the site key, ``exp`` expiry. Mint it on the server side only:
``mint_identity_token(secret, site_id, customer_id)``.

Preview token (purpose ``preview``, signed with the deployment key by the admin side):
``c`` campaign, ``cr`` creative (None: the customer's own variant), ``site`` (None: any site
of the campaign). Decide then shows that campaign whatever its status, schedule, targeting
or caps, and signs no slot or referral token, so nothing it shows is counted or measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xsell import signing

SLOT_TTL = 24 * 3600
REF_TTL = 7 * 24 * 3600
IDENTITY_TTL = 3600
PREVIEW_TTL = 3600


def slot_claims(
    key: bytes,
    *,
    decision_id: str,
    site: str,
    slot: str,
    campaign: str,
    creative: str | None,
    source: str,
    destination: str,
    customer_id: str,
) -> dict[str, Any]:
    return {
        "d": decision_id,
        "s": site,
        "sl": slot,
        "c": campaign,
        "cr": creative,
        "b": source,
        "db": destination,
        "u": signing.customer_hash(key, customer_id),
    }


def slot_token(
    key: bytes, claims: dict[str, Any], holdout: bool = False, clicks: Sequence[Sequence[Any]] = ()
) -> str:
    payload = {**claims, "h": 1 if holdout else 0}
    if clicks:
        payload["k"] = [list(c) for c in clicks]
    return signing.sign(key, "slot", payload, SLOT_TTL)


def ref_token(key: bytes, claims: dict[str, Any]) -> str:
    return signing.sign(key, "ref", claims, REF_TTL)


def mint_identity_token(
    secret: bytes, site_id: str, customer_id: str, ttl_seconds: int = IDENTITY_TTL
) -> str:
    """What a brand's backend puts in its page for ``xsell('identify', token)``."""
    return signing.sign(secret, "identity", {"sub": customer_id, "site": site_id}, ttl_seconds)


def identity_subject(secret: bytes, site_id: str, token: str) -> str:
    """The customer id in a valid identity token for ``site_id``; :class:`signing.BadToken` otherwise."""
    payload = signing.verify(secret, "identity", token)
    if payload.get("site") != site_id or not isinstance(payload.get("sub"), str):
        raise signing.BadToken("token is for another site")
    return str(payload["sub"])


def mint_preview_token(
    key: bytes,
    campaign_id: str,
    creative_id: str | None = None,
    site_id: str | None = None,
    ttl_seconds: int = PREVIEW_TTL,
) -> str:
    """A QA link's token: decide forces this campaign (and creative) and counts nothing."""
    return signing.sign(key, "preview", {"c": campaign_id, "cr": creative_id, "site": site_id}, ttl_seconds)


def preview_target(key: bytes, token: str) -> tuple[str, str | None, str | None]:
    """(campaign, creative or None, site or None) of a valid preview token; BadToken otherwise."""
    payload = signing.verify(key, "preview", token)
    campaign, creative, site = payload.get("c"), payload.get("cr"), payload.get("site")
    if not isinstance(campaign, str) or not all(v is None or isinstance(v, str) for v in (creative, site)):
        raise signing.BadToken("malformed preview token")
    return campaign, creative, site
