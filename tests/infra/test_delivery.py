"""CloudFront: tag and admin SPA from private S3 (OAC), /v1 and /admin/v1 to the API, security headers."""

from __future__ import annotations

from fnmatch import fnmatch
from typing import Any

from aws_cdk.assertions import Template

from infra.app import XsellApp
from infra.stacks.api import VIEWER_IP_HEADER
from infra.stacks.delivery import (
    ADMIN_API_PATH,
    ADMIN_PATH,
    ADMIN_SPA_DIST,
    API_PATH,
    HASHED_SPA_GLOBS,
    HASHED_TAG_PATH,
    IMAGES_PATH,
    TAG_PATH,
)
from tests.infra.conftest import as_json, logical_id, only
from xsell import env

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def _config(templates: dict[str, Template]) -> dict[str, Any]:
    _, distribution = only(templates["delivery"].find_resources("AWS::CloudFront::Distribution"))
    return distribution["Properties"]["DistributionConfig"]


def _origins(xsell: XsellApp, config: dict[str, Any]) -> dict[str, str]:
    """Origin id -> 'tag' | 'admin_spa' | 'api'."""
    kinds = {}
    for origin in config["Origins"]:
        domain = as_json(origin["DomainName"])
        if logical_id(xsell.delivery.tag_bucket) in domain:
            kinds[origin["Id"]] = "tag"
        elif logical_id(xsell.delivery.admin_spa_bucket) in domain:
            kinds[origin["Id"]] = "admin_spa"
        elif logical_id(xsell.delivery.images_bucket) in domain:
            kinds[origin["Id"]] = "images"
        elif "execute-api" in domain:
            kinds[origin["Id"]] = "api"
    return kinds


def test_origins_are_private_buckets_and_the_api(xsell: XsellApp, templates: dict[str, Template]) -> None:
    config = _config(templates)
    kinds = _origins(xsell, config)
    assert sorted(kinds.values()) == ["admin_spa", "api", "images", "tag"]
    for origin in config["Origins"]:
        if kinds[origin["Id"]] == "api":
            assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
            assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
            assert "OriginPath" in origin  # the API stage
        else:
            assert "OriginAccessControlId" in origin  # OAC, not a public bucket
            assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}


def test_behaviours_route_paths_to_the_right_origins(xsell: XsellApp, templates: dict[str, Template]) -> None:
    config = _config(templates)
    kinds = _origins(xsell, config)
    behaviours = [(b["PathPattern"], kinds[b["TargetOriginId"]]) for b in config["CacheBehaviors"]]
    # Order matters: CloudFront uses the first matching pattern.
    assert behaviours == [
        (HASHED_TAG_PATH, "tag"),
        (TAG_PATH, "tag"),
        (IMAGES_PATH, "images"),
        (ADMIN_API_PATH, "api"),
        (ADMIN_PATH, "admin_spa"),
        (API_PATH, "api"),
    ]
    assert kinds[config["DefaultCacheBehavior"]["TargetOriginId"]] == "tag"


def test_api_behaviours_are_uncached_and_forward_authorization(templates: dict[str, Template]) -> None:
    for behaviour in _config(templates)["CacheBehaviors"]:
        if behaviour["PathPattern"] in (API_PATH, ADMIN_API_PATH):
            assert behaviour["CachePolicyId"] == CACHING_DISABLED
            assert behaviour["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
            assert "POST" in behaviour["AllowedMethods"] and "OPTIONS" in behaviour["AllowedMethods"]
            assert behaviour["ViewerProtocolPolicy"] == "https-only"
        else:
            assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
            assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"


def test_every_behaviour_sends_security_headers(templates: dict[str, Template]) -> None:
    config = _config(templates)
    policies = templates["delivery"].find_resources("AWS::CloudFront::ResponseHeadersPolicy")
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        policy = policies[behaviour["ResponseHeadersPolicyId"]["Ref"]]
        headers = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
        assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
        assert headers["ContentTypeOptions"]["Override"] is True
        assert headers["FrameOptions"]["FrameOption"] == "DENY"
        if behaviour.get("PathPattern") == ADMIN_PATH:
            assert "default-src 'self'" in headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]


