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
    assert stage.allowed_origins and all(o.startswith("https://") for o in stage.allowed_origins)


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
        (lambda c: c.update(brands=[]), r"brands: expected a non-empty list"),
        (lambda c: c["brands"][0]["sites"][0].update(origin="http://x.example"), r"must be https://host"),
        (lambda c: c.update(domains={"cdn": "cdn.example.com", "cdn_certificate_arn": None}), r"go together"),
        (
            lambda c: c.update(
                domains={"cdn": "a.example", "cdn_certificate_arn": "arn:aws:acm:ap-northeast-1:1:c/x"}
            ),
            r"us-east-1",
        ),
        (lambda c: c.update(account="12345"), r"12-digit"),
        (lambda c: c.update(prod_like="yes"), r"prod_like: expected true or false"),
    ],
)
def test_bad_settings_fail_with_the_key_named(mutate: Any, message: str) -> None:
    raw = _dev()
    mutate(raw)
    with pytest.raises(ConfigError, match=message):
        parse_stage("dev", raw)
