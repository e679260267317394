"""The other stacks' essentials: Cognito roles, events pipeline, dashboard, stack layout."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template

from infra.app import XsellApp
from infra.stacks.admin import ROLE_GROUPS
from infra.stacks.analytics import EVENTS_PREFIX
from tests.infra.conftest import as_json, logical_id, only


def test_stack_names_and_region(xsell: XsellApp) -> None:
    for concern, stack in xsell.stacks.items():
        assert stack.stack_name == f"Xsell-{xsell.stage.name}-{concern.capitalize()}"
        assert stack.region == xsell.stage.region


def test_user_pool_requires_mfa_and_has_role_groups(templates: dict[str, Template]) -> None:
    _, pool = only(templates["admin"].find_resources("AWS::Cognito::UserPool"))
    props = pool["Properties"]
    assert props["MfaConfiguration"] == "ON"
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert props["UserPoolTier"] == "PLUS"
    groups = templates["admin"].find_resources("AWS::Cognito::UserPoolGroup")
    assert {g["Properties"]["GroupName"] for g in groups.values()} == set(ROLE_GROUPS)
    templates["admin"].has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {"GenerateSecret": False, "ExplicitAuthFlows": Match.array_with(["ALLOW_USER_SRP_AUTH"])},
    )


def test_events_stream_writes_date_partitions_to_the_events_bucket(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    _, stream = only(templates["analytics"].find_resources("AWS::KinesisFirehose::DeliveryStream"))
    props = stream["Properties"]
    assert props["DeliveryStreamEncryptionConfigurationInput"]["KeyType"] == "AWS_OWNED_CMK"
    destination = props["ExtendedS3DestinationConfiguration"]
    assert destination["BucketARN"] == {"Fn::GetAtt": [logical_id(xsell.analytics.events_bucket), "Arn"]}
    assert destination["Prefix"] == EVENTS_PREFIX + "dt=!{timestamp:yyyy-MM-dd}/"
    assert destination["CompressionFormat"] == "GZIP"
    buckets = templates["analytics"].find_resources("AWS::S3::Bucket")
    rules = buckets[logical_id(xsell.analytics.events_bucket)]["Properties"]["LifecycleConfiguration"][
        "Rules"
    ]
    expire = next(r for r in rules if r["Id"] == "expire-events")
    assert expire["ExpirationInDays"] == xsell.stage.events_retention_days


def test_every_bucket_is_encrypted_private_and_tls_only(templates: dict[str, Template]) -> None:
    for concern, template in templates.items():
        buckets = template.find_resources("AWS::S3::Bucket")
        policies = template.find_resources("AWS::S3::BucketPolicy")
        for bucket_id, bucket in buckets.items():
            props = bucket["Properties"]
            assert props["BucketEncryption"], f"{concern}/{bucket_id} unencrypted"
            assert props["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
            policy = next(p for p in policies.values() if p["Properties"]["Bucket"] == {"Ref": bucket_id})
            assert '"aws:SecureTransport": "false"' in as_json(policy), (
                f"{concern}/{bucket_id} allows plain HTTP"
            )


def test_dashboard_covers_every_function(xsell: XsellApp, templates: dict[str, Template]) -> None:
    _, dashboard = only(templates["dashboard"].find_resources("AWS::CloudWatch::Dashboard"))
    body = as_json(dashboard["Properties"]["DashboardBody"])
    for fn in (*xsell.api.functions.values(), xsell.ingest.importer):
        assert logical_id(fn.function) in body
