"""Compact signed tokens: ``base64url(json payload) "." base64url(HMAC-SHA256)``.

Used for customer identity tokens (signed by a brand's backend with the site's
secret), decision and slot tokens (signed by decide, checked by collect) and
referral tokens carried on click-through links. ``purpose`` is part of the MAC,
so a token minted for one use can never be replayed as another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
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


def sign(
    secret: bytes, purpose: str, payload: Mapping[str, Any], ttl_seconds: int, now: float | None = None
) -> str:
    """A token for ``payload`` that :func:`verify` accepts for ``ttl_seconds``."""
    issued = int(now if now is not None else time.time())
    body = _b64(json.dumps({**payload, "exp": issued + ttl_seconds}, separators=(",", ":")).encode())
    return f"{body}.{_mac(secret, purpose, body)}"


def verify(secret: bytes, purpose: str, token: object, now: float | None = None) -> dict[str, Any]:
    """The payload of a valid, unexpired ``token`` minted for ``purpose``; else :class:`BadToken`."""
    # Tokens are base64url: anything else is malformed (and compare_digest refuses non-ASCII str).
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 4096 or not token.isascii():
        raise BadToken("malformed")
    body, mac = token.split(".")
    if not hmac.compare_digest(mac, _mac(secret, purpose, body)):
        raise BadToken("bad signature")
    try:
        payload = json.loads(_unb64(body))
    except ValueError as exc:
        raise BadToken("malformed") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int):
        raise BadToken("malformed")
    if payload["exp"] < int(now if now is not None else time.time()):
        raise BadToken("expired")
    return payload


def customer_hash(secret: bytes, customer_id: str) -> str:
    """A keyed, stable pseudonym for a customer id: what events and tokens carry instead of the id."""
    return _b64(hmac.new(secret, b"customer." + customer_id.encode(), hashlib.sha256).digest()[:16])
