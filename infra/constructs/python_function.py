"""One xsell Lambda function: functions/<name>/handler.py behind the shared layers.

The function's environment is *exactly* the variables its ``FunctionSpec.env``
names (plus the stage and the Powertools service name), mapped to real resource
names by the stack. Its role starts empty: it may write to its own log group and
nothing else until the stack grants it more, so every permission is visible in
the stack that owns the resource.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra import ROOT
from infra.config import VALID_LOG_RETENTION_DAYS, StageConfig
from infra.nag import acknowledge
from xsell import env as xsell_env
from xsell import observability
from xsell.topology import FunctionSpec

FUNCTIONS_DIR = ROOT / "functions"
CORE_LAYER_DIR = ROOT / "layers" / "core"
DEPS_LAYER_DIR = ROOT / "layers" / "deps"

# The deps layer is installed for exactly this interpreter and platform
# (Makefile: LAMBDA_PY / LAMBDA_PLATFORM); change them together.
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
HANDLER = "handler.lambda_handler"
POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"

# Bytecode compiled by the build machine's Python is useless to the Lambda
# runtime (other version) and would change the asset hash on every test run.
_ASSET_EXCLUDE = ["**/__pycache__", "**/*.pyc", "**/.pytest_cache", ".installed", "**/.installed"]
# The deps layer is the exception: `make layer-deps` compiles it for the runtime's Python, which
# spares every cold start compiling its packages again (/opt is read-only, nothing is cached).
RUNTIME_BYTECODE = "cpython-" + RUNTIME.name.removeprefix("python").replace(".", "")
DEPS_LAYER_EXCLUDE = [
    "requirements.txt",
    ".installed",
    "**/.installed",
    "**/*.pyc",
    f"!**/*.{RUNTIME_BYTECODE}.pyc",
]


# What a function needs to send traces to X-Ray (Powertools Tracer); X-Ray has no resource ARNs.
TRACING_ACTIONS = ("xray:PutTelemetryRecords", "xray:PutTraceSegments")


def grant_tracing(function: lambda_.IFunction) -> None:
    """Let ``function`` send trace segments and telemetry to X-Ray, and nothing else of X-Ray."""
    function.add_to_role_policy(iam.PolicyStatement(actions=list(TRACING_ACTIONS), resources=["*"]))
    assert function.role is not None, "xsell functions have their own role"
    acknowledge(
        function.role,
        "AwsSolutions-IAM5[Resource::*]",
        "xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions; "
        "the statement names exactly those two actions.",
    )


def log_retention(days: int) -> logs.RetentionDays:
    """The RetentionDays member for a validated number of days."""
    members = [m for m in logs.RetentionDays if m is not logs.RetentionDays.INFINITE]
    return dict(zip(VALID_LOG_RETENTION_DAYS, members, strict=True))[days]


def function_environment(
    spec: FunctionSpec, stage: StageConfig, available: Mapping[str, str]
) -> dict[str, str]:
    """Exactly the variables ``spec`` requires, resolved from what the stack offers."""
    missing = sorted(set(spec.env) - set(available))
    if missing:
        raise ValueError(
            f"function {spec.name!r} requires {', '.join(missing)} (xsell.topology.FUNCTIONS), "
            f"but its stack only provides {', '.join(sorted(available)) or 'nothing'}"
        )
    environment = {name: available[name] for name in spec.env}
    environment[xsell_env.STAGE] = stage.name
    environment[POWERTOOLS_SERVICE_NAME] = observability.service_name(spec.name)
    return environment


def shared_layers(scope: Construct) -> list[lambda_.ILayerVersion]:
    """The core and deps layers for the stack of ``scope``.

    Each layer directory is one asset for the whole app (staged and hashed once,
    uploaded once), but each stack publishes its own LayerVersion of it: a layer
    version referenced across stacks goes stale, because the consuming stack's
    template does not change when only the producer's layer does.
    """
    if not (DEPS_LAYER_DIR / "python").is_dir():
        raise FileNotFoundError(f"{DEPS_LAYER_DIR / 'python'} is missing: run `make layer-deps` first")
    stack = Stack.of(scope)
    layers: list[lambda_.ILayerVersion] = []
    for layer_id, directory, description, exclude in (
        ("XsellCoreLayer", CORE_LAYER_DIR, "xsell domain package (layers/core)", _ASSET_EXCLUDE),
        (
            "XsellDepsLayer",
            DEPS_LAYER_DIR,
            "xsell third-party runtime deps (layers/deps)",
            DEPS_LAYER_EXCLUDE,
        ),
    ):
        existing = stack.node.try_find_child(layer_id)
        layers.append(
            existing  # type: ignore[arg-type]
            or lambda_.LayerVersion(
                stack,
                layer_id,
                code=lambda_.Code.from_asset(str(directory), exclude=exclude),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[ARCHITECTURE],
                description=description,
            )
        )
    return layers


class PythonFunction(Construct):
    """A Python 3.13 arm64 function from ``functions/<spec.name>`` with its own log group and role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        stage: StageConfig,
        environment: Mapping[str, str],
        memory_size: int,
        timeout: Duration,
        alarm_topic: sns.ITopic | None = None,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            encryption_key=encryption_key,
            retention=log_retention(stage.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if stage.prod_like else RemovalPolicy.DESTROY,
        )
        # An explicit role instead of the default one: the default attaches the
        # AWS-managed AWSLambdaBasicExecutionRole (logs:* on every log group).
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"xsell {stage.name} {spec.name} function",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(FUNCTIONS_DIR / spec.name), exclude=_ASSET_EXCLUDE),
            layers=shared_layers(self),
            environment=function_environment(spec, stage, environment),
            role=self.role,
            log_group=self.log_group,
            memory_size=memory_size,
            timeout=timeout,
            # Powertools Tracer: Lambda samples requests and sends its segments; the handler adds
            # subsegments for its AWS calls. The role's X-Ray permission: grant_tracing.
            tracing=lambda_.Tracing.ACTIVE,
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Pinned to Python 3.13 on purpose: the deps layer is built from cp313 manylinux aarch64 wheels "
            "(Makefile LAMBDA_PY); move runtime, Makefile and layer together when 3.14 wheels are vetted.",
        )
        if alarm_topic is not None:
            alarm = cloudwatch.Alarm(
                self,
                "Errors",
                alarm_description=f"xsell {stage.name}: {spec.name} function errors",
                metric=self.function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(cw_actions.SnsAction(alarm_topic))
