"""Every DynamoDB table is its PynamoDB model: keys, indexes, TTL, PITR, encryption."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra.app import XsellApp
from infra.constructs import tables as tables_module
from infra.constructs.tables import XsellTables
from tests.infra.conftest import logical_id
from xsell.models import TABLES
from xsell.models.schema import IndexSchema, Key, TableSchema, all_table_schemas

SCHEMAS = {schema.logical_name: schema for schema in all_table_schemas()}


def _key_schema(pk: Key, sk: Key | None) -> list[dict[str, str]]:
    keys = [{"AttributeName": pk.name, "KeyType": "HASH"}]
    if sk:
        keys.append({"AttributeName": sk.name, "KeyType": "RANGE"})
    return keys


def _expected_attributes(schema: TableSchema) -> dict[str, str]:
    keys = [schema.partition_key, schema.sort_key]
    for index in schema.global_indexes:
        keys += [index.partition_key, index.sort_key]
    return {k.name: k.type for k in keys if k}


def _table(xsell: XsellApp, templates: dict[str, Template], name: str) -> dict[str, Any]:
    tables = templates["data"].find_resources("AWS::DynamoDB::GlobalTable")
    return tables[logical_id(xsell.data.tables[name])]["Properties"]


def test_one_table_per_model(templates: dict[str, Template]) -> None:
    templates["data"].resource_count_is("AWS::DynamoDB::GlobalTable", len(TABLES))
    assert set(SCHEMAS) == set(TABLES)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_table_matches_model(xsell: XsellApp, templates: dict[str, Template], name: str) -> None:
    schema = SCHEMAS[name]
    props = _table(xsell, templates, name)

    assert props["KeySchema"] == _key_schema(schema.partition_key, schema.sort_key)
    defined = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert defined == _expected_attributes(schema)
    # PynamoDB's own view of the table agrees too (same shape as CloudFormation's).
    model_schema = TABLES[name]._get_schema()
    assert props["KeySchema"] == model_schema["key_schema"]
    assert sorted(props["AttributeDefinitions"], key=str) == sorted(
        model_schema["attribute_definitions"], key=str
    )

    gsis = {g["IndexName"]: g for g in props.get("GlobalSecondaryIndexes", [])}
    assert set(gsis) == {index.name for index in schema.global_indexes}
    model_gsis = {g["index_name"]: g for g in model_schema["global_secondary_indexes"]}
    for index in schema.global_indexes:
        assert gsis[index.name]["KeySchema"] == _key_schema(index.partition_key, index.sort_key)
        assert gsis[index.name]["Projection"] == model_gsis[index.name]["projection"]

    if schema.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": schema.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_table_is_protected(xsell: XsellApp, templates: dict[str, Template], name: str) -> None:
    props = _table(xsell, templates, name)
    replica = props["Replicas"][0]
    assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    # dev is not prod-like: no deletion protection, deleted with the stack.
    assert xsell.stage.prod_like is False
    assert replica.get("DeletionProtectionEnabled", False) is False


def test_functions_get_table_names_from_schema_env_vars(xsell: XsellApp) -> None:
    env = xsell.data.tables.environment()
    assert set(env) == {schema.env_var for schema in SCHEMAS.values()}


def test_model_change_reaches_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drift guard: the construct has no copy of the keys; a model change shows up in the template."""
    jobs = SCHEMAS["jobs"]
    drifted = TableSchema(
        jobs.logical_name,
        jobs.env_var,
        Key("job_id", "S"),
        Key("attempt", "N"),
        (*jobs.global_indexes, IndexSchema("by_status", Key("status", "S"), None)),
        "expires_at",
    )
    monkeypatch.setattr(tables_module, "all_table_schemas", lambda: (drifted,))
    monkeypatch.setattr(
        tables_module, "_projection", lambda schema, index: tables_module.dynamodb.ProjectionType.ALL
    )
    stack = cdk.Stack(cdk.App(), "Drift")
    XsellTables(stack, "Tables", prod_like=True)
    props = next(iter(Template.from_stack(stack).find_resources("AWS::DynamoDB::GlobalTable").values()))
    assert props["Properties"]["KeySchema"][1] == {"AttributeName": "attempt", "KeyType": "RANGE"}
    assert {g["IndexName"] for g in props["Properties"]["GlobalSecondaryIndexes"]} == {
        "by_partner",
        "by_status",
        "by_start",
    }
    assert props["Properties"]["TimeToLiveSpecification"]["AttributeName"] == "expires_at"
    # prod-like stages keep their data
    assert props["DeletionPolicy"] == "Retain"
    assert props["Properties"]["Replicas"][0]["DeletionProtectionEnabled"] is True
