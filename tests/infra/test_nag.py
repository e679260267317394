"""cdk-nag (AwsSolutions) leaves nothing unacknowledged, and every acknowledgment is needed.

cdk-nag 3 is a validation plugin: ``npx cdk synth`` fails on any unacknowledged
finding and writes cdk.out/validation-report.json. Here the same rule pack runs
over the session's synthesized tree via ``validate_scope``, which returns the
findings (errors *and* warnings) instead of failing the synth.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match
from cdk_nag import AwsSolutionsChecks

import infra.nag
from infra.app import XsellApp, build
from tests.infra.conftest import new_app


def _findings(app: cdk.App) -> list[tuple[str, str, str]]:
    report = AwsSolutionsChecks(verbose=True).validate_scope(app)
    return [
        (violation.rule_name, violation.severity, resource.construct_path)
        for violation in report.violations
        for resource in violation.violating_resources
    ]


def test_no_unacknowledged_nag_findings(xsell: XsellApp) -> None:
    findings = _findings(xsell.app)
    assert not findings, "unacknowledged cdk-nag findings:\n" + "\n".join(
        f"  {rule} ({severity}) at {path}" for rule, severity, path in sorted(findings)
    )


@pytest.mark.parametrize(
    "concern", ["alerts", "data", "admin", "analytics", "ingest", "api", "delivery", "dashboard"]
)
def test_no_cdk_warnings_or_errors(xsell: XsellApp, concern: str) -> None:
    # With @aws-cdk/core:annotationsInValidationReport, a CDK warning also fails `cdk synth`.
    annotations = Annotations.from_stack(xsell.stacks[concern])
    assert not annotations.find_error("*", Match.any_value())
    assert not annotations.find_warning("*", Match.any_value())


class _Recorder:
    """Stands in for aws_cdk.Validations: records acknowledgments instead of applying them."""

    def __init__(self) -> None:
        self.acknowledged: list[tuple[str, str, str]] = []

    def of(self, scope: cdk.IConstruct) -> _Recorder:
        self._scope = scope
        return self

    def acknowledge(self, *rules: cdk.Acknowledgment) -> None:
        for rule in rules:
            self.acknowledged.append((self._scope.node.path, rule.id, rule.reason))


def test_every_acknowledgment_matches_a_real_finding(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Build the app once more with acknowledgments recorded, not applied: each must cover a finding."""
    recorder = _Recorder()
    monkeypatch.setattr(infra.nag, "Validations", recorder)
    app = new_app(tmp_path)
    build(app, nag=False)
    app.synth()
    findings = _findings(app)
    assert recorder.acknowledged, "no acknowledgments recorded"
    unused = [
        (path, rule)
        for path, rule, _ in recorder.acknowledged
        if not any(
            f_rule == rule and (f_path == path or f_path.startswith(path + "/"))
            for f_rule, _, f_path in findings
        )
    ]
    assert not unused, "acknowledgments without a finding (stale, remove them):\n" + "\n".join(
        f"  {rule} at {path}" for path, rule in unused
    )
