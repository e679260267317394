"""Admin sign-in in AWS: who can change a brand, who is invited first, what guards the API."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.app import XsellApp
from infra.config import ConfigError, parse_stage
from tests.infra.conftest import cdk_context, logical_id, only
from tests.infra.test_api import _methods
from xsell import roles


def _spa_client(xsell: XsellApp, templates: dict[str, Template]) -> dict[str, Any]:
    clients = templates["admin"].find_resources("AWS::Cognito::UserPoolClient")
    return clients[logical_id(xsell.admin.spa_client)]["Properties"]


def test_spa_client_reads_the_brand_but_cannot_write_it(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    client = _spa_client(xsell, templates)
    assert roles.BRAND_CLAIM in client["ReadAttributes"]
    assert roles.BRAND_CLAIM not in client["WriteAttributes"]
    assert set(client["ReadAttributes"]) == set(roles.SPA_READ_ATTRIBUTES)
    assert set(client["WriteAttributes"]) == set(roles.SPA_WRITE_ATTRIBUTES)


def test_spa_client_signs_in_with_srp_only(xsell: XsellApp, templates: dict[str, Template]) -> None:
    client = _spa_client(xsell, templates)
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert client["GenerateSecret"] is False


def test_first_group_admin_is_invited_by_email(xsell: XsellApp, templates: dict[str, Template]) -> None:
    user_id, user = only(templates["admin"].find_resources("AWS::Cognito::UserPoolUser"))
    props = user["Properties"]
    assert props["Username"] == xsell.stage.admin_email
    assert {"Name": "email", "Value": xsell.stage.admin_email} in props["UserAttributes"]
    assert props["DesiredDeliveryMediums"] == ["EMAIL"]
    assert "MessageAction" not in props  # SUPPRESS would send no invitation
    assert props["UserPoolId"] == {"Ref": logical_id(xsell.admin.user_pool)}

    _, attachment = only(templates["admin"].find_resources("AWS::Cognito::UserPoolUserToGroupAttachment"))
    props = attachment["Properties"]
    assert props["Username"] == {"Ref": user_id}
    assert props["GroupName"] == {"Ref": logical_id(xsell.admin.groups[roles.GROUP_ADMIN])}
    assert props["UserPoolId"] == {"Ref": logical_id(xsell.admin.user_pool)}


def test_admin_email_defaults_to_the_alarm_email() -> None:
    raw = copy.deepcopy(cdk_context()["xsell:stages"]["dev"])
    raw.pop("admin_email", None)
    stage = parse_stage("dev", raw)
    assert stage.admin_email == stage.alarm_email
    with pytest.raises(ConfigError, match=r"admin_email: 'nobody' is not an e-mail address"):
        parse_stage("dev", {**raw, "admin_email": "nobody"})


def test_admin_routes_sit_behind_the_cognito_authorizer_on_authorization(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    method = _methods(xsell, templates["api"])[("/admin/v1/{proxy+}", "ANY")]
    assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert method["AuthorizerId"] == {"Ref": logical_id(xsell.api.authorizer)}
    _, authorizer = only(templates["api"].find_resources("AWS::ApiGateway::Authorizer"))
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.Authorization"


def test_a_refused_token_gets_the_apis_own_error_shape(templates: dict[str, Template]) -> None:
    templates["api"].has_resource_properties(
        "AWS::ApiGateway::GatewayResponse",
        {
            "ResponseType": "UNAUTHORIZED",
            "StatusCode": "401",
            "ResponseTemplates": {
                "application/json": '{"error":"not_signed_in","message":$context.error.messageString}'
            },
        },
    )


def test_the_admin_function_may_only_append_to_the_audit_log(templates: dict[str, Template]) -> None:
    text = str(templates["api"].to_json())
    assert "Audit" in text
    statements = [
        s
        for policy in templates["api"].find_resources("AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if "Audit" in str(s.get("Resource"))
    ]
    actions = {
        a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {"dynamodb:PutItem", "dynamodb:Query"}
