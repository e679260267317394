"""Secrets from Secrets Manager, cached for a few minutes so rotation is picked up."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from xsell import env
from xsell.dal import aws

CACHE_SECONDS = 300.0
_lock = threading.Lock()
_cached: tuple[float, dict[str, Any]] | None = None


def _document() -> dict[str, Any]:
    global _cached
    with _lock:
        if _cached is None or time.monotonic() - _cached[0] > CACHE_SECONDS:
            raw = aws.client("secretsmanager").get_secret_value(SecretId=env.get(env.SECRET))["SecretString"]
            _cached = (time.monotonic(), json.loads(raw))
        return _cached[1]


def signing_key() -> bytes:
    """The deployment's key for decision, slot and referral tokens."""
    return str(_document()["signing_key"]).encode()


def site_secret(site_id: str) -> bytes | None:
    """The secret a site's backend signs customer identity tokens with, if it has one."""
    value = _document().get("sites", {}).get(site_id)
    return str(value).encode() if value else None


def forget() -> None:
    """Drop the cache (after a rotation in tests)."""
    global _cached
    with _lock:
        _cached = None


def set_site_secret(site_id: str, secret: str) -> None:
    """Store (or rotate) the identity-token secret of one site."""
    client = aws.client("secretsmanager")
    name = env.get(env.SECRET)
    document = json.loads(client.get_secret_value(SecretId=name)["SecretString"])
    document.setdefault("sites", {})[site_id] = secret
    client.put_secret_value(SecretId=name, SecretString=json.dumps(document))
    forget()
