"""The stage configuration loader: cdk.json's stages load, mistakes fail with a clear message."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.config import ConfigError, load_stage, parse_stage
from tests.infra.conftest import cdk_context


class _Node:
    """Just enough of constructs.Node for load_stage."""

    def __init__(self, context: dict[str, Any]) -> None:
        self._context = context

    def try_get_context(self, key: str) -> Any:
        return self._context.get(key)


def _dev() -> dict[str, Any]:
    return copy.deepcopy(cdk_context()["xsell:stages"]["dev"])


@pytest.mark.parametrize("name", sorted(cdk_context()["xsell:stages"]))
def test_every_stage_in_cdk_json_loads(name: str) -> None:
    stage = load_stage(_Node({**cdk_context(), "xsell:stage": name}))
    assert stage.name == name
    assert stage.region == cdk_context()["xsell:stages"][name]["region"]


def test_prod_is_prod_like() -> None:
    assert load_stage(_Node({**cdk_context(), "xsell:stage": "prod"})).prod_like is True


def test_unknown_stage_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown stage 'qa'.*dev, prod"):
        load_stage(_Node({**cdk_context(), "xsell:stage": "qa"}))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.pop("alarm_email"), r"missing required key\(s\): alarm_email"),
        (lambda c: c.update(alarm_emial="x@example.com"), r"unknown key\(s\): alarm_emial"),
        (lambda c: c.update(log_retention_days=31), r"log_retention_days: 31 is not a CloudWatch"),
        # Sites and origins are config documents (the admin page), not stage settings.
        (lambda c: c.update(brands=[{"id": "a", "sites": []}]), r"unknown key\(s\): brands"),
        (lambda c: c.update(domains={"cdn": "cdn.example.com", "cdn_certificate_arn": None}), r"go together"),
        (
            lambda c: c.update(
                domains={"cdn": "a.example", "cdn_certificate_arn": "arn:aws:acm:ap-northeast-1:1:c/x"}
            ),
            r"us-east-1",
        ),
        (lambda c: c.update(account="12345"), r"12-digit"),
        (lambda c: c.update(prod_like="yes"), r"prod_like: expected true or false"),
        (lambda c: c.update(waf_rate_limit=5), r"waf_rate_limit: AWS WAF needs a whole number from 10"),
        (lambda c: c.update(waf_decide_rate_limit="600"), r"waf_decide_rate_limit: AWS WAF needs"),
        (lambda c: c.update(waf_site_rate_limit=True), r"waf_site_rate_limit: AWS WAF needs"),
        (lambda c: c.update(admin_api_throttle={"rate_limit": 5}), r"admin_api_throttle: expected an object"),
        (
            lambda c: c.update(admin_api_throttle={"rate_limit": 10, "burst_limit": 5}),
            r"admin_api_throttle: rate_limit must be at least 1 and burst_limit at least rate_limit",
        ),
        (lambda c: c.update(api_throttle=[200, 400]), r"api_throttle: expected an object"),
        (lambda c: c.update(reserved_concurrency={"importer": 5}), r"unknown function\(s\) importer"),
        (
            lambda c: c.update(reserved_concurrency={"decide": 0}),
            r"reserved_concurrency.decide: reserve at least",
        ),
        (
            lambda c: c.update(reserved_concurrency={"decide": "5"}),
            r"reserved_concurrency.decide: expected an int",
        ),
        (lambda c: c.update(reserved_concurrency=[1]), r"reserved_concurrency: expected an object"),
        (lambda c: c.update(customer_managed_key="on"), r"customer_managed_key: expected true or false"),
    ],
)
def test_bad_settings_fail_with_the_key_named(mutate: Any, message: str) -> None:
    raw = _dev()
    mutate(raw)
    with pytest.raises(ConfigError, match=message):
        parse_stage("dev", raw)


def test_optional_hardening_settings_have_safe_defaults() -> None:
    raw = _dev()
    for key in (
        "waf_decide_rate_limit",
        "waf_site_rate_limit",
        "admin_api_throttle",
        "reserved_concurrency",
        "customer_managed_key",
    ):
        raw.pop(key, None)
    stage = parse_stage("dev", raw)
    assert stage.reserved_concurrency == ()
    assert stage.customer_managed_key is False
    assert stage.admin_api_throttle.rate_limit < stage.api_throttle.rate_limit


def test_prod_encrypts_with_its_own_key_and_reserves_concurrency() -> None:
    prod = load_stage(_Node({**cdk_context(), "xsell:stage": "prod"}))
    assert prod.customer_managed_key is True
    assert dict(prod.reserved_concurrency).keys() == {"decide", "collect"}
