"""The local stand-in for API Gateway's Cognito user-pool authorizer (``AdminAuthorizer``).

It accepts exactly what the deployed authorizer accepts — an ID token of the pool's own SPA
client, RS256-signed by one of the pool's published keys, not expired — from the
``Authorization`` header, with or without ``Bearer``. Everything else is a 401, and the
handler never runs. Accepted claims are handed over the way the REST authorizer hands them to
Lambda: every value a string, lists joined with commas (``cognito:groups`` →
``"group-admin,viewer"``), ``exp``/``iat`` as Java date strings (``"Tue Apr 04 18:39:39 UTC
2023"``), other numbers as digits, booleans as ``"true"``/``"false"``. Code that works here
therefore reads claims the way it must in AWS.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from local.cognito import PoolSettings

log = logging.getLogger("xsell.local.authorizer")
ALGORITHM = "RS256"  # what Cognito signs with; anything else (none, HS256) is forged
MAX_LEEWAY = 5.0  # seconds of clock skew tolerated on exp, at most
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE_CLAIMS = ("exp", "iat")


class TokenRefused(Exception):
    """The token is not one the deployed authorizer would accept; the message says why."""


def fetch_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the emulator's URL
        return json.load(response)


class JwtAuthorizer:
    """Verifies Cognito ID tokens against the pool's JWKS; a :data:`local.gateway.Authorizer`.

    Keys are fetched on first use and cached; an unknown ``kid`` refetches them (a rotated pool
    key), at most once per ``refetch_after`` seconds so that made-up kids cannot flood the
    single-threaded emulator. ``clock`` is injectable for expiry tests.
    """

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        jwks_url: str,
        leeway: float = 0.0,
        clock: Callable[[], float] = time.time,
        refetch_after: float = 30.0,
        fetch: Callable[[str], Any] = fetch_json,
    ) -> None:
        if not 0 <= leeway <= MAX_LEEWAY:
            raise ValueError(f"leeway must be between 0 and {MAX_LEEWAY} seconds")
        self.issuer, self.client_id, self.jwks_url = issuer, client_id, jwks_url
        self.leeway, self.clock = leeway, clock
        self._refetch_after, self._fetch = refetch_after, fetch
        self._keys: dict[str, RSAKey] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_pool(cls, settings: PoolSettings, **options: Any) -> JwtAuthorizer:
        return cls(
            issuer=settings.issuer, client_id=settings.client_id, jwks_url=settings.jwks_url, **options
        )

    def __call__(self, headers: Mapping[str, str]) -> dict[str, str] | None:
        """API Gateway's claims for a request's lower-cased headers, or None (401)."""
        token = bearer_token(headers.get("authorization"))
        if token is None:
            return None
        try:
            return api_gateway_claims(self.check(token))
        except TokenRefused as refused:
            log.info("admin API request refused: %s", refused)
            return None

    def check(self, token: str) -> dict[str, Any]:
        """The verified claims of ``token``; raises :class:`TokenRefused` saying why not."""
        key = self._key_for(_header(token))
        try:
            payload = jws.deserialize_compact(token, key, algorithms=[ALGORITHM]).payload
            claims = json.loads(payload)
        except (JoseError, ValueError) as exc:
            raise TokenRefused(f"bad signature or payload ({exc.__class__.__name__})") from exc
        if not isinstance(claims, dict):
            raise TokenRefused("payload is not a JSON object")
        self._check_claims(claims)
        return claims

    def _check_claims(self, claims: dict[str, Any]) -> None:
        if claims.get("iss") != self.issuer:
            raise TokenRefused(f"issued by {claims.get('iss')!r}, not this pool")
        if claims.get("token_use") != "id":
            raise TokenRefused(f"a {claims.get('token_use')!r} token, not an ID token")
        if claims.get("aud") != self.client_id:
            raise TokenRefused(f"issued to client {claims.get('aud')!r}, not the SPA's")
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            raise TokenRefused("no expiry")
        if exp + self.leeway <= self.clock():
            raise TokenRefused("expired")

    def _key_for(self, header: dict[str, Any]) -> RSAKey:
        if header.get("alg") != ALGORITHM:
            raise TokenRefused(f"algorithm {header.get('alg')!r} is not {ALGORITHM}")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise TokenRefused("no key id")
        with self._lock:
            if kid not in self._keys and self._may_fetch():
                self._keys = self._load_keys()
            key = self._keys.get(kid)
        if key is None:
            raise TokenRefused(f"unknown key id {kid!r}")
        return key

    def _may_fetch(self) -> bool:
        now = time.monotonic()
        return self._fetched_at is None or now - self._fetched_at >= self._refetch_after

    def _load_keys(self) -> dict[str, RSAKey]:
        self._fetched_at = time.monotonic()
        try:
            published = self._fetch(self.jwks_url)["keys"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("could not read the pool's keys from %s: %s", self.jwks_url, exc)
            return self._keys
        return {
            str(jwk["kid"]): RSAKey.import_key(jwk)
            for jwk in published
            if jwk.get("kty") == "RSA"
            and jwk.get("use", "sig") == "sig"
            and jwk.get("alg", ALGORITHM) == ALGORITHM
        }


def bearer_token(value: str | None) -> str | None:
    """The token in an Authorization header: ``Bearer <jwt>`` or the bare JWT, as API Gateway
    takes both."""
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else value.strip()
    return token or None


def _header(token: str) -> dict[str, Any]:
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise TokenRefused("not a JWT") from exc
    return dict(header)


def api_gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """``claims`` as API Gateway's REST Cognito authorizer passes them to the integration."""
    return {name: _as_string(name, value) for name, value in claims.items() if value is not None}


def _as_string(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if name in _DATE_CLAIMS:
            return _java_date(value)
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, (list, tuple)):
        return ",".join(_as_string("", item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _java_date(epoch: float) -> str:
    """``Date.toString()`` in UTC — the form the REST authorizer gives ``exp`` and ``iat``."""
    t = time.gmtime(epoch)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:02d} {clock} UTC {t.tm_year}"
