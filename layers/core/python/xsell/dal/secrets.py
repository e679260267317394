"""Secrets from Secrets Manager, cached for a few minutes so rotation is picked up.

The document is ``{"signing_key": ..., "sites": {site_id: secret}, "previous": {site_id:
{"secret": ..., "valid_until": ISO 8601}}}``: a rotated site secret stays valid as ``previous``
until ``valid_until``, so the site's backend can switch over without refused tokens. A process
sees a rotation within :data:`CACHE_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
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


def site_secrets(site_id: str, now: dt.datetime | None = None) -> tuple[bytes, ...]:
    """Every secret a site's identity tokens may be signed with at ``now``: the current one
    first, then the previous one while its overlap lasts."""
    document = _document()
    found = []
    current = document.get("sites", {}).get(site_id)
    if current:
        found.append(str(current).encode())
    previous = (document.get("previous") or {}).get(site_id)
    if isinstance(previous, dict) and previous.get("secret") and _valid(previous, now):
        found.append(str(previous["secret"]).encode())
    return tuple(found)


def _valid(previous: dict[str, Any], now: dt.datetime | None) -> bool:
    try:
        until = dt.datetime.fromisoformat(str(previous.get("valid_until")))
    except ValueError:
        return False
    if until.tzinfo is None:
        return False
    return (now or dt.datetime.now(dt.UTC)) < until


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


def rotate_site_secret(
    site_id: str, secret: str, previous_valid_until: dt.datetime, now: dt.datetime | None = None
) -> bool:
    """Make ``secret`` the site's identity-token secret; the one it replaces stays valid until
    ``previous_valid_until`` (not at all when that is not after ``now``). Overlaps that have
    ended are dropped from the document. True when there was a secret to keep as the previous.

    Secrets Manager has no conditional write: two rotations at the same moment keep the last.
    """
    moment = now or dt.datetime.now(dt.UTC)
    client = aws.client("secretsmanager")
    name = env.get(env.SECRET)
    document = json.loads(client.get_secret_value(SecretId=name)["SecretString"])
    sites = document.setdefault("sites", {})
    previous = {
        site: entry
        for site, entry in (document.get("previous") or {}).items()
        if site != site_id and isinstance(entry, dict) and _valid(entry, moment)
    }
    current = sites.get(site_id)
    kept = bool(current) and previous_valid_until > moment
    if kept:
        previous[site_id] = {
            "secret": current,
            "valid_until": previous_valid_until.astimezone(dt.UTC).isoformat(timespec="seconds"),
        }
    document["previous"] = previous
    sites[site_id] = secret
    client.put_secret_value(SecretId=name, SecretString=json.dumps(document))
    forget()
    return kept
