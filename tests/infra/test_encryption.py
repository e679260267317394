"""The stage key: with ``customer_managed_key`` (prod in cdk.json) one rotating KMS key encrypts the
tables, the data buckets, the events stream and the log groups; without it nothing asks for KMS.

The prod stage is synthesized here once (the session fixture builds dev) and cdk-nag runs over it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from infra.app import XsellApp, build
from infra.constructs.tables import KEY_ACTIONS
from tests.infra.conftest import as_json, logical_id, new_app


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XsellApp]:
    built = build(new_app(tmp_path_factory.mktemp("cdk.out.prod"), **{"xsell:stage": "prod"}), nag=False)
    built.app.synth()
    yield built


@pytest.fixture(scope="module")
def prod_templates(prod: XsellApp) -> dict[str, Template]:
    return {concern: Template.from_stack(stack) for concern, stack in prod.stacks.items()}


def _key_ref(prod: XsellApp) -> str:
    assert prod.data.key is not None
    return logical_id(prod.data.key)


def test_prod_has_one_rotating_key_with_a_logs_statement(prod: XsellApp, prod_templates) -> None:
    keys = prod_templates["data"].find_resources("AWS::KMS::Key")
    assert list(keys) == [_key_ref(prod)]
    props = keys[_key_ref(prod)]["Properties"]
    assert props["EnableKeyRotation"] is True
    assert props["RotationPeriodInDays"] == 365
    assert keys[_key_ref(prod)]["DeletionPolicy"] == "Retain"
    statements = props["KeyPolicy"]["Statement"]
    logs = [s for s in statements if s.get("Sid") == "CloudWatchLogsOfThisAccount"]
    assert len(logs) == 1
    assert logs[0]["Principal"] == {"Service": f"logs.{prod.stage.region}.amazonaws.com"}
    assert "kms:EncryptionContext:aws:logs:arn" in as_json(logs[0]["Condition"])
    # Nobody else is named in the key policy: access goes through IAM policies of the account.
    others = [s for s in statements if s.get("Sid") != "CloudWatchLogsOfThisAccount"]
    assert all("Service" not in as_json(s.get("Principal", {})) for s in others)


def test_prod_tables_use_the_key(prod: XsellApp, prod_templates) -> None:
    tables = prod_templates["data"].find_resources("AWS::DynamoDB::GlobalTable")
    assert len(tables) == len(prod.data.tables.tables)
    for table in tables.values():
        sse = table["Properties"]["SSESpecification"]
        assert sse["SSEEnabled"] is True and sse["SSEType"] == "KMS"
        assert _key_ref(prod) in as_json(table["Properties"]["Replicas"])


def _bucket_key(template: Template, bucket: Any) -> dict[str, Any]:
    props = template.find_resources("AWS::S3::Bucket")[logical_id(bucket)]["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    return rule


def test_prod_data_buckets_use_the_key(prod: XsellApp, prod_templates) -> None:
    for concern, bucket in (
        ("ingest", prod.ingest.drop_bucket),
        ("analytics", prod.analytics.events_bucket),
        ("analytics", prod.analytics.results_bucket),
    ):
        rule = _bucket_key(prod_templates[concern], bucket)
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert _key_ref(prod) in as_json(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"])
        assert rule["BucketKeyEnabled"] is True


def test_prod_stream_and_its_objects_use_the_key(prod: XsellApp, prod_templates) -> None:
    (stream,) = prod_templates["analytics"].find_resources("AWS::KinesisFirehose::DeliveryStream").values()
    props = stream["Properties"]
    encryption = props["DeliveryStreamEncryptionConfigurationInput"]
    assert encryption["KeyType"] == "CUSTOMER_MANAGED_CMK"
    assert _key_ref(prod) in as_json(encryption["KeyARN"])
    s3 = props["ExtendedS3DestinationConfiguration"]["EncryptionConfiguration"]
    assert _key_ref(prod) in as_json(s3["KMSEncryptionConfig"])


def test_prod_secrets_use_the_key(prod: XsellApp, prod_templates) -> None:
    secrets = prod_templates["data"].find_resources("AWS::SecretsManager::Secret")
    assert len(secrets) == 2
    for secret in secrets.values():
        assert _key_ref(prod) in as_json(secret["Properties"]["KmsKeyId"])


def test_prod_log_groups_use_the_key(prod: XsellApp, prod_templates) -> None:
    groups = {
        (concern, lid): group
        for concern in ("analytics", "ingest", "api")
        for lid, group in prod_templates[concern].find_resources("AWS::Logs::LogGroup").items()
    }
    assert len(groups) >= 6  # 4 functions, API access logs, Firehose delivery logs
    for (concern, lid), group in groups.items():
        assert _key_ref(prod) in as_json(group["Properties"].get("KmsKeyId")), (concern, lid)


def test_prod_athena_results_are_encrypted_with_the_key(prod: XsellApp, prod_templates) -> None:
    (workgroup,) = prod_templates["analytics"].find_resources("AWS::Athena::WorkGroup").values()
    encryption = workgroup["Properties"]["WorkGroupConfiguration"]["ResultConfiguration"][
        "EncryptionConfiguration"
    ]
    assert encryption["EncryptionOption"] == "SSE_KMS"
    assert _key_ref(prod) in as_json(encryption["KmsKey"])


@pytest.mark.parametrize("name", ["decide", "collect", "conversions", "admin", "importer", "affinity"])
def test_prod_functions_may_use_the_key_for_exactly_encrypt_and_decrypt(
    prod: XsellApp, prod_templates, name: str
) -> None:
    concern, fn = (
        ("ingest", getattr(prod.ingest, name))
        if name in ("importer", "affinity")
        else ("api", prod.api.functions[name])
    )
    policies = prod_templates[concern].find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": logical_id(fn.role)}]}}
    )
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    kms = [s for s in statements if any(a.startswith("kms:") for a in _actions(s))]
    assert kms, f"{name} has no use of the stage key"
    for statement in kms:
        assert set(_actions(statement)) == set(KEY_ACTIONS)
        assert _key_ref(prod) in as_json(statement["Resource"])


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_dev_has_no_key_and_nothing_asks_for_kms(xsell: XsellApp, templates: dict[str, Template]) -> None:
    assert xsell.stage.customer_managed_key is False and xsell.data.key is None
    for concern, template in templates.items():
        assert not template.find_resources("AWS::KMS::Key"), concern
    rule = _bucket_key(templates["ingest"], xsell.ingest.drop_bucket)
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_prod_leaves_no_unacknowledged_nag_findings(prod: XsellApp) -> None:
    report = AwsSolutionsChecks(verbose=True).validate_scope(prod.app)
    findings = sorted(
        (violation.rule_name, resource.construct_path)
        for violation in report.violations
        for resource in violation.violating_resources
    )
    assert not findings, "unacknowledged cdk-nag findings in prod:\n" + "\n".join(
        f"  {rule} at {path}" for rule, path in findings
    )
