"""Secrets from Secrets Manager, cached for a few minutes so rotation is picked up.

Two secrets, so that a function that only verifies tokens never holds what would let it act as
a site. The deployment secret (``XSELL_SECRET``)::

    {"signing_key": ..., "signing_key_from": ISO 8601,
     "previous_signing_key": {"secret": ..., "valid_until": ISO 8601},
     "pseudonym_key": ...}

and the sites secret (``XSELL_SITES_SECRET``)::

    {"sites": {site_id: secret},
     "previous": {site_id: {"secret": ..., "valid_until": ISO 8601}}}

Every key is rotated the same way: the new key becomes current, the one it replaces stays valid
as *previous* until ``valid_until``, so nothing signed before the rotation is refused during the
overlap. Verifiers take :func:`signing_keys` / :func:`site_secrets` (current first, then the
previous one while its overlap lasts); ``valid_until`` is judged by the clock, so every process
cuts an old key off at the same moment whatever its cache holds.

A process sees a rotation within :data:`CACHE_SECONDS`. So that no verifier meets a key it does
not know yet, signers keep signing with the previous key until ``signing_key_from`` (the rotation
plus :data:`CACHE_SECONDS`), by when every cache has the new key; a site's backend is told the
same moment as ``use_from``.

Customer pseudonyms are keyed with ``pseudonym_key``, which no rotation changes. A document
without one (written before it existed) keys them with its ``signing_key``; the first rotation
of the signing key keeps that key as the ``pseudonym_key``, so pseudonyms never change.

Every write is conditional: it names the version it read (``ClientRequestToken`` derived from
its ``VersionId``), so of two writers that read the same version only the first one wins; the
other re-reads, and gives up with :class:`~xsell.errors.Conflict` if the key it was replacing
changed meanwhile.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeGuard

from botocore.exceptions import ClientError

from xsell import env
from xsell.dal import aws
from xsell.errors import Conflict

CACHE_SECONDS = 300.0
WRITE_ATTEMPTS = 3
_VERSIONS = uuid.UUID("6f0f3a8e-0c56-4c11-9a53-6f2b8d1d4e70")  # namespace of derived version ids
DEPLOYMENT = env.SECRET
SITES = env.SITES_SECRET
_lock = threading.Lock()
_cached: dict[str, tuple[float, dict[str, Any]]] = {}


def _document(which: str = DEPLOYMENT) -> dict[str, Any]:
    """The stored document of the secret named by the variable ``which`` (cached)."""
    with _lock:
        held = _cached.get(which)
        if held is None or time.monotonic() - held[0] > CACHE_SECONDS:
            raw = aws.client("secretsmanager").get_secret_value(SecretId=env.get(which))["SecretString"]
            held = _cached[which] = (time.monotonic(), json.loads(raw))
        return held[1]


def _moment(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _instant(value: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _valid(previous: Any, now: dt.datetime | None) -> TypeGuard[dict[str, Any]]:
    if not isinstance(previous, dict) or not previous.get("secret"):
        return False
    until = _instant(previous.get("valid_until"))
    return until is not None and _moment(now) < until


def _ring(current: Any, previous: Any, now: dt.datetime | None) -> tuple[bytes, ...]:
    """The keys valid at ``now``: the current one, then the previous one while its overlap lasts."""
    found = [str(current).encode()] if current else []
    if _valid(previous, now):
        found.append(str(previous["secret"]).encode())
    return tuple(found)


def signing_key(now: dt.datetime | None = None) -> bytes:
    """The key decide signs decision, slot and referral tokens with at ``now``: the current one,
    or during the first :data:`CACHE_SECONDS` after a rotation still the previous one."""
    document = _document()
    previous = document.get("previous_signing_key")
    starts = _instant(document.get("signing_key_from"))
    if starts is not None and _moment(now) < starts and _valid(previous, now):
        return str(previous["secret"]).encode()
    return str(document["signing_key"]).encode()


def signing_keys(now: dt.datetime | None = None) -> tuple[bytes, ...]:
    """Every key a token decide signed may carry at ``now`` (current first)."""
    document = _document()
    return _ring(document["signing_key"], document.get("previous_signing_key"), now)


def pseudonym_key() -> bytes:
    """The key of customer pseudonyms (:func:`xsell.signing.customer_hash`): never rotated."""
    document = _document()
    return str(document.get("pseudonym_key") or document["signing_key"]).encode()


def site_secret(site_id: str) -> bytes | None:
    """The secret a site's backend signs customer identity tokens with, if it has one."""
    value = _document(SITES).get("sites", {}).get(site_id)
    return str(value).encode() if value else None


