"""The admin user pool on the local moto server, set up the way ``infra/stacks/admin.py`` sets it
up in AWS, so that the admin API is signed in to locally with real, verifiable Cognito tokens.

Same as AWS: pool name ``xsell-<stage>-admin``, e-mail as the sign-in name, the password policy,
admin-only user creation, the three role groups with their precedence, the ``custom:brand``
attribute, and an SPA client without secret whose write attributes leave ``custom:brand`` out.

Different on purpose:

- no MFA: demo users sign in with e-mail and password only (AWS requires TOTP);
- the client also allows ``USER_PASSWORD_AUTH``: moto's SRP is not real SRP (its challenge is
  random), so local sign-in sends the password to the local emulator instead;
- moto does not enforce the client's write attributes (UpdateUserAttributes with a user's own
  access token changes ``custom:brand`` locally); only AWS refuses it.

moto's tokens name the AWS host in ``iss`` (``https://cognito-idp.<region>.amazonaws.com/<pool>``)
while its keys are served by the emulator, so :class:`PoolSettings` carries both.

The pool is driven through Cognito's JSON protocol directly, not boto3: the test session
patches botocore to the services pytest-localstack knows, Cognito is not one of them, and a
patched botocore refuses to build a Cognito client even with an explicit endpoint. moto checks
no signatures; the credential scope in the Authorization header only tells it the region.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from local.emulators import REGION
from xsell import roles

POOL_NAME = "xsell-local-admin"  # xsell-<stage>-admin, as in AWS
CLIENT_NAME = "AdminSpaClient"
_PASSWORD_POLICY = {
    "MinimumLength": 12,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 3,
}
_AUTH_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


class CognitoError(RuntimeError):
    """The emulator refused a call; ``code`` is Cognito's error type (``UsernameExistsException``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class SignInError(RuntimeError):
    """Cognito answered a sign-in with a challenge instead of tokens."""


@dataclass(frozen=True)
class PoolSettings:
    """What a client (the SPA, the local authorizer) needs to know about the pool."""

    endpoint: str  # the moto server: Cognito API and JWKS
    region: str
    user_pool_id: str
    client_id: str
    issuer: str  # the ``iss`` of its tokens: the AWS host, not the endpoint
    jwks_url: str  # where its public keys are actually served


