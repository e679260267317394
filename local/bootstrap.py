"""Create the local resources from the same descriptions the CDK stacks use.

Tables come from the PynamoDB models; the drop bucket, events bucket, import
queue with its dead-letter queue and the drop bucket -> queue notification come
from :mod:`xsell.topology`. Idempotent: running it twice changes nothing.
"""

from __future__ import annotations

import contextlib
import json
import secrets as secrets_module
from dataclasses import dataclass

import boto3

from xsell import env, topology
from xsell.measuring import records
from xsell.models import ALL_MODELS


@dataclass(frozen=True)
class LocalResources:
    drop_bucket: str
    events_bucket: str
    import_queue_url: str
    import_queue_arn: str
    import_dlq_url: str
    events_stream: str = ""


def create_tables() -> None:
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=True)
        model.update_ttl(ignore_update_ttl_errors=True)


def _create_bucket(s3, name: str, region: str) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def _create_import_queues(sqs) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    dlq_url = sqs.create_queue(QueueName=topology.IMPORT_DLQ)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(topology.IMPORT_MAX_RECEIVES)}
    url = sqs.create_queue(
        QueueName=topology.IMPORT_QUEUE,
        Attributes={"RedrivePolicy": json.dumps(redrive), "VisibilityTimeout": "60"},
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn, dlq_url


def _create_secrets(secrets) -> None:  # type: ignore[no-untyped-def]
    """The deployment secret, with a fresh random signing key, and the sites secret, with no site,
    unless they exist already."""
    for variable, document in (
        (env.SECRET, {"signing_key": secrets_module.token_urlsafe(32)}),
        (env.SITES_SECRET, {"sites": {}}),
    ):
        with contextlib.suppress(secrets.exceptions.ResourceExistsException):
            secrets.create_secret(Name=env.get(variable), SecretString=json.dumps(document))


def _create_events_stream(firehose, bucket: str) -> str:  # type: ignore[no-untyped-def]
    """The events stream into the events bucket, configured as the Analytics stack configures it."""
    name = env.get(env.EVENTS_STREAM)
    with contextlib.suppress(firehose.exceptions.ResourceInUseException):
        firehose.create_delivery_stream(
            DeliveryStreamName=name,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::000000000000:role/xsell-local-events-delivery",
                "BucketARN": f"arn:aws:s3:::{bucket}",
                "Prefix": records.EVENTS_PREFIX + records.PARTITION_EXPRESSION,
                "ErrorOutputPrefix": records.ERROR_PREFIX,
                "CustomTimeZone": records.TIME_ZONE_NAME,
                "CompressionFormat": "GZIP",
                "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 5},
            },
        )
    return name


def bootstrap() -> LocalResources:
    """Create every local table, bucket and queue, and wire the drop notification."""
    session = boto3.session.Session()
    region = session.region_name or "ap-northeast-1"
    s3 = session.client("s3", region_name=region)
    sqs = session.client("sqs", region_name=region)

    create_tables()
    _create_secrets(session.client("secretsmanager", region_name=region))
    drop, events = env.get(env.DROP_BUCKET), env.get(env.EVENTS_BUCKET)
    for bucket in (drop, events, env.get(env.IMAGES_BUCKET)):
        _create_bucket(s3, bucket, region)
    queue_url, queue_arn, dlq_url = _create_import_queues(sqs)
    s3.put_bucket_notification_configuration(
        Bucket=drop,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {
                            "FilterRules": [
                                # No suffix rule, as in AWS: misnamed files get a rejected job.
                                {"Name": "prefix", "Value": topology.DROP_PREFIX},
                            ]
                        }
                    },
                }
            ]
        },
    )
    stream = _create_events_stream(session.client("firehose", region_name=region), events)
    return LocalResources(drop, events, queue_url, queue_arn, dlq_url, stream)
