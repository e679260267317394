"""Every route in xsell.topology.API_ROUTES exists and reaches its function, with the right auth."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.app import XsellApp
from infra.stacks.api import VIEWER_IP_HEADER
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


def test_browser_routes_send_preflights_to_their_own_function(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    """The function answers from the published sites' origins (no second list in the stage)."""
    methods = _methods(xsell, templates["api"])
    public = [r for r in topology.API_ROUTES if not r.authorized and r.method != "ANY"]
    assert any(r.browser for r in public)
    for route in public:
        if not route.browser:  # called by servers only: no browser ever sends a preflight
            assert (route.path, "OPTIONS") not in methods
            continue
        preflight = methods[(route.path, "OPTIONS")]
        assert preflight["AuthorizationType"] == "NONE"
        assert preflight["Integration"]["Type"] == "AWS_PROXY"
        target = methods[(route.path, route.method)]["Integration"]["Uri"]
        assert as_json(preflight["Integration"]["Uri"]) == as_json(target)


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
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in props["MethodSettings"]}
    assert set(settings) == {("/*", "*"), ("/~1admin~1v1~1{proxy+}", "*")}
    public, admin = settings[("/*", "*")], settings[("/~1admin~1v1~1{proxy+}", "*")]
    for setting in (public, admin):
        assert setting["LoggingLevel"] == "ERROR"
        assert setting["DataTraceEnabled"] is False
    # The public API (/v1/*) has the stage's limit; the admin API its own.
    assert public["ThrottlingRateLimit"] == xsell.stage.api_throttle.rate_limit
    assert public["ThrottlingBurstLimit"] == xsell.stage.api_throttle.burst_limit
    assert admin["ThrottlingRateLimit"] == xsell.stage.admin_api_throttle.rate_limit
    assert admin["ThrottlingBurstLimit"] == xsell.stage.admin_api_throttle.burst_limit
    assert xsell.stage.admin_api_throttle != xsell.stage.api_throttle


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


def _web_acl_rules(templates: dict[str, Template]) -> dict[str, dict]:
    _, acl = only(templates["api"].find_resources("AWS::WAFv2::WebACL"))
    return {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}


def test_waf_limits_viewers_by_the_address_cloudfront_writes_not_x_forwarded_for(
    templates: dict[str, Template],
) -> None:
    rules = _web_acl_rules(templates)
    assert "X-Forwarded-For" not in as_json(rules)
    for name in ("rate-per-viewer", "decide-per-viewer"):
        statement = rules[name]["Statement"]["RateBasedStatement"]
        assert statement["AggregateKeyType"] == "FORWARDED_IP"
        assert statement["ForwardedIPConfig"] == {
            "HeaderName": VIEWER_IP_HEADER,
            "FallbackBehavior": "NO_MATCH",
        }
    assert rules["rate-per-source"]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert len({rule["Priority"] for rule in rules.values()}) == len(rules)


def test_waf_limits_decide_per_viewer_and_per_site(xsell: XsellApp, templates: dict[str, Template]) -> None:
    rules = _web_acl_rules(templates)
    per_viewer = rules["decide-per-viewer"]["Statement"]["RateBasedStatement"]
    per_site = rules["decide-per-site"]["Statement"]["RateBasedStatement"]
    assert per_viewer["Limit"] == xsell.stage.waf_decide_rate_limit
    assert per_site["Limit"] == xsell.stage.waf_site_rate_limit
    assert per_site["AggregateKeyType"] == "CUSTOM_KEYS"
    assert [key["Header"]["Name"] for key in per_site["CustomKeys"]] == ["origin"]
    for statement in (per_viewer, per_site):
        match = statement["ScopeDownStatement"]["ByteMatchStatement"]
        assert (match["SearchString"], match["PositionalConstraint"]) == ("/v1/decide", "ENDS_WITH")
        assert "UriPath" in match["FieldToMatch"]
    for rule in rules.values():
        if "RateBasedStatement" in rule["Statement"]:
            assert rule["Action"] == {"Block": {}}


def test_decide_and_collect_have_reserved_concurrency_the_others_do_not(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    reserved = dict(xsell.stage.reserved_concurrency)
    assert set(reserved) == {"decide", "collect"}
    api_functions = templates["api"].find_resources("AWS::Lambda::Function")
    for name, fn in xsell.api.functions.items():
        props = api_functions[logical_id(fn.function)]["Properties"]
        assert props.get("ReservedConcurrentExecutions") == reserved.get(name)
    importer = templates["ingest"].find_resources("AWS::Lambda::Function")[
        logical_id(xsell.ingest.importer.function)
    ]
    assert "ReservedConcurrentExecutions" not in importer["Properties"]
