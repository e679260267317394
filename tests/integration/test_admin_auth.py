"""Signing in to the admin API locally: real Cognito tokens (moto), verified like AWS verifies them.

Every request goes over HTTP through the local gateway to ``GET /admin/v1/health``, which
answers 200 to any accepted token; whatever the deployed Cognito authorizer would refuse is a
401 before the handler runs.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from joserfc.jwk import RSAKey

from demo.users import PASSWORD, create_demo_users
from local import lambda_runtime
from local.cognito import LocalUserPool
from local.emulators import Emulators
from local.system import LocalSystem
from tests.integration.admin_fixtures import (
    expired,
    get,
    hs256_with_public_key,
    mint,
    payload,
    sign_in,
    unsigned,
)
from xsell import roles


@pytest.fixture(scope="module")
def system(local_system: LocalSystem) -> LocalSystem:
    assert local_system.user_pool is not None, "LocalSystem() should set up the admin user pool"
    return local_system


@pytest.fixture(scope="module")
def pool(system: LocalSystem) -> LocalUserPool:
    assert system.user_pool is not None
    return system.user_pool


@pytest.fixture(scope="module")
def health(system: LocalSystem) -> str:
    assert system.gateway is not None
    return f"{system.gateway.url}/admin/v1/health"


@pytest.fixture(scope="module")
def admin(pool: LocalUserPool) -> dict[str, str]:
    return sign_in(pool, "auth-admin@xsell.example", roles.GROUP_ADMIN)


def test_the_local_pool_lives_on_the_moto_server(pool: LocalUserPool, emulators: Emulators) -> None:
    assert pool.endpoint == emulators.endpoints["cognito-idp"]


def test_a_valid_id_token_is_accepted_with_or_without_bearer(health: str, admin: dict[str, str]) -> None:
    assert get(health, admin["id_token"])[0] == 200
    assert get(health, admin["id_token"], bearer=False)[0] == 200


@pytest.mark.parametrize("token", [None, "", "garbage", "a.b.c", "Bearer"], ids=repr)
def test_no_token_or_garbage_is_401(health: str, token: str | None) -> None:
    status, body = get(health, token, bearer=False)
    assert (status, body) == (401, {"error": "not_signed_in", "message": "Unauthorized"})


def test_an_expired_token_is_401(health: str, admin: dict[str, str]) -> None:
    assert get(health, expired(admin["id_token"], seconds_ago=10))[0] == 401
    assert get(health, mint(payload(admin["id_token"])))[0] == 200  # the same claims, not expired


def test_a_token_signed_with_another_key_is_401(health: str, admin: dict[str, str]) -> None:
    other = RSAKey.generate_key(2048)
    assert get(health, mint(payload(admin["id_token"]), key=other))[0] == 401


def test_unsigned_and_hmac_forged_tokens_are_401(health: str, admin: dict[str, str]) -> None:
    claims = payload(admin["id_token"])
    assert get(health, unsigned(claims))[0] == 401
    assert get(health, hs256_with_public_key(claims))[0] == 401


def test_a_token_of_another_user_pool_is_401(health: str, emulators: Emulators) -> None:
    other = LocalUserPool(emulators.endpoints["cognito-idp"], name="xsell-local-other")
    tokens = sign_in(other, "stranger@xsell.example", roles.GROUP_ADMIN)
    assert get(health, tokens["id_token"])[0] == 401


def test_a_token_of_another_client_of_the_pool_is_401(health: str, pool: LocalUserPool) -> None:
    settings = pool.settings()
    client = pool.call(
        "CreateUserPoolClient",
        UserPoolId=settings.user_pool_id,
        ClientName="not-the-spa",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    pool.create_user("other-client@xsell.example", PASSWORD, roles.GROUP_ADMIN)
    answer = pool.call(
        "InitiateAuth",
        ClientId=client["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "other-client@xsell.example", "PASSWORD": PASSWORD},
    )
    assert get(health, answer["AuthenticationResult"]["IdToken"])[0] == 401


def test_an_access_token_is_401(health: str, admin: dict[str, str]) -> None:
    assert get(health, admin["access_token"])[0] == 401


def test_the_handler_gets_string_claims_as_api_gateway_passes_them(
    health: str, pool: LocalUserPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[dict[str, Any]] = []
    invoke = lambda_runtime.invoke

    def recording(name: str, event: dict[str, Any]) -> Any:
        events.append(event)
        return invoke(name, event)

    monkeypatch.setattr(lambda_runtime, "invoke", recording)
    tokens = sign_in(pool, "auth-hana@xsell.example", roles.BRAND_MARKETER, "hana")
    assert get(health, tokens["id_token"])[0] == 200

    claims = events[-1]["requestContext"]["authorizer"]["claims"]
    assert all(isinstance(v, str) for v in claims.values()), claims
    assert roles.parse_groups(claims["cognito:groups"]) == (roles.BRAND_MARKETER,)
    assert claims[roles.BRAND_CLAIM] == "hana"
    assert claims["email"] == "auth-hana@xsell.example"
    assert claims["email_verified"] == "true"
    assert claims["token_use"] == "id"
    assert claims["exp"].endswith(" UTC " + claims["exp"][-4:])  # "Tue Apr 04 18:39:39 UTC 2023"


def test_a_user_in_two_groups_gets_both_in_one_string(health: str, pool: LocalUserPool, monkeypatch) -> None:
    events: list[dict[str, Any]] = []
    invoke = lambda_runtime.invoke
    monkeypatch.setattr(lambda_runtime, "invoke", lambda n, e: (events.append(e), invoke(n, e))[1])
    pool.create_user("auth-two@xsell.example", PASSWORD, roles.VIEWER)
    pool.call(
        "AdminAddUserToGroup",
        UserPoolId=pool.settings().user_pool_id,
        Username="auth-two@xsell.example",
        GroupName=roles.GROUP_ADMIN,
    )
    tokens = pool.sign_in("auth-two@xsell.example", PASSWORD)
    assert get(health, tokens["id_token"])[0] == 200
    groups = events[-1]["requestContext"]["authorizer"]["claims"]["cognito:groups"]
    assert isinstance(groups, str)
    assert set(roles.parse_groups(groups)) == {roles.VIEWER, roles.GROUP_ADMIN}


def test_the_local_client_cannot_be_used_to_write_the_brand(pool: LocalUserPool) -> None:
    """AWS refuses UpdateUserAttributes on custom:brand with the user's own access token because
    the client's write attributes leave it out. moto does not enforce write attributes, so
    here only the client's settings can be checked; tests/infra checks the deployed client."""
    settings = pool.settings()
    client = pool.call(
        "DescribeUserPoolClient", UserPoolId=settings.user_pool_id, ClientId=settings.client_id
    )
    assert roles.BRAND_CLAIM in client["UserPoolClient"]["ReadAttributes"]
    assert roles.BRAND_CLAIM not in client["UserPoolClient"]["WriteAttributes"]


