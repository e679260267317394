"""The admin SPA's security headers (a strict CSP on /admin/*) and the drop bucket's CORS for its uploads."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Template

from infra.app import XsellApp
from infra.stacks.delivery import ADMIN_PATH
from tests.infra.conftest import as_json, logical_id, only


def _spa_headers(templates: dict[str, Template]) -> dict[str, Any]:
    _, distribution = only(templates["delivery"].find_resources("AWS::CloudFront::Distribution"))
    config = distribution["Properties"]["DistributionConfig"]
    (behaviour,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == ADMIN_PATH]
    policies = templates["delivery"].find_resources("AWS::CloudFront::ResponseHeadersPolicy")
    policy = policies[behaviour["ResponseHeadersPolicyId"]["Ref"]]
    return policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]


def _directives(csp: Any) -> dict[str, str]:
    # The CSP may be a token join (the bucket's domain name): directives split on ';' in its JSON.
    text = csp if isinstance(csp, str) else as_json(csp)
    directives = {}
    for part in text.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives


def test_admin_csp_is_strict(templates: dict[str, Template]) -> None:
    headers = _spa_headers(templates)
    csp = headers["ContentSecurityPolicy"]
    assert csp["Override"] is True
    assert "unsafe-inline" not in as_json(csp)
    assert "unsafe-eval" not in as_json(csp)
    directives = _directives(csp["ContentSecurityPolicy"])
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'"
    connect = directives["connect-src"]
    assert connect.startswith("'self' ")
    assert "https://cognito-idp." in connect
    assert ".amazonaws.com" in connect
    assert ".s3." in connect


def test_admin_sends_hsts_nosniff_and_deny(templates: dict[str, Template]) -> None:
    headers = _spa_headers(templates)
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["StrictTransportSecurity"]["Override"] is True
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["FrameOptions"]["FrameOption"] == "DENY"


def test_drop_bucket_cors_allows_presigned_put_only(xsell: XsellApp, templates: dict[str, Template]) -> None:
    bucket = templates["ingest"].find_resources("AWS::S3::Bucket")[logical_id(xsell.ingest.drop_bucket)]
    rules = bucket["Properties"]["CorsConfiguration"]["CorsRules"]
    assert any("PUT" in rule["AllowedMethods"] for rule in rules)
    for rule in rules:
        assert rule["AllowedMethods"] == ["PUT"]
        assert all(origin.startswith("https://") for origin in rule["AllowedOrigins"])
