"""cdk-nag wiring, and the one way this app acknowledges a finding.

cdk-nag 3 is a CDK *validation plugin*: it runs during synthesis and interrupts it
(``ValidationFailed``, report in ``cdk.out/validation-report.json``) when any rule
finding is not acknowledged. It is registered with ``Validations.of(app)``;
``Aspects.of(app).add(AwsSolutionsChecks())`` fails in v3 ("aspect.visit is not a
function"). v3 also replaced ``NagSuppressions`` with CDK's native
``Validations.of(construct).acknowledge(...)``: one call per rule id, and
wildcard findings are acknowledged one by one as ``RuleId[Finding]``.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, CfnElement, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_checks(app: App) -> None:
    """Run the AWS Solutions rule pack over the whole app at synth time."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one finding on ``scope`` (and its children) with a written reason."""
    if len(reason.strip()) < 20:
        raise ValueError(f"acknowledging {rule_id} needs a real reason, not {reason!r}")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def arn_finding(resource: IConstruct, suffix: str = "") -> str:
    """The IAM5 finding id cdk-nag reports for ``<LogicalId.Arn>{suffix}`` of a CDK resource."""
    cfn = resource.node.default_child
    assert isinstance(cfn, CfnElement), f"{resource.node.path} has no CloudFormation resource"
    return f"Resource::<{Stack.of(resource).get_logical_id(cfn)}.Arn>{suffix}"
