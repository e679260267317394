"""Analytics: the events bucket, the Firehose stream that fills it, and the reports' Athena side.

Events (impressions, clicks, conversions, holdout exposures) arrive through
Firehose as GZIP JSON lines under ``events/dt=YYYY-MM-DD/`` (Asia/Tokyo days,
the product's reporting day), a Hive-style layout Athena partition projection
and the local DuckDB reader both understand.

Reports (docs/reports.md): a Glue database with tables over that bucket, all with partition
projection on ``dt`` (no crawler) — ``events_json`` (what Firehose writes), ``events_parquet``
(``compacted/dt=.../``, one finished day by event time) and its rollups ``funnel_daily`` and
``conversion_touches`` (``rollups/<table>/dt=.../``) — an Athena workgroup with enforced
settings (engine v3, encrypted results in a bucket of their own that expires them, a
bytes-scanned cutoff, CloudWatch metrics), and nightly EventBridge Scheduler jobs at 00:30
Asia/Tokyo that run Athena ``INSERT INTO`` each of the three tables for the day before
(xsell/reporting/queries/compact*.sql; each statement reads the raw events itself, so they
run side by side, and a report reads a day from them once all three hold it). Each record
already ends in a newline (xsell.measuring.records.encode): Firehose concatenates records as
they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws, CfnOutput, Duration, RemovalPolicy, Size, Stack, TimeZone
from aws_cdk import aws_athena as athena
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.buckets import log_bucket, secure_bucket
from infra.constructs.python_function import log_retention
from infra.constructs.tables import KEY_ACTIONS
from infra.nag import acknowledge, arn_finding
from xsell import env as xsell_env
from xsell.measuring.records import ERROR_PREFIX, EVENTS_PREFIX, PARTITION_EXPRESSION, TIME_ZONE_NAME
from xsell.reporting import engines, layout
from xsell.reporting import sql as report_sql

BYTES_SCANNED_CUTOFF = 10 * 1024**3  # 10 GiB per query: a year of Parquet is far less
RESULTS_RETENTION_DAYS = 7
ENGINE_VERSION = "Athena engine version 3"
_GLUE_TYPES = {
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "DOUBLE": "double",
    "TIMESTAMP": "timestamp",
    "BIGINT": "bigint",
}


@dataclass(frozen=True)
class ReportsAccess:
    """What the admin function needs to run reports: names for its environment, ARNs for its policy."""

    events_bucket: s3.IBucket
    results_bucket: s3.IBucket
    workgroup_name: str
    workgroup_arn: str
    database_name: str
    policy: iam.IManagedPolicy


def grant_reports(fn: lambda_.IFunction, reports: ReportsAccess) -> None:
    """Let ``fn`` run reports: the Analytics stack's managed policy (Athena workgroup, Glue
    tables, events read, results) and where to find them."""
    fn.add_environment(xsell_env.EVENTS_BUCKET, reports.events_bucket.bucket_name)
    fn.add_environment(xsell_env.ATHENA_WORKGROUP, reports.workgroup_name)
    fn.add_environment(xsell_env.GLUE_DATABASE, reports.database_name)
    assert fn.role is not None
    fn.role.add_managed_policy(reports.policy)


def _columns(spec: dict[str, str]) -> list[glue.CfnTable.ColumnProperty]:
    return [glue.CfnTable.ColumnProperty(name=k, type=_GLUE_TYPES[v]) for k, v in spec.items()]


def _projection(location: str) -> dict[str, str]:
    return {
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": "NOW-3YEARS,NOW+1DAYS",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        "storage.location.template": location + "dt=${dt}/",
    }


class AnalyticsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        alarm_topic: sns.ITopic,
        encryption_key: kms.IKey | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.alarm_topic = alarm_topic
        # The stage's customer-managed key, when it has one: events, results, stream and logs.
        self.encryption_key = encryption_key
        self.access_logs = log_bucket(self, "AccessLogs", retention_days=stage.log_retention_days)
        self.events_bucket = secure_bucket(
            self,
            "Events",
            access_logs=self.access_logs,
            encryption_key=encryption_key,
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
            encryption_key=encryption_key,
            retention=log_retention(stage.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if stage.prod_like else RemovalPolicy.DESTROY,
        )
        self.stream = firehose.DeliveryStream(
            self,
            "EventsStream",
            encryption=(
                firehose.StreamEncryption.customer_managed_key(encryption_key)
                if encryption_key
                else firehose.StreamEncryption.aws_owned_key()
            ),
            destination=firehose.S3Bucket(
                self.events_bucket,
                encryption_key=encryption_key,
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
        if encryption_key is not None:
            # Key.grantEncryptDecrypt for the stream's two roles (its buffer, and the objects it writes).
            for finding in ("Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"):
                acknowledge(
                    self.stream,
                    f"AwsSolutions-IAM5[{finding}]",
                    "CDK's encrypt/decrypt grant of the stage key to the Firehose roles, on that one key "
                    "only; Firehose needs data keys to encrypt its buffer and the objects it delivers.",
                )
        CfnOutput(self, "EventsBucketName", value=self.events_bucket.bucket_name)
        CfnOutput(self, "EventsStreamName", value=self.stream.delivery_stream_name)
        self.reports = self._reports(stage)

    # --- reports: Glue tables, Athena workgroup, nightly compaction ------------------------------

    def _reports(self, stage: StageConfig) -> ReportsAccess:
        bucket = self.events_bucket
        self.results_bucket = secure_bucket(
            self,
            "AthenaResults",
            access_logs=self.access_logs,
            encryption_key=self.encryption_key,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-results", expiration=Duration.days(RESULTS_RETENTION_DAYS)),
                s3.LifecycleRule(
                    id="abort-uploads", abort_incomplete_multipart_upload_after=Duration.days(1)
                ),
            ],
        )
        database_name = f"xsell_{stage.name}".lower().replace("-", "_")
        self.database = glue.CfnDatabase(
            self,
            "ReportsDatabase",
            catalog_id=Aws.ACCOUNT_ID,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name, description="xsell measured events (docs/reports.md)"
            ),
        )
        raw_location = f"s3://{bucket.bucket_name}/{EVENTS_PREFIX}"
        parquet_location = f"s3://{bucket.bucket_name}/{layout.COMPACTED_PREFIX}"
        partition = [glue.CfnTable.ColumnProperty(name="dt", type="string")]
        self.json_table = glue.CfnTable(
            self,
            "EventsJsonTable",
            catalog_id=Aws.ACCOUNT_ID,
            database_name=database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name="events_json",
                table_type="EXTERNAL_TABLE",
                partition_keys=partition,
                parameters={"classification": "json", "compressionType": "gzip", **_projection(raw_location)},
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=_columns(engines.JSON_COLUMNS),
                    location=raw_location,
                    input_format="org.apache.hadoop.mapred.TextInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.openx.data.jsonserde.JsonSerDe",
                        parameters={"ignore.malformed.json": "true"},
                    ),
                ),
            ),
        )
        self.parquet_table = self._parquet_table(
            "EventsParquetTable", database_name, "events_parquet", parquet_location, engines.PARQUET_COLUMNS
        )
        self.rollup_tables = {
            name: self._parquet_table(
                f"Rollup{name.title().replace('_', '')}Table",
                database_name,
                name,
                f"s3://{bucket.bucket_name}/{layout.ROLLUP_PREFIXES[name]}",
                columns,
            )
            for name, columns in engines.ROLLUP_COLUMNS.items()
        }
        for table in (self.json_table, self.parquet_table, *self.rollup_tables.values()):
            table.add_dependency(self.database)
        workgroup_name = f"xsell-{stage.name}-reports"
        self.workgroup = athena.CfnWorkGroup(
            self,
            "ReportsWorkGroup",
            name=workgroup_name,
            description="xsell reports: enforced engine, encryption, cutoff and metrics",
            state="ENABLED",
            recursive_delete_option=not stage.prod_like,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version=ENGINE_VERSION
                ),
                bytes_scanned_cutoff_per_query=BYTES_SCANNED_CUTOFF,
                publish_cloud_watch_metrics_enabled=True,
                requester_pays_enabled=False,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.results_bucket.bucket_name}/athena-results/",
                    encryption_configuration=(
                        athena.CfnWorkGroup.EncryptionConfigurationProperty(
                            encryption_option="SSE_KMS", kms_key=self.encryption_key.key_arn
                        )
                        if self.encryption_key
                        else athena.CfnWorkGroup.EncryptionConfigurationProperty(encryption_option="SSE_S3")
                    ),
                    expected_bucket_owner=Aws.ACCOUNT_ID,
                ),
            ),
        )
        workgroup_arn = self.format_arn(service="athena", resource="workgroup", resource_name=workgroup_name)
        glue_arns = (
            self.format_arn(service="glue", resource="catalog"),
            self.format_arn(service="glue", resource="database", resource_name=database_name),
            self.format_arn(service="glue", resource="table", resource_name=f"{database_name}/events_json"),
            *(
                self.format_arn(service="glue", resource="table", resource_name=f"{database_name}/{name}")
                for name in report_sql.COMPACTION
            ),
        )
        self._compaction(workgroup_name, workgroup_arn, database_name, glue_arns)
        self.failed_queries_alarm = cloudwatch.Alarm(
            self,
            "AthenaQueriesFailed",
            alarm_description=(
                f"xsell {stage.name}: an Athena query of the reports workgroup failed (a nightly "
                "compaction or a report); the workgroup's query history says which and why"
            ),
            metric=cloudwatch.Metric(
                namespace="AWS/Athena",
                metric_name="TotalExecutionTime",
                dimensions_map={"WorkGroup": workgroup_name, "QueryState": "FAILED", "QueryType": "DML"},
                statistic="SampleCount",
                period=Duration.minutes(5),
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.failed_queries_alarm.add_alarm_action(cw_actions.SnsAction(self.alarm_topic))
        CfnOutput(self, "ReportsWorkGroupName", value=workgroup_name)
        CfnOutput(self, "ReportsDatabaseName", value=database_name)
        self.reports_policy = self._reader_policy(workgroup_arn, glue_arns)
        return ReportsAccess(
            bucket, self.results_bucket, workgroup_name, workgroup_arn, database_name, self.reports_policy
        )

    def _parquet_table(
        self, construct_id: str, database_name: str, name: str, location: str, columns: dict[str, str]
    ) -> glue.CfnTable:
        return glue.CfnTable(
            self,
            construct_id,
            catalog_id=Aws.ACCOUNT_ID,
            database_name=database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=name,
                table_type="EXTERNAL_TABLE",
                partition_keys=[glue.CfnTable.ColumnProperty(name="dt", type="string")],
                parameters={
                    "classification": "parquet",
                    "parquet.compression": layout.COMPRESSION[name],
                    **_projection(location),
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=_columns(columns),
                    location=location,
                    input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                    ),
                ),
            ),
        )

    def _reader_policy(self, workgroup_arn: str, glue_arns: tuple[str, ...]) -> iam.ManagedPolicy:
        """What the admin function needs to run reports: Athena in the workgroup, the Glue tables,
        the events (read) and the workgroup's results (Athena writes them with the caller's rights)."""
        events, results = self.events_bucket, self.results_bucket
        policy = iam.ManagedPolicy(
            self,
            "ReportsReader",
            description="xsell admin function: run reports on Athena",
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "athena:StartQueryExecution",
                        "athena:GetQueryExecution",
                        "athena:GetQueryResults",
                    ],
                    resources=[workgroup_arn],
                ),
                iam.PolicyStatement(actions=["glue:GetDatabase", "glue:GetTable"], resources=list(glue_arns)),
                iam.PolicyStatement(
                    actions=["s3:ListBucket", "s3:GetBucketLocation"],
                    resources=[events.bucket_arn, results.bucket_arn],
                ),
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[
                        events.arn_for_objects(f"{EVENTS_PREFIX}*"),
                        events.arn_for_objects(f"{layout.COMPACTED_PREFIX}*"),
                        events.arn_for_objects(f"{layout.ROLLUPS_PREFIX}*"),
                        results.arn_for_objects("athena-results/*"),
                    ],
                ),
                iam.PolicyStatement(
                    actions=["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                    resources=[results.arn_for_objects("athena-results/*")],
                ),
                # Under the stage's key: read the events, write and read the results.
                *(
                    [iam.PolicyStatement(actions=list(KEY_ACTIONS), resources=[self.encryption_key.key_arn])]
                    if self.encryption_key
                    else []
                ),
            ],
        )
        self._acknowledge_prefixes(policy)
        return policy

    def _acknowledge_prefixes(self, scope: Construct) -> None:
        for resource, suffix in (
            (self.events_bucket, f"/{EVENTS_PREFIX}*"),
            (self.events_bucket, f"/{layout.COMPACTED_PREFIX}*"),
            (self.events_bucket, f"/{layout.ROLLUPS_PREFIX}*"),
            (self.results_bucket, "/athena-results/*"),
        ):
            acknowledge(
                scope,
                f"AwsSolutions-IAM5[{arn_finding(resource, suffix)}]",
                "Athena reads and writes objects with generated names under one prefix of one bucket; "
                "the prefix is the narrowest scope S3 offers for them.",
            )

    def _compaction(
        self, workgroup: str, workgroup_arn: str, database: str, glue_arns: tuple[str, ...]
    ) -> None:
        """00:30 Asia/Tokyo every day: yesterday's events as Parquet (Athena INSERT INTO)."""
        role = iam.Role(
            self,
            "CompactionRole",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
            description="Runs the nightly Athena compaction of the events into Parquet",
        )
        # Athena runs the INSERT with the caller's permissions: read the JSON folders, write the
        # Parquet folder and the results, read and extend the tables.
        role.add_to_policy(
            iam.PolicyStatement(actions=["athena:StartQueryExecution"], resources=[workgroup_arn])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchCreatePartition",
                    "glue:CreatePartition",
                ],
                resources=list(glue_arns),
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket", "s3:GetBucketLocation"],
                resources=[self.events_bucket.bucket_arn, self.results_bucket.bucket_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[
                    self.events_bucket.arn_for_objects(f"{EVENTS_PREFIX}*"),
                    self.events_bucket.arn_for_objects(f"{layout.COMPACTED_PREFIX}*"),
                    self.events_bucket.arn_for_objects(f"{layout.ROLLUPS_PREFIX}*"),
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                resources=[
                    self.events_bucket.arn_for_objects(f"{layout.COMPACTED_PREFIX}*"),
                    self.events_bucket.arn_for_objects(f"{layout.ROLLUPS_PREFIX}*"),
                    self.results_bucket.arn_for_objects("athena-results/*"),
                ],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[self.results_bucket.arn_for_objects("athena-results/*")]
            )
        )
        if self.encryption_key:
            role.add_to_policy(
                iam.PolicyStatement(actions=list(KEY_ACTIONS), resources=[self.encryption_key.key_arn])
            )
        self.compactions = {
            table: scheduler.CfnSchedule(
                self,
                "CompactionSchedule"
                if table == "events_parquet"
                else f"Compaction{table.title().replace('_', '')}",
                description=f"Yesterday's events (Asia/Tokyo) into {table}",
                schedule_expression="cron(30 0 * * ? *)",
                schedule_expression_timezone=TIME_ZONE_NAME,
                flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
                target=scheduler.CfnSchedule.TargetProperty(
                    arn="arn:aws:scheduler:::aws-sdk:athena:startQueryExecution",
                    role_arn=role.role_arn,
                    input=json.dumps(
                        {
                            "QueryString": report_sql.athena_compaction(
                                table, layout.TOUCH_LOOKBACK_DAYS, layout.REPEAT_LOOKBACK_DAYS
                            ),
                            "WorkGroup": workgroup,
                            "QueryExecutionContext": {"Database": database},
                        }
                    ),
                    retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                        maximum_event_age_in_seconds=3600, maximum_retry_attempts=3
                    ),
                ),
            )
            for table in report_sql.COMPACTION
        }
        self.compaction = self.compactions["events_parquet"]
        self._acknowledge_prefixes(role)
