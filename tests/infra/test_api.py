"""Every route in xsell.topology.API_ROUTES exists and reaches its function, with the right auth."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.app import XsellApp
from tests.infra.conftest import as_json, logical_id, only
from xsell import topology


def _resource_paths(template: Template, api_id: str) -> dict[str, str]:
    """Resource logical id -> full path, rebuilt from the PathPart/ParentId chain."""
    resources = template.find_resources("AWS::ApiGateway::Resource")
    root = {"Fn::GetAtt": [api_id, "RootResourceId"]}

    def path(rid: str) -> str:
        props = resources[rid]["Properties"]
        parent = props["ParentId"]
        prefix = "" if parent == root else path(parent["Ref"])
        return f"{prefix}/{props['PathPart']}"

    return {rid: path(rid) for rid in resources}


def _methods(xsell: XsellApp, template: Template) -> dict[tuple[str, str], dict[str, Any]]:
    api_id = logical_id(xsell.api.api)
    paths = _resource_paths(template, api_id)
    methods = {}
    for method in template.find_resources("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        methods[(paths[props["ResourceId"]["Ref"]], props["HttpMethod"])] = props
    return methods


@pytest.mark.parametrize("route", topology.API_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_route_reaches_its_function(
    xsell: XsellApp, templates: dict[str, Template], route: topology.Route
) -> None:
    methods = _methods(xsell, templates["api"])
    assert (route.path, route.method) in methods, (
        f"missing {route.method} {route.path}; have {sorted(methods)}"
    )
    props = methods[(route.path, route.method)]
    integration = props["Integration"]
    assert integration["Type"] == "AWS_PROXY"
    function_id = logical_id(xsell.api.functions[route.function].function)
    assert {"Fn::GetAtt": [function_id, "Arn"]} in integration["Uri"]["Fn::Join"][1]
    if route.authorized:
        assert props["AuthorizationType"] == "COGNITO_USER_POOLS"
        assert props["AuthorizerId"] == {"Ref": logical_id(xsell.api.authorizer)}
    else:
        assert props["AuthorizationType"] == "NONE"


def test_no_routes_beyond_topology(xsell: XsellApp, templates: dict[str, Template]) -> None:
    declared = {(r.path, r.method) for r in topology.API_ROUTES}
    extra = {key for key in _methods(xsell, templates["api"]) if key not in declared and key[1] != "OPTIONS"}
    assert not extra, f"API methods not in xsell.topology.API_ROUTES: {sorted(extra)}"


def test_public_routes_answer_cors_preflight_for_brand_sites_only(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    methods = _methods(xsell, templates["api"])
    for route in (r for r in topology.API_ROUTES if not r.authorized and r.method != "ANY"):
        preflight = methods[(route.path, "OPTIONS")]
        template = as_json(preflight["Integration"])
        for origin in xsell.stage.allowed_origins:
            assert origin in template
        assert "'*'" not in template


def test_authorizer_uses_the_admin_user_pool(xsell: XsellApp, templates: dict[str, Template]) -> None:
    _, authorizer = only(templates["api"].find_resources("AWS::ApiGateway::Authorizer"))
    props = authorizer["Properties"]
    assert props["Type"] == "COGNITO_USER_POOLS"
    assert logical_id(xsell.admin.user_pool) in as_json(props["ProviderARNs"])


def test_stage_has_access_logs_execution_logs_and_throttling(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    _, stage = only(templates["api"].find_resources("AWS::ApiGateway::Stage"))
    props = stage["Properties"]
    assert props["StageName"] == xsell.stage.name
    assert "DestinationArn" in props["AccessLogSetting"]
    (settings,) = props["MethodSettings"]
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False
    assert settings["ThrottlingRateLimit"] == xsell.stage.api_throttle.rate_limit
    assert settings["ThrottlingBurstLimit"] == xsell.stage.api_throttle.burst_limit


def test_waf_rate_limit_is_associated_with_the_stage(xsell: XsellApp, templates: dict[str, Template]) -> None:
    acl_id, acl = only(templates["api"].find_resources("AWS::WAFv2::WebACL"))
    assert acl["Properties"]["Scope"] == "REGIONAL"
    limits = {
        rule["Name"]: rule["Statement"]["RateBasedStatement"]["Limit"]
        for rule in acl["Properties"]["Rules"]
        if "RateBasedStatement" in rule["Statement"]
    }
    assert limits["rate-per-viewer"] == xsell.stage.waf_rate_limit
    _, association = only(templates["api"].find_resources("AWS::WAFv2::WebACLAssociation"))
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    stage_id = logical_id(xsell.api.api.deployment_stage)
    assert {"Ref": stage_id} in association["Properties"]["ResourceArn"]["Fn::Join"][1]


def test_collect_route_is_public(xsell: XsellApp, templates: dict[str, Template]) -> None:
    methods = _methods(xsell, templates["api"])
    props = methods[("/v1/events", "POST")]
    assert props["AuthorizationType"] == "NONE"
    function_id = logical_id(xsell.api.functions["collect"].function)
    assert {"Fn::GetAtt": [function_id, "Arn"]} in props["Integration"]["Uri"]["Fn::Join"][1]
    assert ("/v1/events", "OPTIONS") in methods
