"""The decide response contract the tag and collect rely on, built in the test process.

Decide will sign these tokens itself; until it does, tests (and the tag benchmark)
complete a real decide answer with :func:`complete` or build one with :func:`response`.
Once decide emits tokens, :func:`complete` leaves its answer untouched.

Slot token (purpose ``slot``, 1 day) payload: ``d`` decision id, ``s`` site, ``sl`` slot,
``c`` campaign, ``cr`` creative (None for a holdout), ``b`` source brand, ``db`` destination
brand, ``u`` customer hash, ``h`` 1 for a holdout. Referral token (purpose ``ref``, the
attribution window): the same without ``h``.
"""

from __future__ import annotations

import uuid
from typing import Any

from xsell import signing
from xsell.decisioning import tokens

SLOT_TTL = 24 * 3600
REF_TTL = 7 * 24 * 3600


claims = tokens.slot_claims


def demo_claims(key: bytes, customer_id: str) -> dict[str, Any]:
    """One fresh decision on the demo hana site's top banner, referring to tabi."""
    return claims(
        key,
        decision_id=uuid.uuid4().hex,
        site="hana-web",
        slot="top-banner",
        campaign="hana-to-tabi",
        creative="hana-to-tabi-a",
        source="hana",
        destination="tabi",
        customer_id=customer_id,
    )


def slot_token(key: bytes, payload: dict[str, Any], holdout: bool = False, now: float | None = None) -> str:
    return signing.sign(key, "slot", {**payload, "h": 1 if holdout else 0}, SLOT_TTL, now)


def ref_token(key: bytes, payload: dict[str, Any], now: float | None = None) -> str:
    return signing.sign(key, "ref", payload, REF_TTL, now)


def complete(
    answer: dict[str, Any], key: bytes, *, site: str, source: str, customer_id: str
) -> dict[str, Any]:
    """A real decide answer with the contract's tokens added where decide has not put them yet."""
    for slot, chosen in answer.get("slots", {}).items():
        if "token" in chosen and "ref" in chosen:
            continue
        payload = claims(
            key,
            decision_id=answer["decision_id"],
            site=site,
            slot=slot,
            campaign=chosen["campaign_id"],
            creative=chosen["creative_id"],
            source=source,
            destination=chosen["destination_brand"],
            customer_id=customer_id,
        )
        chosen["token"], chosen["ref"] = slot_token(key, payload), ref_token(key, payload)
    answer.setdefault("holdouts", [])
    return answer


def response(
    key: bytes,
    *,
    site: str,
    source: str,
    customer_id: str,
    slots: dict[str, dict[str, Any]] | None = None,
    holdouts: dict[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """A decide answer built from scratch: ``slots`` maps slot -> creative (campaign_id,
    creative_id, destination_brand, template, fields); ``holdouts`` maps slot ->
    (campaign, destination brand)."""
    decision_id = uuid.uuid4().hex
    answer = complete(
        {"decision_id": decision_id, "slots": {k: dict(v) for k, v in (slots or {}).items()}},
        key,
        site=site,
        source=source,
        customer_id=customer_id,
    )
    for slot, (campaign, destination) in (holdouts or {}).items():
        payload = claims(
            key,
            decision_id=decision_id,
            site=site,
            slot=slot,
            campaign=campaign,
            creative=None,
            source=source,
            destination=destination,
            customer_id=customer_id,
        )
        answer["holdouts"].append(
            {"slot": slot, "campaign_id": campaign, "token": slot_token(key, payload, holdout=True)}
        )
    return answer
