"""Signing in to the local admin API in tests: users, tokens, forged tokens, HTTP calls.

Tokens are minted with moto's own signing key (shipped inside moto, the key behind every
token the emulator issues) so that tests can make tokens the emulator never would: expired
ones, ones for another client. Forgeries use another key or no signature at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource

from demo.users import PASSWORD

MOTO_KID = "dummy"  # the kid of moto's one signing key, in every pool's JWKS


def moto_key() -> RSAKey:
    return RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def payload(token: str) -> dict[str, Any]:
    """The claims of a token, unverified (to copy them into a variant)."""
    return json.loads(_unb64(token.split(".")[1]))


def mint(claims: dict[str, Any], key: RSAKey | None = None, kid: str = MOTO_KID) -> str:
    """An RS256 token; with moto's key unless ``key`` is given."""
    return jwt.encode({"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, key or moto_key())


def unsigned(claims: dict[str, Any]) -> str:
    """``alg: none`` — no signature at all."""
    return f"{_b64({'alg': 'none', 'kid': MOTO_KID})}.{_b64(claims)}."


def hs256_with_public_key(claims: dict[str, Any]) -> str:
    """The algorithm-confusion forgery: HMAC keyed with the (public) RSA modulus."""
    secret = moto_key().as_dict(private=False)["n"].encode()
    signing_input = f"{_b64({'alg': 'HS256', 'kid': MOTO_KID})}.{_b64(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def expired(token: str, seconds_ago: int = 10) -> str:
    claims = payload(token)
    claims["exp"] = int(time.time()) - seconds_ago
    claims["iat"] = claims["exp"] - 3600
    return mint(claims)


def get(url: str, token: str | None = None, *, bearer: bool = True) -> tuple[int, Any]:
    headers = {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}" if bearer else token
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def sign_in(pool: Any, email: str, role: str, brand: str | None = None) -> dict[str, str]:
    """Create (or reset) a user and sign them in: their id/access/refresh tokens."""
    pool.create_user(email, PASSWORD, role, brand)
    return pool.sign_in(email, PASSWORD)


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
