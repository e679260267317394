"""Tokens decide hands out: slot tokens (what collect accepts events for) and referral tokens
(carried on the click-through link, sent back with a conversion), and the identity tokens
a brand's backend mints for its logged-in customer.

Slot token (purpose ``slot``, 1 day): ``d`` decision id, ``s`` site, ``sl`` slot, ``c``
campaign, ``cr`` creative (None for a holdout), ``b`` source brand, ``db`` destination brand,
``u`` customer hash, ``h`` 1 for a holdout. Referral token (purpose ``ref``, the attribution
window): the same without ``h``.

Identity token (purpose ``identity``, signed with the site's secret): ``sub`` the group
customer id, ``site`` the site key, ``exp`` expiry. Mint it on the server side only:
``mint_identity_token(secret, site_id, customer_id)``.
"""

from __future__ import annotations

from typing import Any

from xsell import signing

SLOT_TTL = 24 * 3600
REF_TTL = 7 * 24 * 3600
IDENTITY_TTL = 3600


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


def slot_token(key: bytes, claims: dict[str, Any], holdout: bool = False) -> str:
    return signing.sign(key, "slot", {**claims, "h": 1 if holdout else 0}, SLOT_TTL)


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
