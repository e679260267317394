"""Alerts: the one SNS topic every alarm notifies, subscribed by the stage's alarm e-mail, and the
alarms on how the service as a whole behaves.

A stack of its own so that alarms can live next to what they watch (the DLQ alarm in Ingest,
API alarms in Api, an errors alarm on every function) while the e-mail subscription is confirmed
once per stage and survives redeploys of those stacks.

:class:`ServiceAlarms` watches what no single resource owns: the metrics the functions emit
(:mod:`xsell.observability`: a cap reached, an import failed) and the API as a browser meets it
(the share of 5xx answers, decide's p99 latency). The Dashboard stack builds it, next to the
graphs of the same metrics. docs/operations.md says what each alarm means and what to do.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.config import StageConfig
from xsell import observability as obs

PERIOD = Duration.minutes(5)
# The 5xx share alarm: the percentage of API answers that were 5xx, over PERIOD, judged only
# when at least MIN_REQUESTS came in (two errors among three requests are not an outage).
ERROR_RATE_PERCENT = 1
MIN_REQUESTS = 20
ERROR_RATE_PERIODS = 3  # ... in this many consecutive periods
# decide's p99 latency as API Gateway measures it (request in to answer out). Two DynamoDB
# calls take milliseconds; a p99 above this for DECIDE_LATENCY_PERIODS periods is a slow
# table, throttling or cold starts piling up, and pages wait for their banners.
DECIDE_ROUTE = ("POST", "/v1/decide")
DECIDE_P99_MS = 1000
DECIDE_LATENCY_PERIODS = 3


def app_metric(stage: StageConfig, name: str, *, statistic: str = "Sum") -> cloudwatch.Metric:
    """A metric xsell's functions emit, with exactly the dimensions they put on it."""
    if name in obs.WITH_REASON:
        raise ValueError(f"{name} carries a reason dimension: graph it with reason_search()")
    return cloudwatch.Metric(
        namespace=obs.NAMESPACE,
        metric_name=name,
        dimensions_map={
            obs.SERVICE: obs.service_name(obs.EMITTED_BY[name]),
            obs.STAGE: stage.name,
        },
        statistic=statistic,
        period=PERIOD,
    )


def reason_search(stage: StageConfig, name: str) -> cloudwatch.MathExpression:
    """One line per reason of a metric that carries a ``reason`` dimension (a SEARCH expression)."""
    if name not in obs.WITH_REASON:
        raise ValueError(f"{name} has no reason dimension")
    schema = ",".join((obs.NAMESPACE, obs.REASON, obs.SERVICE, obs.STAGE))
    return cloudwatch.MathExpression(
        expression=(
            f'SEARCH(\'{{{schema}}} MetricName="{name}" {obs.STAGE}="{stage.name}"\', '
            f"'Sum', {int(PERIOD.to_seconds())})"
        ),
        using_metrics={},
        label=name,
        period=PERIOD,
    )


def decide_latency(api: apigw.RestApi, statistic: str = "p99") -> cloudwatch.Metric:
    """API Gateway's latency of POST /v1/decide (the API stage has detailed metrics on)."""
    method, resource = DECIDE_ROUTE
    return cloudwatch.Metric(
        namespace="AWS/ApiGateway",
        metric_name="Latency",
        dimensions_map={
            "ApiName": api.rest_api_name,
            "Method": method,
            "Resource": resource,
            "Stage": api.deployment_stage.stage_name,
        },
        statistic=statistic,
        period=PERIOD,
    )


def error_rate(api: apigw.RestApi) -> cloudwatch.MathExpression:
    """The percentage of API answers that were 5xx; 0 while fewer than MIN_REQUESTS came in."""
    return cloudwatch.MathExpression(
        expression=f"IF(requests >= {MIN_REQUESTS}, 100 * errors / requests, 0)",
        using_metrics={
            "errors": api.metric_server_error(period=PERIOD, statistic="Sum"),
            "requests": api.metric_count(period=PERIOD, statistic="Sum"),
        },
        label="5xx %",
        period=PERIOD,
    )


class AlertsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Not KMS-encrypted on purpose: CloudWatch alarms cannot publish to a topic
        # encrypted with the AWS-managed SNS key, and alarm texts carry no customer data.
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"xsell {stage.name} alarms",
            enforce_ssl=True,
        )
        self.topic.add_subscription(subscriptions.EmailSubscription(stage.alarm_email))
        CfnOutput(self, "AlarmTopicArn", value=self.topic.topic_arn)


# The metrics the functions emit that page on their first occurrence in a period, with what one
# means. Each alarm's construct id is the metric's name.
METRIC_ALARMS: dict[str, str] = {
    obs.CAP_REACHED: (
        "a campaign or destination cap is full; what it limits is not served again until its period "
        "ends or the cap is raised"
    ),
    obs.IMPORT_FAILURES: "a partner file was rejected or failed to import; its job record says why",
}


def _alarm(
    scope: Construct,
    construct_id: str,
    metric: cloudwatch.IMetric,
    description: str,
    *,
    threshold: float,
    periods: int,
    comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    **options: Any,
) -> cloudwatch.Alarm:
    """An alarm that stays OK while ``metric`` has no data (no traffic is not an outage)."""
    return cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_description=description,
        metric=metric,
        threshold=threshold,
        evaluation_periods=periods,
        comparison_operator=comparison,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        **options,
    )


class ServiceAlarms(Construct):
    """Cap reached, import failures, API 5xx share and decide p99 latency, each notifying ``topic``."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        topic: sns.ITopic,
        api: apigw.RestApi,
    ) -> None:
        super().__init__(scope, construct_id)
        prefix = f"xsell {stage.name}: "
        # One alarm per metric of METRIC_ALARMS, in its order.
        self.on_metric: dict[str, cloudwatch.Alarm] = {
            name: _alarm(
                self,
                name,
                app_metric(stage, name),
                prefix + meaning,
                threshold=1,
                periods=1,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            )
            for name, meaning in METRIC_ALARMS.items()
        }
        self.api_error_rate = _alarm(
            self,
            "ApiServerErrorRate",
            error_rate(api),
            f"{prefix}over {ERROR_RATE_PERCENT}% of API answers were 5xx for "
            f"{ERROR_RATE_PERIODS * 5} minutes",
            threshold=ERROR_RATE_PERCENT,
            periods=ERROR_RATE_PERIODS,
        )
        self.decide_latency = _alarm(
            self,
            "DecideLatencyP99",
            decide_latency(api),
            f"{prefix}decide's p99 latency was over {DECIDE_P99_MS} ms for "
            f"{DECIDE_LATENCY_PERIODS * 5} minutes",
            threshold=DECIDE_P99_MS,
            periods=DECIDE_LATENCY_PERIODS,
            # A handful of requests' p99 is their slowest cold start: keep the state until enough came.
            evaluate_low_sample_count_percentile="ignore",
        )
        action = cw_actions.SnsAction(topic)
        for alarm in self.all:
            alarm.add_alarm_action(action)

    @property
    def all(self) -> list[cloudwatch.Alarm]:
        return [*self.on_metric.values(), self.api_error_rate, self.decide_latency]
