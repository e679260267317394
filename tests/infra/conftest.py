"""One synthesized xsell app for every infra test (jsii start-up costs seconds, once).

The app is built exactly as ``infra.app`` builds it for ``npx cdk synth``, with
the context from cdk.json, but without the cdk-nag plugin registered: a nag
finding must fail test_nag.py, not every template test through a failed synth.
test_nag.py runs the same rule pack over the same synthesized tree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra.app import XsellApp, build

ROOT = Path(__file__).resolve().parents[2]


def cdk_context(**overrides: Any) -> dict[str, Any]:
    """cdk.json's context (stages and feature flags), with test-only speedups."""
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    # Reference assets where they are instead of copying ~45 MB of layers per run.
    context["aws:cdk:disable-asset-staging"] = True
    context.update(overrides)
    return context


def new_app(tmp: Path, **context_overrides: Any) -> cdk.App:
    return cdk.App(context=cdk_context(**context_overrides), outdir=str(tmp), stack_traces=False)


@pytest.fixture(scope="session")
def xsell(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XsellApp]:
    built = build(new_app(tmp_path_factory.mktemp("cdk.out")), nag=False)
    built.app.synth()
    yield built


@pytest.fixture(scope="session")
def templates(xsell: XsellApp) -> dict[str, Template]:
    return {concern: Template.from_stack(stack) for concern, stack in xsell.stacks.items()}


def logical_id(construct: Any) -> str:
    """The CloudFormation logical id of an L2 construct's main resource."""
    return cdk.Stack.of(construct).get_logical_id(construct.node.default_child)


def resources(template: Template, cfn_type: str) -> dict[str, dict[str, Any]]:
    return template.find_resources(cfn_type)


def only(found: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    assert len(found) == 1, f"expected exactly one resource, found {sorted(found)}"
    return next(iter(found.items()))


def as_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
