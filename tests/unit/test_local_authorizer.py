"""The local Cognito authorizer: what it accepts, what it refuses, how it hands claims over."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from local.authorizer import JwtAuthorizer, api_gateway_claims, bearer_token

ISSUER = "https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_pool"
CLIENT = "spa-client"
JWKS = "http://127.0.0.1:1/ap-northeast-1_pool/.well-known/jwks.json"
NOW = 1_800_000_000
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
ROTATED = RSAKey.generate_key(2048, parameters={"kid": "k2", "use": "sig", "alg": "RS256"})


class Keys:
    """A fake JWKS endpoint: serves ``keys`` and counts fetches."""

    def __init__(self, *keys: RSAKey) -> None:
        self.keys, self.fetches = list(keys), 0

    def __call__(self, url: str) -> dict[str, Any]:
        assert url == JWKS
        self.fetches += 1
        return {"keys": [k.as_dict(private=False) for k in self.keys]}


def claims(**overrides: Any) -> dict[str, Any]:
    base = {
        "iss": ISSUER,
        "aud": CLIENT,
        "token_use": "id",
        "sub": "u-1",
        "cognito:username": "u-1",
        "email": "a@xsell.example",
        "email_verified": True,
        "cognito:groups": ["brand-marketer", "viewer"],
        "custom:brand": "hana",
        "auth_time": NOW - 60,
        "iat": NOW - 60,
        "exp": NOW + 3600,
    }
    return {**base, **overrides}


def token(key: RSAKey = KEY, **overrides: Any) -> str:
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims(**overrides), key)


def authorizer(keys: Any = None, **options: Any) -> JwtAuthorizer:
    return JwtAuthorizer(
        issuer=ISSUER, client_id=CLIENT, jwks_url=JWKS, clock=lambda: NOW, fetch=keys or Keys(KEY), **options
    )


def test_a_valid_id_token_gives_api_gateway_style_claims() -> None:
    got = authorizer()({"authorization": f"Bearer {token()}"})
    assert got is not None
    assert all(isinstance(v, str) for v in got.values())
    assert got["cognito:groups"] == "brand-marketer,viewer"
    assert got["email_verified"] == "true"
    assert got["auth_time"] == str(NOW - 60)
    assert got["exp"] == time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(NOW + 3600))
    assert got["custom:brand"] == "hana"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("Bearer", None),
        ("Bearer   ", None),
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("abc", "abc"),
        ("  abc  ", "abc"),
    ],
)
def test_bearer_token(header: str | None, expected: str | None) -> None:
    assert bearer_token(header) == expected


def test_the_raw_token_is_accepted_too() -> None:
    assert authorizer()({"authorization": token()}) is not None


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_other"},
        {"aud": "another-client"},
        {"token_use": "access"},
        {"exp": NOW},
        {"exp": NOW - 1},
        {"exp": "tomorrow"},
        {"exp": None},
    ],
    ids=["issuer", "audience", "access-token", "expires-now", "expired", "exp-text", "no-exp"],
)
def test_tokens_aws_would_refuse_are_refused(overrides: dict[str, Any]) -> None:
    assert authorizer()({"authorization": token(**overrides)}) is None


def test_leeway_tolerates_a_few_seconds_of_skew_only() -> None:
    assert authorizer(leeway=5)({"authorization": token(exp=NOW - 4)}) is not None
    assert authorizer(leeway=5)({"authorization": token(exp=NOW - 5)}) is None
    for leeway in (-1, 5.5, 60):
        with pytest.raises(ValueError, match="leeway"):
            authorizer(leeway=leeway)


def test_a_token_signed_by_another_key_under_a_known_kid_is_refused() -> None:
    forged = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    assert authorizer()({"authorization": token(key=forged)}) is None


@pytest.mark.parametrize(
    "raw",
    [
        "garbage",
        "a.b.c",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1LTEifQ.",  # {"alg":"none"}
        "....",
    ],
)
def test_garbage_and_unsigned_tokens_are_refused(raw: str) -> None:
    assert authorizer()({"authorization": raw}) is None


def test_an_unknown_kid_refetches_the_keys_once() -> None:
    keys = Keys(KEY)
    auth = authorizer(keys, refetch_after=0)
    assert auth({"authorization": token()}) is not None
    keys.keys.append(ROTATED)  # the pool rotated its key
    assert auth({"authorization": token(key=ROTATED)}) is not None
    assert keys.fetches == 2
    assert auth({"authorization": token()}) is not None
    assert keys.fetches == 2  # known kids are served from the cache


def test_made_up_kids_do_not_refetch_within_the_interval() -> None:
    keys = Keys(KEY)
    auth = authorizer(keys)  # refetch_after 30 s
    assert auth({"authorization": token()}) is not None
    stranger = RSAKey.generate_key(2048, parameters={"kid": "made-up"})
    for _ in range(3):
        assert auth({"authorization": token(key=stranger)}) is None
    assert keys.fetches == 1


def test_unreadable_keys_refuse_everything() -> None:
    def broken(url: str) -> Any:
        raise OSError("connection refused")

    assert authorizer(broken)({"authorization": token()}) is None


def test_claims_are_strings_the_way_the_rest_authorizer_writes_them() -> None:
    assert api_gateway_claims(
        {"a": 1, "b": 1.5, "c": False, "d": ["x"], "e": None, "iat": 0, "f": {"k": "v"}}
    ) == {
        "a": "1",
        "b": "1.5",
        "c": "false",
        "d": "x",
        "iat": "Thu Jan 01 00:00:00 UTC 1970",
        "f": '{"k":"v"}',
    }