class LocalUserPool:
    """One named user pool and its SPA client on the moto server, created on first use."""

    def __init__(self, endpoint: str, *, name: str = POOL_NAME, region: str = REGION) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.name = name
        self.region = region
        self._ids: tuple[str, str] | None = None

    def ensure(self) -> LocalUserPool:
        """Create pool, groups and client unless a pool of this name exists (idempotent)."""
        if self._ids is None:
            pool_id = self._find_pool() or self._create_pool()
            self._create_groups(pool_id)
            self._ids = (pool_id, self._find_client(pool_id) or self._create_client(pool_id))
        return self

    def settings(self) -> PoolSettings:
        pool_id, client_id = self._pool_ids()
        return PoolSettings(
            endpoint=self.endpoint,
            region=self.region,
            user_pool_id=pool_id,
            client_id=client_id,
            issuer=f"https://cognito-idp.{self.region}.amazonaws.com/{pool_id}",
            jwks_url=f"{self.endpoint}/{pool_id}/.well-known/jwks.json",
        )

    def create_user(self, email: str, password: str, role: str, brand: str | None = None) -> str:
        """A confirmed user with a permanent password, in exactly the group ``role``, with
        ``custom:brand`` set by the admin (never by the user). Returns the username (the sub).
        Calling it again for the same e-mail updates password, role and brand."""
        if role not in roles.ROLE_GROUPS:
            raise ValueError(f"unknown role {role!r}; one of {', '.join(roles.ROLE_GROUPS)}")
        pool_id = self.settings().user_pool_id
        attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        if brand:
            attributes.append({"Name": roles.BRAND_CLAIM, "Value": brand})
        created = self._call_unless(
            "UsernameExistsException",
            "AdminCreateUser",
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=attributes,
            MessageAction="SUPPRESS",
        )
        if created is None:
            self._update_user(pool_id, email, attributes, brand)
        self.call(
            "AdminSetUserPassword", UserPoolId=pool_id, Username=email, Password=password, Permanent=True
        )
        self._set_group(pool_id, email, role)
        return str(self.call("AdminGetUser", UserPoolId=pool_id, Username=email)["Username"])

    def sign_in(self, email: str, password: str) -> dict[str, str]:
        """``{"id_token", "access_token", "refresh_token"}`` for an e-mail and password."""
        answer = self.call(
            "InitiateAuth",
            ClientId=self.settings().client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        result = answer.get("AuthenticationResult")
        if not result:
            raise SignInError(f"{email}: Cognito asks for {answer.get('ChallengeName')} first")
        return {
            "id_token": result["IdToken"],
            "access_token": result["AccessToken"],
            "refresh_token": result["RefreshToken"],
        }

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """One Cognito API call (``AdminGetUser``, ``InitiateAuth``...) on the emulator."""
        request = urllib.request.Request(
            f"{self.endpoint}/",
            data=json.dumps(params).encode(),
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
                "Authorization": f"AWS4-HMAC-SHA256 Credential=local/20260101/{self.region}/cognito-idp/"
                "aws4_request, SignedHeaders=host, Signature=local",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the emulator
                return dict(json.loads(response.read() or b"{}"))
        except urllib.error.HTTPError as error:
            body = json.loads(error.read() or b"{}")
            code = str(body.get("__type", error.code)).rsplit("#", 1)[-1]
            raise CognitoError(code, str(body.get("message", ""))) from error

    def _call_unless(self, code: str, operation: str, **params: Any) -> dict[str, Any] | None:
        """``call``, except that the error ``code`` (e.g. "it exists already") answers None."""
        try:
            return self.call(operation, **params)
        except CognitoError as error:
            if error.code != code:
                raise
            return None

    def _pool_ids(self) -> tuple[str, str]:
        self.ensure()
        assert self._ids is not None
        return self._ids

    # --- creation ---------------------------------------------------------------------------

    def _find_pool(self) -> str | None:
        params: dict[str, Any] = {"MaxResults": 60}
        while True:
            page = self.call("ListUserPools", **params)
            for pool in page.get("UserPools", []):
                if pool["Name"] == self.name:
                    return str(pool["Id"])
            if not page.get("NextToken"):
                return None
            params["NextToken"] = page["NextToken"]

    def _create_pool(self) -> str:
        pool = self.call(
            "CreateUserPool",
            PoolName=self.name,
            UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            Schema=[
                {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
                {
                    "Name": roles.BRAND_ATTRIBUTE,
                    "AttributeDataType": "String",
                    "Mutable": True,
                    "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "32"},
                },
            ],
            Policies={"PasswordPolicy": _PASSWORD_POLICY},
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
            MfaConfiguration="OFF",
            AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
        )
        return str(pool["UserPool"]["Id"])

    def _create_groups(self, pool_id: str) -> None:
        for name, (precedence, description) in roles.ROLE_GROUPS.items():
            self._call_unless(
                "GroupExistsException",
                "CreateGroup",
                UserPoolId=pool_id,
                GroupName=name,
                Precedence=precedence,
                Description=description,
            )

    def _find_client(self, pool_id: str) -> str | None:
        params: dict[str, Any] = {"UserPoolId": pool_id, "MaxResults": 60}
        while True:
            page = self.call("ListUserPoolClients", **params)
            for client in page.get("UserPoolClients", []):
                if client["ClientName"] == CLIENT_NAME:
                    return str(client["ClientId"])
            if not page.get("NextToken"):
                return None
            params["NextToken"] = page["NextToken"]

    def _create_client(self, pool_id: str) -> str:
        client = self.call(
            "CreateUserPoolClient",
            UserPoolId=pool_id,
            ClientName=CLIENT_NAME,
            GenerateSecret=False,
            ExplicitAuthFlows=_AUTH_FLOWS,
            ReadAttributes=list(roles.SPA_READ_ATTRIBUTES),
            WriteAttributes=list(roles.SPA_WRITE_ATTRIBUTES),
            PreventUserExistenceErrors="ENABLED",
            AccessTokenValidity=1,
            IdTokenValidity=1,
            RefreshTokenValidity=12,
            TokenValidityUnits={"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "hours"},
        )
        return str(client["UserPoolClient"]["ClientId"])

    # --- users ------------------------------------------------------------------------------

    def _update_user(
        self, pool_id: str, email: str, attributes: list[dict[str, str]], brand: str | None
    ) -> None:
        # The e-mail is the sign-in name and unchanged; moto refuses to "change" it to itself.
        others = [a for a in attributes if a["Name"] != "email"]
        self.call("AdminUpdateUserAttributes", UserPoolId=pool_id, Username=email, UserAttributes=others)
        user = self.call("AdminGetUser", UserPoolId=pool_id, Username=email)
        if not brand and any(a["Name"] == roles.BRAND_CLAIM for a in user["UserAttributes"]):
            self.call(
                "AdminDeleteUserAttributes",
                UserPoolId=pool_id,
                Username=email,
                UserAttributeNames=[roles.BRAND_CLAIM],
            )

    def _set_group(self, pool_id: str, email: str, role: str) -> None:
        current = self.call("AdminListGroupsForUser", UserPoolId=pool_id, Username=email)["Groups"]
        for group in current:
            if group["GroupName"] != role:
                self.call(
                    "AdminRemoveUserFromGroup",
                    UserPoolId=pool_id,
                    Username=email,
                    GroupName=group["GroupName"],
                )
        self.call("AdminAddUserToGroup", UserPoolId=pool_id, Username=email, GroupName=role)
