"""Analytics: the events bucket and the Firehose stream that fills it, partitioned by date.

Events (impressions, clicks, conversions, holdout exposures) arrive through
Firehose as GZIP JSON lines under ``events/dt=YYYY-MM-DD/`` (Asia/Tokyo days,
the product's reporting day), a Hive-style layout Athena partition projection
and the local DuckDB reader both understand.

TODO(analytics): Glue database/table with partition projection, Parquet record
format conversion in the stream, and an Athena workgroup with a results bucket
for the admin function's reports (see docs/decisions.md, 2026-11-23).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Size, Stack, TimeZone
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.buckets import log_bucket, secure_bucket
from infra.constructs.python_function import log_retention
from infra.nag import acknowledge, arn_finding
from xsell.measuring.records import ERROR_PREFIX, EVENTS_PREFIX, PARTITION_EXPRESSION, TIME_ZONE_NAME


class AnalyticsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.access_logs = log_bucket(self, "AccessLogs", retention_days=stage.log_retention_days)
        self.events_bucket = secure_bucket(
            self,
            "Events",
            access_logs=self.access_logs,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-events", expiration=Duration.days(stage.events_retention_days)),
                s3.LifecycleRule(
                    id="abort-uploads", abort_incomplete_multipart_upload_after=Duration.days(1)
                ),
            ],
        )
        delivery_logs = logs.LogGroup(
            self,
            "DeliveryLogs",
            retention=log_retention(stage.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if stage.prod_like else RemovalPolicy.DESTROY,
        )
        self.stream = firehose.DeliveryStream(
            self,
            "EventsStream",
            encryption=firehose.StreamEncryption.aws_owned_key(),
            destination=firehose.S3Bucket(
                self.events_bucket,
                # The layout the local reader and the records module agree on.
                data_output_prefix=EVENTS_PREFIX + PARTITION_EXPRESSION,
                error_output_prefix=ERROR_PREFIX,
                time_zone=TimeZone.of(TIME_ZONE_NAME),
                compression=firehose.Compression.GZIP,
                buffering_interval=Duration.seconds(60),
                buffering_size=Size.mebibytes(5),
                logging_config=firehose.EnableLogging(delivery_logs),
            ),
        )
        # The destination grant is CDK's Bucket.grantReadWrite for the Firehose role.
        for finding in (
            "Action::s3:Abort*",
            "Action::s3:DeleteObject*",
            "Action::s3:GetBucket*",
            "Action::s3:GetObject*",
            "Action::s3:List*",
            arn_finding(self.events_bucket, "/*"),
        ):
            acknowledge(
                self.stream,
                f"AwsSolutions-IAM5[{finding}]",
                "Firehose writes objects with generated names under the events bucket only; this is the "
                "CDK-generated S3 destination grant for that one bucket (Firehose S3 destination docs).",
            )
        CfnOutput(self, "EventsBucketName", value=self.events_bucket.bucket_name)
        CfnOutput(self, "EventsStreamName", value=self.stream.delivery_stream_name)
