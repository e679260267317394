"""Dashboard: one CloudWatch dashboard per stage over API, functions, import queue and events,
the metrics the functions emit (:mod:`xsell.observability`), and the service-wide alarms
(:class:`infra.stacks.alerts.ServiceAlarms`) beside the graphs of what they watch.

Last in the dependency order: it only reads metrics of resources the other
stacks own, so nothing depends on it and it can change freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.stacks.alerts import ServiceAlarms, app_metric, decide_latency, error_rate, reason_search
from xsell import observability as obs

PERIOD = Duration.minutes(5)
# The graphs of the metrics the functions emit (xsell.observability), a row of three per tuple:
# (title, metrics on the left axis, metrics on the right axis).
METRIC_GRAPHS: tuple[tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...], ...] = (
    (
        ("Decisions and served slots", (obs.DECISIONS, obs.SLOTS_SERVED, obs.HOLDOUTS), ()),
        ("Decide requests refused, by reason", (obs.DECIDE_REFUSED,), ()),
        ("Caps: blocks leased and caps reached", (obs.LEASES_TAKEN,), (obs.CAP_REACHED,)),
    ),
    (
        (
            "Events accepted; conversions (tag and signed by sites' servers)",
            (obs.EVENTS_ACCEPTED,),
            (obs.CONVERSIONS, obs.SIGNED_CONVERSIONS),
        ),
        ("Events rejected, by reason", (obs.EVENTS_REJECTED,), ()),
        (
            "Imports: rows, rejected rows, failed files",
            (obs.IMPORT_ROWS, obs.IMPORT_ROW_ERRORS),
            (obs.IMPORT_FAILURES,),
        ),
    ),
)


def metric_lines(stage: StageConfig, names: tuple[str, ...]) -> list[cloudwatch.IMetric]:
    """One line per metric; one per reason for a metric that carries a reason dimension."""
    return [
        reason_search(stage, name) if name in obs.WITH_REASON else app_metric(stage, name) for name in names
    ]


class DashboardStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        api: apigw.RestApi,
        functions: Mapping[str, lambda_.IFunction],
        import_queue: sqs.IQueue,
        import_dlq: sqs.IQueue,
        events_stream: firehose.IDeliveryStream,
        alarm_topic: sns.ITopic,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.alarms = ServiceAlarms(self, "Alarms", stage=stage, topic=alarm_topic, api=api)
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"xsell-{stage.name}")
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.all), width=24, height=3)
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[api.metric_count(period=PERIOD)],
                right=[api.metric_client_error(period=PERIOD), api.metric_server_error(period=PERIOD)],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="API latency (p50 / p99)",
                left=[
                    api.metric_latency(period=PERIOD, statistic="p50"),
                    api.metric_latency(period=PERIOD, statistic="p99"),
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API 5xx share (%)",
                left=[error_rate(api)],
                left_annotations=[self.alarms.api_error_rate.to_annotation()],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="decide latency (p50 / p99, ms)",
                left=[decide_latency(api, p).with_(label=f"decide {p}") for p in ("p50", "p99")],
                left_annotations=[self.alarms.decide_latency.to_annotation()],
                width=12,
            ),
        )
        for row in METRIC_GRAPHS:
            dashboard.add_widgets(
                *(
                    cloudwatch.GraphWidget(
                        title=title,
                        left=metric_lines(stage, left),
                        right=metric_lines(stage, right),
                        width=24 // len(row),
                    )
                    for title, left, right in row
                )
            )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Function invocations",
                left=[
                    fn.metric_invocations(period=PERIOD, label=name) for name, fn in sorted(functions.items())
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Function errors and throttles",
                left=[fn.metric_errors(period=PERIOD, label=name) for name, fn in sorted(functions.items())],
                right=[
                    fn.metric_throttles(period=PERIOD, label=f"{name} throttles")
                    for name, fn in sorted(functions.items())
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Function duration p95",
                left=[
                    fn.metric_duration(period=PERIOD, statistic="p95", label=name)
                    for name, fn in sorted(functions.items())
                ],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Import queue",
                left=[
                    import_queue.metric_approximate_number_of_messages_visible(
                        period=PERIOD, label="waiting"
                    ),
                    import_dlq.metric_approximate_number_of_messages_visible(period=PERIOD, label="in DLQ"),
                ],
                right=[
                    import_queue.metric_approximate_age_of_oldest_message(period=PERIOD, label="oldest (s)")
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Events delivered to S3",
                left=[
                    events_stream.metric_incoming_records(period=PERIOD),
                    events_stream.metric("DeliveryToS3.Records", period=PERIOD, statistic="Sum"),
                ],
                width=12,
            ),
        )
