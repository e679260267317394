"""Ingest: partner CSV drop bucket -> S3 notification -> SQS (+DLQ) -> importer function.

Partners write ``incoming/<partner>/<dataset>/<file>.csv``; every object under
``DROP_PREFIX`` notifies the queue, whatever its name, so that a misnamed file gets a rejected
job that says why instead of silence, and the importer's own error reports under ``results/``
can never trigger an import. One message is one
file (batch size 1): a bad file fails alone and, after ``IMPORT_MAX_RECEIVES``
attempts, waits in the DLQ while the DLQ alarm tells the operators.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.buckets import log_bucket, secure_bucket
from infra.constructs.python_function import PythonFunction, grant_tracing
from infra.constructs.tables import CONFIG_PUBLISH_ACTIONS, KEY_ACTIONS, XsellTables, grant_key_use
from infra.nag import acknowledge, arn_finding
from infra.stacks.analytics import ReportsAccess, grant_reports
from xsell import env as xsell_env
from xsell import topology
from xsell.dal import customers, profiles

# The longest one invocation may run. Longer files are imported in chunks: a chunk stops well
# before this timeout, checkpoints the job and queues a message that continues the file.
IMPORTER_TIMEOUT = Duration.minutes(15)
# 1769 MB is one full vCPU: CSV parsing is CPU-bound.
IMPORTER_MEMORY_MB = 1769
# Caps parallel imports so a burst of uploads cannot starve the decide path of
# DynamoDB capacity; SQS simply holds the rest.
IMPORTER_MAX_CONCURRENCY = 5
# Brand affinity: a parallel Scan of the whole profile store once a night, at 02:00 Asia/Tokyo
# (17:00 UTC: EventBridge rules run on UTC), after the night's compaction and most partner drops.
AFFINITY_MEMORY_MB = 1024
AFFINITY_TIMEOUT = Duration.minutes(15)
AFFINITY_SCHEDULE_UTC = {"minute": "0", "hour": "17"}


class IngestStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        tables: XsellTables,
        alarm_topic: sns.ITopic,
        encryption_key: kms.IKey | None = None,
        reports: ReportsAccess | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.encryption_key = encryption_key
        self.access_logs = log_bucket(self, "AccessLogs", retention_days=stage.log_retention_days)
        # Versioned, so every chunk of a long file reads exactly the version its job started on.
        # An import job is keyed on bucket + key + ETag: a re-delivered event and a re-uploaded
        # identical file import once; a changed file under the same name is a new job.
        self.drop_bucket = secure_bucket(
            self,
            "Drop",
            access_logs=self.access_logs,
            versioned=True,
            encryption_key=encryption_key,
            lifecycle_rules=[
                # Partner files carry personal data: keep them only as long as a
                # re-import or an investigation plausibly needs them.
                s3.LifecycleRule(
                    id="expire-incoming",
                    prefix=topology.DROP_PREFIX,
                    expiration=Duration.days(30),
                ),
                s3.LifecycleRule(
                    id="expire-results",
                    prefix=topology.RESULTS_PREFIX,
                    expiration=Duration.days(90),
                ),
                s3.LifecycleRule(id="expire-noncurrent", noncurrent_version_expiration=Duration.days(7)),
                s3.LifecycleRule(
                    id="abort-uploads", abort_incomplete_multipart_upload_after=Duration.days(1)
                ),
            ],
        )

        # The admin SPA PUTs partner files straight to S3 with presigned URLs. Its origin
        # (the CloudFront or custom domain) is not known in this stack, so any https origin
        # may PUT, without credentials: the URL's signature, scoped to one key and a few
        # minutes, is the authorization, and CORS only decides which pages may read the answer.
        self.drop_bucket.add_cors_rule(
            allowed_methods=[s3.HttpMethods.PUT],
            allowed_origins=["https://*"],
            allowed_headers=["*"],  # whatever headers the API signed into the URL
            max_age=3000,
        )

        self.dlq = sqs.Queue(
            self,
            "ImportDlq",
            queue_name=f"{topology.IMPORT_DLQ}-{stage.name}",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        self.queue = sqs.Queue(
            self,
            "ImportQueue",
            queue_name=f"{topology.IMPORT_QUEUE}-{stage.name}",
            # AWS guidance for Lambda SQS sources: at least 6x the function timeout,
            # so a message is not redelivered while an import is still running.
            visibility_timeout=Duration.minutes(IMPORTER_TIMEOUT.to_minutes() * 6),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=topology.IMPORT_MAX_RECEIVES,
                queue=self.dlq,
            ),
            # SQS-managed SSE: S3 can publish to it without a KMS key policy.
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        self.drop_bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.SqsDestination(self.queue),
            s3.NotificationKeyFilter(prefix=topology.DROP_PREFIX),  # no suffix: misnamed files are rejected
        )

        self.importer = PythonFunction(
            self,
            "Importer",
            spec=topology.FUNCTIONS["importer"],
            stage=stage,
            environment={
                **tables.environment(),
                xsell_env.DROP_BUCKET: self.drop_bucket.bucket_name,
                xsell_env.IMPORT_QUEUE_URL: self.queue.queue_url,
            },
            memory_size=IMPORTER_MEMORY_MB,
            timeout=IMPORTER_TIMEOUT,
            alarm_topic=alarm_topic,
            encryption_key=encryption_key,
        )
        importer = self.importer.function
        importer.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=1,
                # The handler reports failed message ids; only those are retried.
                report_batch_item_failures=True,
                max_concurrency=IMPORTER_MAX_CONCURRENCY,
            )
        )
        self._grant_importer(tables)
        grant_tracing(importer)
        self._acknowledge_prefix_wildcards(self.importer.role)

        # Brand affinity from the profile store the imports fill (xsell.reporting.affinity).
        self.affinity = PythonFunction(
            self,
            "Affinity",
            spec=topology.FUNCTIONS["affinity"],
            stage=stage,
            environment=tables.environment(),
            memory_size=AFFINITY_MEMORY_MB,
            timeout=AFFINITY_TIMEOUT,
            alarm_topic=alarm_topic,
            encryption_key=encryption_key,
        )
        self._grant_affinity(tables)
        if reports is not None:  # what referrals showed: the brand-pair report
            grant_reports(self.affinity.function, reports)
        self.affinity_schedule = events.Rule(
            self,
            "AffinitySchedule",
            description=f"xsell {stage.name}: nightly brand affinity over the profile store",
            schedule=events.Schedule.cron(**AFFINITY_SCHEDULE_UTC),
            targets=[targets.LambdaFunction(self.affinity.function, retry_attempts=2)],
        )

        # What the admin API may do in the drop bucket, published from the stack that
        # owns the bucket (the Api stack attaches it to the admin function's role):
        # sign partner upload URLs under incoming/ and read error reports.
        self.admin_drop_access = iam.ManagedPolicy(
            self,
            "AdminDropAccess",
            description=f"xsell {stage.name}: admin API access to the partner drop bucket",
            statements=[
                iam.PolicyStatement(
                    actions=["s3:PutObject"],
                    resources=[self.drop_bucket.arn_for_objects(f"{topology.DROP_PREFIX}*")],
                ),
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[self.drop_bucket.arn_for_objects(f"{topology.RESULTS_PREFIX}*")],
                ),
                # Under the stage's key, a presigned PUT is encrypted and a GET decrypted with the
                # signer's rights.
                *(
                    [iam.PolicyStatement(actions=list(KEY_ACTIONS), resources=[encryption_key.key_arn])]
                    if encryption_key is not None
                    else []
                ),
            ],
        )
        self._acknowledge_prefix_wildcards(self.admin_drop_access)

        self._alarms(stage, alarm_topic)
        self._acknowledge_notification_handler()
        CfnOutput(self, "DropBucketName", value=self.drop_bucket.bucket_name)
        CfnOutput(self, "ImportQueueUrl", value=self.queue.queue_url)
        CfnOutput(self, "ImportDlqUrl", value=self.dlq.queue_url)

    def _grant_importer(self, tables: XsellTables) -> None:
        """Least privilege for the importer, action by action (docs/decisions.md)."""
        importer = self.importer.function
        # Profiles: read-merge-put (BatchGetItem + BatchWriteItem) under the writer lease in jobs;
        # an erasure also deletes the customer's state#<customer> item (decide's), nothing else.
        tables.grant(importer, "profiles", ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"])
        tables.grant(importer, "profiles", ["dynamodb:DeleteItem"], leading_keys=(customers.STATE_PREFIX,))
        # Jobs and the profiles writer lease: conditional put of a new job, leases and
        # checkpoints as conditional updates, reads by key.
        tables.grant(importer, "jobs", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"])
        # Config: the live version's pointer and partner settings by key, its sites by query.
        tables.grant(importer, "config", ["dynamodb:GetItem", "dynamodb:Query"])
        # Partner files under incoming/: each chunk reads the job's own version (ranged GET).
        importer.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[self.drop_bucket.arn_for_objects(f"{topology.DROP_PREFIX}*")],
            )
        )
        # Error reports under results/: parts are written, read back, concatenated
        # (multipart beyond 8 MiB) and deleted.
        importer.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                resources=[self.drop_bucket.arn_for_objects(f"{topology.RESULTS_PREFIX}*")],
            )
        )
        # Follow-up messages that continue a long file in the next invocation.
        self.queue.grant_send_messages(importer)
        # Partner files and error reports under the stage's key (tables grant their own).
        if self.encryption_key is not None:
            grant_key_use(self.encryption_key, importer)

    def _grant_affinity(self, tables: XsellTables) -> None:
        """Least privilege for the affinity job: it reads profiles by Scan (keys and brand maps
        only, by its projection) and publishes one config version as the system."""
        fn = self.affinity.function
        tables.grant(fn, "profiles", ["dynamodb:Scan"], attributes=profiles.BRAND_USAGE_ATTRIBUTES)
        tables.grant(fn, "config", CONFIG_PUBLISH_ACTIONS)
        tables.grant(fn, "audit", ["dynamodb:PutItem"])
        grant_tracing(fn)

    def _alarms(self, stage: StageConfig, topic: sns.ITopic) -> None:
        action = cw_actions.SnsAction(topic)
        dlq_alarm = cloudwatch.Alarm(
            self,
            "ImportDlqNotEmpty",
            alarm_description=(
                f"xsell {stage.name}: an import failed {topology.IMPORT_MAX_RECEIVES} times and is in the DLQ"
            ),
            metric=self.dlq.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic="Maximum"
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        dlq_alarm.add_alarm_action(action)
        stuck_alarm = cloudwatch.Alarm(
            self,
            "ImportQueueStuck",
            alarm_description=f"xsell {stage.name}: partner files have waited over an hour for import",
            metric=self.queue.metric_approximate_age_of_oldest_message(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=3600,
            evaluation_periods=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        stuck_alarm.add_alarm_action(action)

    def _acknowledge_prefix_wildcards(self, scope: iam.Role | iam.ManagedPolicy) -> None:
        for prefix in (topology.DROP_PREFIX, topology.RESULTS_PREFIX):
            acknowledge(
                scope,
                f"AwsSolutions-IAM5[{arn_finding(self.drop_bucket, f'/{prefix}*')}]",
                f"Object keys under {prefix} are chosen by partners and job ids at run time; the "
                f"wildcard is the key prefix within the one drop bucket, with explicit actions only.",
            )

    def _acknowledge_notification_handler(self) -> None:
        # CDK's singleton that installs the bucket notification (a custom resource).
        handler = next(c for c in self.node.children if c.node.id.startswith("BucketNotificationsHandler"))
        acknowledge(
            handler,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "CDK-owned deploy-time helper (BucketNotificationsHandler) that only writes its own logs; "
            "its role is not configurable in aws-cdk-lib and it never touches application data.",
        )
