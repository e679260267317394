"""Partner drop bucket -> SQS (+DLQ) -> importer, wired as xsell.topology says."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template

from infra.app import XsellApp
from tests.infra.conftest import as_json, logical_id, only
from xsell import topology


def test_drop_bucket_notifies_the_queue_for_partner_csv_only(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    _, notifications = only(templates["ingest"].find_resources("Custom::S3BucketNotifications"))
    props = notifications["Properties"]
    assert props["BucketName"] == {"Ref": logical_id(xsell.ingest.drop_bucket)}
    (config,) = props["NotificationConfiguration"]["QueueConfigurations"]
    assert config["QueueArn"] == {"Fn::GetAtt": [logical_id(xsell.ingest.queue), "Arn"]}
    assert config["Events"] == ["s3:ObjectCreated:*"]
    rules = {r["Name"]: r["Value"] for r in config["Filter"]["Key"]["FilterRules"]}
    assert rules == {"prefix": topology.DROP_PREFIX, "suffix": topology.DROP_SUFFIX}
    # The importer writes its reports elsewhere, so it can never trigger itself.
    assert not topology.RESULTS_PREFIX.startswith(topology.DROP_PREFIX)
    assert "LambdaFunctionConfigurations" not in props["NotificationConfiguration"]


def test_queue_feeds_importer_with_partial_batch_failures(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    _, mapping = only(templates["ingest"].find_resources("AWS::Lambda::EventSourceMapping"))
    props = mapping["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": [logical_id(xsell.ingest.queue), "Arn"]}
    assert props["FunctionName"] == {"Ref": logical_id(xsell.ingest.importer.function)}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == 1


def test_queue_redrives_to_dlq_after_max_receives(xsell: XsellApp, templates: dict[str, Template]) -> None:
    queues = templates["ingest"].find_resources("AWS::SQS::Queue")
    queue = queues[logical_id(xsell.ingest.queue)]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [logical_id(xsell.ingest.dlq), "Arn"]},
        "maxReceiveCount": topology.IMPORT_MAX_RECEIVES,
    }
    assert queue["QueueName"] == f"{topology.IMPORT_QUEUE}-{xsell.stage.name}"
    # Not redelivered while an import may still run (function timeout 900 s).
    assert queue["VisibilityTimeout"] >= 6 * 900
    for props in (q["Properties"] for q in queues.values()):
        assert props["SqsManagedSseEnabled"] is True


def test_queues_are_tls_only(templates: dict[str, Template]) -> None:
    policies = templates["ingest"].find_resources("AWS::SQS::QueuePolicy")
    assert len(policies) == 2
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )


def test_dlq_alarm_notifies_the_alarm_topic(xsell: XsellApp, templates: dict[str, Template]) -> None:
    templates["ingest"].has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [
                {"Name": "QueueName", "Value": {"Fn::GetAtt": [logical_id(xsell.ingest.dlq), "QueueName"]}}
            ],
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        },
    )
    alarms = templates["ingest"].find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"MetricName": "ApproximateNumberOfMessagesVisible"}}
    )
    _, alarm = only(alarms)
    # The topic lives in the Alerts stack; the action must point at its output.
    assert logical_id(xsell.alerts.topic) in as_json(alarm["Properties"]["AlarmActions"])
    templates["alerts"].has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": xsell.stage.alarm_email}
    )


def test_importer_may_read_incoming_and_write_results_only(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    role = logical_id(xsell.ingest.importer.role)
    policies = templates["ingest"].find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": role}]}}
    )
    _, policy = only(policies)
    s3_statements = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if as_json(s["Action"]).count("s3:")
    ]
    drop = logical_id(xsell.ingest.drop_bucket)
    granted = {as_json(s["Action"]): as_json(s["Resource"]) for s in s3_statements}
    assert granted == {
        as_json(["s3:GetObject", "s3:GetObjectVersion"]): as_json(
            {"Fn::Join": ["", [{"Fn::GetAtt": [drop, "Arn"]}, f"/{topology.DROP_PREFIX}*"]]}
        ),
        as_json("s3:PutObject"): as_json(
            {"Fn::Join": ["", [{"Fn::GetAtt": [drop, "Arn"]}, f"/{topology.RESULTS_PREFIX}*"]]}
        ),
    }
    tables = as_json(policy)
    for table in ("profiles", "jobs"):
        assert logical_id(xsell.data.tables[table]) in tables
    for table in ("config", "counters"):
        assert logical_id(xsell.data.tables[table]) not in tables


def test_drop_bucket_is_versioned_private_and_tls_only(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    buckets = templates["ingest"].find_resources("AWS::S3::Bucket")
    drop = buckets[logical_id(xsell.ingest.drop_bucket)]["Properties"]
    assert drop["VersioningConfiguration"] == {"Status": "Enabled"}
    assert drop["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert drop["LoggingConfiguration"]["DestinationBucketName"] == {
        "Ref": logical_id(xsell.ingest.access_logs)
    }
    templates["ingest"].has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": logical_id(xsell.ingest.drop_bucket)},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            },
        },
    )
