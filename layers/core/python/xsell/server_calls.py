"""Calls a site's own server signs with the site's secret: a decide call that may spend shared
limits without a browser Origin, and a server-to-server conversion. One scheme for both::

    X-Xsell-Timestamp: <unix seconds>
    X-Xsell-Signature: hex(HMAC-SHA256(site secret, "<timestamp>." + body))

The timestamp must lie within :data:`WINDOW` seconds of the server's clock, either way. During a
rotation's overlap the site's current and previous secrets both verify. Each signed request is
accepted once per route (``replayed`` after that): its ``sig#`` guard lives for twice the window,
after which the timestamp alone refuses it. So a captured call cannot be sent again, and a site's
server signs every call anew.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

from xsell.api_contract import SIGNATURE_WINDOW
from xsell.dal import events as event_store
from xsell.dal import secrets
from xsell.errors import Conflict, InvalidRequest, SignatureExpired, SignatureInvalid

TIMESTAMP_HEADER = "x-xsell-timestamp"
SIGNATURE_HEADER = "x-xsell-signature"
WINDOW = SIGNATURE_WINDOW  # seconds the timestamp may differ from the server's clock, either way
REPLAYED = "replayed"
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")


def signature(secret: bytes, timestamp: int | str, body: str | bytes) -> str:
    """The ``X-Xsell-Signature`` of ``body`` sent at ``timestamp``."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return hmac.new(secret, str(timestamp).encode("ascii") + b"." + raw, hashlib.sha256).hexdigest()


def verify(site_id: str, body: str, timestamp: str | None, mac: str | None, now: dt.datetime) -> str:
    """Check that site ``site_id``'s server signed ``body`` at ``timestamp``; the signature.
    InvalidRequest for a missing or malformed header, SignatureExpired outside the window,
    SignatureInvalid for another key or body."""
    if timestamp is None or not _TIMESTAMP.fullmatch(timestamp):
        raise InvalidRequest(
            "X-Xsell-Timestamp must be the request's time in unix seconds", "X-Xsell-Timestamp"
        )
    if mac is None or not _SIGNATURE.fullmatch(mac):
        raise InvalidRequest("X-Xsell-Signature must be 64 lowercase hex digits", "X-Xsell-Signature")
    if abs(now.timestamp() - int(timestamp)) > WINDOW:
        raise SignatureExpired(f"X-Xsell-Timestamp is more than {WINDOW} s from the server's clock")
    keys = secrets.site_secrets(site_id, now)
    if not any(hmac.compare_digest(mac, signature(key, timestamp, body)) for key in keys):
        raise SignatureInvalid(f"X-Xsell-Signature is not a signature of this body by site {site_id!r}")
    return mac


def accept_once(mac: str, route: str, now: dt.datetime) -> tuple[str, str]:
    """Take the replay guard of the verified request signed ``mac`` on ``route``; its key (to
    release it if the request could not be carried out). Conflict ``replayed`` when taken before."""
    used = event_store.signature_key(mac, route)
    if not event_store.claim(used, now + dt.timedelta(seconds=2 * WINDOW)):
        raise Conflict("this signed request was already received: sign each call anew", code=REPLAYED)
    return used
