"""Local resources are built from the models and the topology, like the CDK stacks."""

import json

import boto3

from xsell import topology
from xsell.models.schema import all_table_schemas


def test_tables_match_the_models(local_system):
    ddb = boto3.client("dynamodb")
    for schema in all_table_schemas():
        table = ddb.describe_table(TableName=f"xsell-{schema.logical_name}")["Table"]
        keys = {k["KeyType"]: k["AttributeName"] for k in table["KeySchema"]}
        assert keys.get("HASH") == schema.partition_key.name
        assert keys.get("RANGE") == (schema.sort_key.name if schema.sort_key else None)
        assert sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])) == sorted(
            i.name for i in schema.global_indexes
        )


def test_drop_bucket_notifies_the_import_queue(local_system):
    resources = local_system.resources
    config = boto3.client("s3").get_bucket_notification_configuration(Bucket=resources.drop_bucket)
    [queue] = config["QueueConfigurations"]
    rules = {r["Name"].lower(): r["Value"] for r in queue["Filter"]["Key"]["FilterRules"]}
    assert queue["QueueArn"] == resources.import_queue_arn
    assert rules == {"prefix": topology.DROP_PREFIX}  # as in AWS: misnamed files get a rejected job


def test_import_queue_redrives_to_its_dlq(local_system):
    sqs = boto3.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=local_system.resources.import_queue_url, AttributeNames=["All"])
    redrive = json.loads(attrs["Attributes"]["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == topology.IMPORT_MAX_RECEIVES
    assert redrive["deadLetterTargetArn"].endswith(f":{topology.IMPORT_DLQ}")