def site_secrets(site_id: str, now: dt.datetime | None = None) -> tuple[bytes, ...]:
    """Every secret a site's identity tokens (and server-to-server calls) may be signed with at
    ``now``: the current one first, then the previous one while its overlap lasts."""
    document = _document(SITES)
    return _ring(document.get("sites", {}).get(site_id), (document.get("previous") or {}).get(site_id), now)


def forget() -> None:
    """Drop the cache (after a rotation in tests)."""
    with _lock:
        _cached.clear()


def _write(
    which: str, change: Callable[[dict[str, Any]], Any], guarded: Callable[[dict[str, Any]], Any]
) -> Any:
    """Apply ``change`` to the stored document of ``which`` with a conditional write; what
    ``change`` returns.

    A write that loses to a concurrent one is tried again on the new version, unless what
    ``guarded`` reads from the document (the key being replaced) changed: then Conflict.
    """
    client = aws.client("secretsmanager")
    name = env.get(which)
    expected: Any = None
    for attempt in range(WRITE_ATTEMPTS):
        stored = client.get_secret_value(SecretId=name)
        document = json.loads(stored["SecretString"])
        if attempt == 0:
            expected = guarded(document)
        elif guarded(document) != expected:
            raise Conflict("the secret was rotated by someone else meanwhile; read it again", code="conflict")
        result = change(document)
        token = str(uuid.uuid5(_VERSIONS, str(stored["VersionId"])))
        try:
            client.put_secret_value(
                SecretId=name, SecretString=json.dumps(document), ClientRequestToken=token
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceExistsException":
                continue  # another writer stored a version made from the one we read
            raise
        forget()
        return result
    raise Conflict("the secret is being changed by others; try again", code="conflict")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def set_site_secret(site_id: str, secret: str) -> None:
    """Store (or replace, with no overlap) the identity-token secret of one site."""

    def change(document: dict[str, Any]) -> None:
        document.setdefault("sites", {})[site_id] = secret

    _write(SITES, change, lambda document: document.get("sites", {}).get(site_id))


def rotate_site_secret(
    site_id: str, secret: str, previous_valid_until: dt.datetime, now: dt.datetime | None = None
) -> bool:
    """Make ``secret`` the site's identity-token secret; the one it replaces stays valid until
    ``previous_valid_until`` (not at all when that is not after ``now``). Overlaps that have
    ended are dropped from the document. True when there was a secret to keep as the previous.
    Conflict when another rotation of the same site won the race."""
    moment = _moment(now)

    def change(document: dict[str, Any]) -> bool:
        sites = document.setdefault("sites", {})
        previous = {
            site: entry
            for site, entry in (document.get("previous") or {}).items()
            if site != site_id and _valid(entry, moment)
        }
        current = sites.get(site_id)
        kept = bool(current) and previous_valid_until > moment
        if kept:
            previous[site_id] = {"secret": current, "valid_until": _iso(previous_valid_until)}
        document["previous"] = previous
        sites[site_id] = secret
        return kept

    return bool(_write(SITES, change, lambda document: document.get("sites", {}).get(site_id)))


def rotate_signing_key(
    key: str, previous_valid_until: dt.datetime, now: dt.datetime | None = None
) -> dt.datetime:
    """Make ``key`` the deployment's signing key. The key it replaces still verifies until
    ``previous_valid_until`` and is still used to sign until the returned moment (``now`` plus
    :data:`CACHE_SECONDS`), when every cache knows the new key. Pseudonyms are unaffected.
    So that no token in flight is refused, ``previous_valid_until`` should be at least the longest
    token lifetime (:data:`xsell.decisioning.tokens.REF_TTL`) after that moment. Conflict while
    the overlap of an earlier rotation lasts (there is one previous key), or when another
    rotation won the race."""
    moment = _moment(now)
    starts = moment + dt.timedelta(seconds=CACHE_SECONDS)
    if previous_valid_until < starts:
        raise ValueError("the previous signing key must stay valid until the new one is in use")

    def change(document: dict[str, Any]) -> dt.datetime:
        previous = document.get("previous_signing_key")
        if _valid(previous, moment):  # replacing it would void the tokens it signed
            raise Conflict(
                f"the previous signing key is valid until {previous['valid_until']}: rotate again after that"
            )
        current = str(document["signing_key"])
        document.setdefault("pseudonym_key", current)  # pseudonyms keep the key they always had
        document["previous_signing_key"] = {"secret": current, "valid_until": _iso(previous_valid_until)}
        document["signing_key"] = key
        document["signing_key_from"] = _iso(starts)
        return starts

    result: dt.datetime = _write(DEPLOYMENT, change, lambda document: document.get("signing_key"))
    return result
