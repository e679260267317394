"""Partner drop bucket -> SQS (+DLQ) -> importer, wired as xsell.topology says."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template

from infra.app import XsellApp
from tests.infra.conftest import as_json, logical_id, only
from xsell import topology


def test_drop_bucket_notifies_the_queue_for_every_partner_object(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    _, notifications = only(templates["ingest"].find_resources("Custom::S3BucketNotifications"))
    props = notifications["Properties"]
    assert props["BucketName"] == {"Ref": logical_id(xsell.ingest.drop_bucket)}
    (config,) = props["NotificationConfiguration"]["QueueConfigurations"]
    assert config["QueueArn"] == {"Fn::GetAtt": [logical_id(xsell.ingest.queue), "Arn"]}
    assert config["Events"] == ["s3:ObjectCreated:*"]
    rules = {r["Name"]: r["Value"] for r in config["Filter"]["Key"]["FilterRules"]}
    # Every object under incoming/, whatever its suffix: the importer rejects a misnamed one with a
    # reason (a .txt, or a file outside incoming/<partner>/<dataset>/) rather than never seeing it.
    assert rules == {"prefix": topology.DROP_PREFIX}
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


def _importer_statements(xsell: XsellApp, templates: dict[str, Template]) -> list[dict]:
    role = logical_id(xsell.ingest.importer.role)
    policies = templates["ingest"].find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": role}]}}
    )
    _, policy = only(policies)
    return policy["Properties"]["PolicyDocument"]["Statement"]


def _actions(statement: dict) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def test_importer_may_read_incoming_and_manage_results_only(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    statements = _importer_statements(xsell, templates)
    s3_statements = [s for s in statements if as_json(s["Action"]).count("s3:")]
    drop = logical_id(xsell.ingest.drop_bucket)
    granted = {as_json(sorted(_actions(s))): as_json(s["Resource"]) for s in s3_statements}
    assert granted == {
        as_json(["s3:GetObject", "s3:GetObjectVersion"]): as_json(
            {"Fn::Join": ["", [{"Fn::GetAtt": [drop, "Arn"]}, f"/{topology.DROP_PREFIX}*"]]}
        ),
        as_json(["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"]): as_json(
            {"Fn::Join": ["", [{"Fn::GetAtt": [drop, "Arn"]}, f"/{topology.RESULTS_PREFIX}*"]]}
        ),
    }


def _dynamodb_actions(
    xsell: XsellApp, templates: dict[str, Template], table: str, suffix: str = ""
) -> set[str]:
    """Actions granted on exactly ``<table arn><suffix>``."""
    table_id = logical_id(xsell.data.tables[table])
    found: set[str] = set()
    for statement in _importer_statements(xsell, templates):
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for resource in resources:
            text = as_json(resource)
            if table_id in text and (text.endswith(f'"{suffix}"]]}}') if suffix else "/index/" not in text):
                found |= _actions(statement)
    return found


def test_importer_table_permissions(xsell: XsellApp, templates: dict[str, Template]) -> None:
    profiles = _dynamodb_actions(xsell, templates, "profiles")
    # Read-merge-put in batches; an erasure deletes the state#<customer> item (test_least_privilege.py).
    assert profiles == {"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem"}
    # Erasure no longer touches counters: no access at all.
    assert _dynamodb_actions(xsell, templates, "counters") == set()
    # The live config version: pointer and partner settings by key, its sites by a consistent query.
    assert _dynamodb_actions(xsell, templates, "config") == {"dynamodb:GetItem", "dynamodb:Query"}
    assert _dynamodb_actions(xsell, templates, "jobs") == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    }


def test_importer_may_continue_on_its_own_queue(xsell: XsellApp, templates: dict[str, Template]) -> None:
    queue_arn = {"Fn::GetAtt": [logical_id(xsell.ingest.queue), "Arn"]}
    sends = [s for s in _importer_statements(xsell, templates) if "sqs:SendMessage" in _actions(s)]
    assert sends and all(s["Resource"] == queue_arn for s in sends)


def test_importer_timeout_is_fifteen_minutes(xsell: XsellApp, templates: dict[str, Template]) -> None:
    functions = templates["ingest"].find_resources("AWS::Lambda::Function")
    assert functions[logical_id(xsell.ingest.importer.function)]["Properties"]["Timeout"] == 900
    queue = templates["ingest"].find_resources("AWS::SQS::Queue")[logical_id(xsell.ingest.queue)]
    assert queue["Properties"]["VisibilityTimeout"] == 90 * 60


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
