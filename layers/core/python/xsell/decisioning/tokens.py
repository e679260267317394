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
customer id, ``site`` the site key, ``iat`` when it was issued, ``exp`` expiry, and optionally
``kid`` (:func:`xsell.signing.key_id` of the secret). It may live at most
:data:`IDENTITY_MAX_LIFETIME` and be issued at most :data:`CLOCK_SKEW` seconds in the future (the
brand's server clock may run ahead). Mint it on the server side only:
``mint_identity_token(secret, site_id, customer_id)``.

Every token names its key (``kid``) and is verified against the keys valid at the moment, so a
rotation's overlap keeps tokens signed with the previous key valid. The customer hash ``u`` is
keyed with the deployment's pseudonym key, which rotations leave alone.

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
IDENTITY_MAX_LIFETIME = 24 * 3600  # an identity token older (or longer-lived) than this is refused
CLOCK_SKEW = 60  # seconds an identity token's iat may lie in the future
PREVIEW_TTL = 3600


def slot_claims(
    pseudonym_key: bytes,
    *,
    decision_id: str,
    site: str,
    slot: str,
    campaign: str,
    creative: str | None,
    source: str,
    destination: str,
    customer_id: str,
    device: str | None = None,
) -> dict[str, Any]:
    claims = {
        "d": decision_id,
        "s": site,
        "sl": slot,
        "c": campaign,
        "cr": creative,
        "b": source,
        "db": destination,
        "u": signing.customer_hash(pseudonym_key, customer_id),
    }
    if device is not None:
        claims["dv"] = device  # the page's device class, stored with its events for the funnel
    return claims


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
    secret: bytes, site_id: str, customer_id: str, ttl_seconds: int = IDENTITY_TTL, now: float | None = None
) -> str:
    """What a brand's backend puts in its page for ``xsell('identify', token)``."""
    return signing.sign(secret, "identity", {"sub": customer_id, "site": site_id}, ttl_seconds, now)


def identity_subject(
    secrets: bytes | Sequence[bytes], site_id: str, token: str, now: float | None = None
) -> str:
    """The customer id in a valid identity token for ``site_id``, signed with one of ``secrets``
    (the site's secrets valid now); :class:`signing.BadToken` otherwise."""
    payload = signing.verify(
        secrets, "identity", token, now, max_lifetime=IDENTITY_MAX_LIFETIME, leeway=CLOCK_SKEW
    )
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


def preview_target(keys: bytes | Sequence[bytes], token: str) -> tuple[str, str | None, str | None]:
    """(campaign, creative or None, site or None) of a valid preview token; BadToken otherwise."""
    payload = signing.verify(keys, "preview", token)
    campaign, creative, site = payload.get("c"), payload.get("cr"), payload.get("site")
    if not isinstance(campaign, str) or not all(v is None or isinstance(v, str) for v in (creative, site)):
        raise signing.BadToken("malformed preview token")
    return campaign, creative, site