def test_admin_spa_routes_rewrite_to_index(templates: dict[str, Template]) -> None:
    admin = next(b for b in _config(templates)["CacheBehaviors"] if b["PathPattern"] == ADMIN_PATH)
    (association,) = admin["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    functions = templates["delivery"].find_resources("AWS::CloudFront::Function")
    function_id, attribute = association["FunctionARN"]["Fn::GetAtt"]
    assert attribute == "FunctionARN"
    assert "/admin/index.html" in functions[function_id]["Properties"]["FunctionCode"]


def test_bucket_policies_allow_only_this_distribution(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    distribution_id = logical_id(xsell.delivery.distribution)
    for bucket in (xsell.delivery.tag_bucket, xsell.delivery.admin_spa_bucket):
        policies = templates["delivery"].find_resources(
            "AWS::S3::BucketPolicy", {"Properties": {"Bucket": {"Ref": logical_id(bucket)}}}
        )
        _, policy = only(policies)
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        allows = [s for s in statements if s["Effect"] == "Allow"]
        assert allows and all(s["Principal"] == {"Service": "cloudfront.amazonaws.com"} for s in allows)
        assert all(distribution_id in as_json(s["Condition"]) for s in allows)


def test_access_logging_and_spa_config(xsell: XsellApp, templates: dict[str, Template]) -> None:
    config = _config(templates)
    assert config["Logging"]["Bucket"] == {
        "Fn::GetAtt": [logical_id(xsell.delivery.logs), "RegionalDomainName"]
    }
    deployments = templates["delivery"].find_resources("Custom::CDKBucketDeployment")
    spa_config = [d for d in deployments.values() if "config.json" in as_json(d["Properties"])]
    assert spa_config, "admin SPA config.json is not deployed"
    config_json = as_json(spa_config[0]["Properties"])
    assert logical_id(xsell.admin.user_pool) in config_json
    assert logical_id(xsell.admin.spa_client) in config_json


def test_hashed_tag_files_are_cached_for_a_year_others_briefly(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    behaviours = {b["PathPattern"]: b for b in _config(templates)["CacheBehaviors"]}
    policies = templates["delivery"].find_resources("AWS::CloudFront::CachePolicy")
    hashed = policies[behaviours[HASHED_TAG_PATH]["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
    year = 365 * 24 * 3600
    assert hashed["MinTTL"] == hashed["DefaultTTL"] == hashed["MaxTTL"] == year
    # /tag/* keeps the managed CachingOptimized policy; objects carry a 5-minute max-age.
    assert "Ref" not in as_json(behaviours[TAG_PATH]["CachePolicyId"])
    deployments = templates["delivery"].find_resources("Custom::CDKBucketDeployment")
    metadata = {as_json(d["Properties"].get("SystemMetadata", {})) for d in deployments.values()}
    if any("TagHashedFiles" in k for k in deployments):
        assert any("immutable" in m and f"max-age={year}" in m for m in metadata)


def test_admin_page_scripts_are_kept_for_good_and_its_shell_revalidated(
    templates: dict[str, Template],
) -> None:
    """A browser that kept index.html after a deploy would ask for scripts the deploy replaced;
    one that re-asks for a hashed script on every visit only waits longer."""
    if not (ADMIN_SPA_DIST / "index.html").is_file():
        raise AssertionError("admin_spa/dist is not built: run `npm run build:admin` first")
    deployments = templates["delivery"].find_resources("Custom::CDKBucketDeployment")
    props = {name: d["Properties"] for name, d in deployments.items() if name.startswith("AdminSpa")}
    files = next(p for name, p in props.items() if name.startswith("AdminSpaFiles"))
    hashed = next(p for name, p in props.items() if name.startswith("AdminSpaHashedFiles"))
    assert files["SystemMetadata"] == {"cache-control": "no-cache"}
    assert set(HASHED_SPA_GLOBS) <= set(files["Exclude"]) and "config.json" in files["Exclude"]
    assert hashed["Exclude"] == ["*"] and hashed["Include"] == list(HASHED_SPA_GLOBS)
    assert hashed["SystemMetadata"] == {"cache-control": f"public, max-age={365 * 24 * 3600}, immutable"}
    assert hashed["Prune"] is False  # a tab opened before a deploy still loads its lazy screens
    # Every script the build writes is one of the hashed names; nothing else is.
    scripts = {f.name for f in ADMIN_SPA_DIST.glob("*.js")}
    assert scripts and all(any(fnmatch(n, g) for g in HASHED_SPA_GLOBS) for n in scripts), scripts
    others = {f.name for f in ADMIN_SPA_DIST.iterdir() if f.suffix != ".js"}
    assert "index.html" in others and not any(fnmatch(n, g) for n in others for g in HASHED_SPA_GLOBS)


def test_api_requests_carry_the_viewer_address_cloudfront_saw(templates: dict[str, Template]) -> None:
    """The WAF's per-viewer limits key on a header CloudFront writes, so a client cannot pick its
    own key: the viewer-request function overwrites whatever the client sent."""
    functions = templates["delivery"].find_resources("AWS::CloudFront::Function")
    for behaviour in _config(templates)["CacheBehaviors"]:
        if behaviour["PathPattern"] not in (API_PATH, ADMIN_API_PATH):
            continue
        (association,) = behaviour["FunctionAssociations"]
        assert association["EventType"] == "viewer-request"
        function_id, _ = association["FunctionARN"]["Fn::GetAtt"]
        code = functions[function_id]["Properties"]["FunctionCode"]
        assert f"request.headers['{VIEWER_IP_HEADER.lower()}'] = {{ value: event.viewer.ip }}" in code
        assert "x-forwarded-for" not in code.lower()


def test_viewer_address_function_overwrites_a_forged_header() -> None:
    """Run the function's JavaScript on a request that already carries a forged header."""
    import json
    import shutil
    import subprocess

    from infra.stacks.delivery import VIEWER_IP_JS

    node = shutil.which("node")
    assert node, "node is needed to run the CloudFront function"
    event = {
        "viewer": {"ip": "198.51.100.7"},
        "request": {
            "headers": {
                VIEWER_IP_HEADER.lower(): {"value": "10.0.0.1"},
                "x-forwarded-for": {"value": "1.2.3.4"},
            }
        },
    }
    script = f"{VIEWER_IP_JS}\nconsole.log(JSON.stringify(handler({json.dumps(event)})));"
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True, timeout=30).stdout
    headers = json.loads(out)["headers"]
    assert headers[VIEWER_IP_HEADER.lower()] == {"value": "198.51.100.7"}


def test_creative_images_are_cached_for_good_and_only_the_admin_function_may_put_them(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    """Uploaded images are named by their content's hash (xsell.admin.images): served from their
    own private bucket for a year; the admin role may PutObject under creatives/ and nothing else;
    the Api stack names the bucket by the same fixed name the Delivery stack gives it."""
    behaviours = {b["PathPattern"]: b for b in _config(templates)["CacheBehaviors"]}
    policies = templates["delivery"].find_resources("AWS::CloudFront::CachePolicy")
    cache = policies[behaviours[IMAGES_PATH]["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
    assert cache["MinTTL"] == cache["DefaultTTL"] == 365 * 24 * 3600
    images = logical_id(xsell.delivery.images_bucket)
    bucket = templates["delivery"].find_resources("AWS::S3::Bucket")[images]["Properties"]
    (cors,) = bucket["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedMethods"] == ["PUT"]
    granted = [
        p["Properties"]
        for p in templates["delivery"].find_resources("AWS::IAM::Policy").values()
        if images in as_json(p["Properties"]["PolicyDocument"])
    ]
    (policy,) = granted
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "s3:PutObject" and statement["Effect"] == "Allow"
    assert as_json(statement["Resource"]).endswith('"/creatives/*"]]}')
    admin_role = xsell.api.functions["admin"].function.role
    assert logical_id(admin_role) in as_json(policy["Roles"])  # imported from the Api stack
    variables = templates["api"].find_resources("AWS::Lambda::Function")[
        logical_id(xsell.api.functions["admin"].function)
    ]["Properties"]["Environment"]["Variables"]
    assert as_json(variables[env.IMAGES_BUCKET]) == as_json(bucket["BucketName"])
    outputs = templates["delivery"].to_json()["Outputs"]
    assert outputs["ImagesBucketName"]["Value"] == {"Ref": images}  # the take-down runbook reads it
    assert "DistributionId" in outputs
