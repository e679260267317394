"""Compact signed tokens: ``base64url(json payload) "." base64url(HMAC-SHA256)``.

Used for customer identity tokens (signed by a brand's backend with the site's
secret), decision and slot tokens (signed by decide, checked by collect) and
referral tokens carried on click-through links. ``purpose`` is part of the MAC,
so a token minted for one use can never be replayed as another.

Every token names the key it was signed with (``kid``, :func:`key_id`: the first 48 bits of the
key's SHA-256, never the key) and when it was issued (``iat``). :func:`verify` takes every key
that is valid at the moment, current first: during a rotation's overlap the previous key still
verifies the tokens it signed. A token without ``kid`` (an identity token minted by hand) is
tried against each key. ``max_lifetime`` bounds how long a token may live and how old it may be,
and ``leeway`` is the clock skew allowed for an ``iat`` in the future.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from xsell.errors import XsellError


class BadToken(XsellError):
    """A token that is malformed, forged, for another purpose or expired. ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, purpose: str, body: str) -> str:
    return _b64(hmac.new(secret, f"{purpose}.{body}".encode(), hashlib.sha256).digest())


def key_id(secret: bytes) -> str:
    """The public name of a key: the first 48 bits of its SHA-256, in hex."""
    return hashlib.sha256(secret).hexdigest()[:12]


def sign(
    secret: bytes, purpose: str, payload: Mapping[str, Any], ttl_seconds: int, now: float | None = None
) -> str:
    """A token for ``payload`` that :func:`verify` accepts for ``ttl_seconds``, naming its key."""
    issued = int(now if now is not None else time.time())
    claims = {**payload, "iat": issued, "exp": issued + ttl_seconds, "kid": key_id(secret)}
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{body}.{_mac(secret, purpose, body)}"


def _payload(body: str) -> Any:
    try:
        return json.loads(_unb64(body))
    except ValueError:
        return None


def verify(
    keys: bytes | Sequence[bytes],
    purpose: str,
    token: object,
    now: float | None = None,
    *,
    max_lifetime: int | None = None,
    leeway: int = 0,
) -> dict[str, Any]:
    """The payload of a valid, unexpired ``token`` minted for ``purpose`` with one of ``keys``
    (a key, or the keys valid now); else :class:`BadToken`.

    With ``max_lifetime``, the token must carry ``iat``, live at most that long (and so be no older
    than that) and be issued no later than ``leeway`` seconds from now.
    """
    # Tokens are base64url: anything else is malformed (and compare_digest refuses non-ASCII str).
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 4096 or not token.isascii():
        raise BadToken("malformed")
    body, mac = token.split(".")
    candidates = [keys] if isinstance(keys, bytes) else list(keys)
    claimed = _payload(body)
    kid = claimed.get("kid") if isinstance(claimed, dict) else None
    if kid is not None:  # a key no longer (or never) valid leaves no candidate: a bad signature
        candidates = [key for key in candidates if key_id(key) == kid]
    if not any(hmac.compare_digest(mac, _mac(key, purpose, body)) for key in candidates):
        raise BadToken("bad signature")
    payload = claimed
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
        raise BadToken("malformed")
    moment = int(now if now is not None else time.time())
    if payload["exp"] < moment:
        raise BadToken("expired")
    if max_lifetime is not None:
        issued = payload.get("iat")
        if not isinstance(issued, int) or isinstance(issued, bool):
            raise BadToken("no issue time")
        if issued > moment + leeway:
            raise BadToken("issued in the future")
        if payload["exp"] - issued > max_lifetime:  # so a token is never older than that either
            raise BadToken("lifetime too long")
    return payload


def customer_hash(secret: bytes, customer_id: str) -> str:
    """A keyed, stable pseudonym for a customer id: what events and tokens carry instead of the id.

    Keyed with the deployment's pseudonym key, which no rotation changes, never a signing key."""
    return _b64(hmac.new(secret, b"customer." + customer_id.encode(), hashlib.sha256).digest()[:16])