def test_demo_users_sign_in_with_their_role_and_brand(system: LocalSystem, pool: LocalUserPool) -> None:
    assert system.gateway is not None
    for user in create_demo_users(pool):
        token = pool.sign_in(user.email, PASSWORD)["id_token"]
        status, me = get(f"{system.gateway.url}/admin/v1/me", token)
        assert status == 200, (user, me)
        assert (me["email"], me["role"], me["brand"]) == (user.email, user.role, user.brand)


def test_admin_config_json_tells_the_spa_where_to_sign_in(system: LocalSystem, pool: LocalUserPool) -> None:
    assert system.cdn is not None and system.gateway is not None
    status, config = get(f"{system.cdn.url}/admin/config.json")
    settings = pool.settings()
    assert status == 200
    assert config["userPoolId"] == settings.user_pool_id
    assert config["userPoolClientId"] == settings.client_id
    assert config["cognitoEndpoint"] == settings.endpoint
    assert config["apiBase"] == "/admin/v1"  # same origin, as in AWS: the CDN forwards it
    assert config["region"] == settings.region


def test_the_cdn_forwards_the_admin_api_with_the_token(system: LocalSystem, admin: dict[str, str]) -> None:
    assert system.cdn is not None
    me = f"{system.cdn.url}/admin/v1/me"
    status, body = get(me, admin["id_token"])
    assert status == 200 and body["email"] == "auth-admin@xsell.example" and body["role"] == roles.GROUP_ADMIN
    assert get(me)[0] == 401  # the gateway's authorizer still decides
    request = urllib.request.Request(
        f"{system.cdn.url}/admin/v1/campaigns/no-such-campaign?rev=0",
        method="DELETE",
        headers={"Authorization": f"Bearer {admin['id_token']}"},
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=10)
    assert answer.value.code == 404 and json.loads(answer.value.read())["error"] == "not_found"
