"""Analytics stack, reports side: Glue tables with partition projection, the enforced Athena
workgroup, the nightly compaction schedule, and the admin function's report access."""

from __future__ import annotations

import json

from aws_cdk.assertions import Template

from infra.app import XsellApp
from tests.infra.conftest import only
from xsell import env as xsell_env
from xsell.reporting import engines, layout
from xsell.reporting import sql as report_sql


def _tables(template: Template) -> dict[str, dict]:
    return {
        props["Properties"]["TableInput"]["Name"]: props["Properties"]["TableInput"]
        for props in template.find_resources("AWS::Glue::Table").values()
    }


def test_tables_project_dt_partitions_without_a_crawler(templates: dict[str, Template]) -> None:
    template = templates["analytics"]
    tables = _tables(template)
    assert set(tables) == {"events_json", "events_parquet", *engines.ROLLUP_COLUMNS}
    for name, table in tables.items():
        params = table["Parameters"]
        assert params["projection.enabled"] == "true"
        assert params["projection.dt.type"] == "date" and params["projection.dt.format"] == "yyyy-MM-dd"
        assert "dt=${dt}/" in json.dumps(params["storage.location.template"])
        assert [k["Name"] for k in table["PartitionKeys"]] == ["dt"]
        columns = {c["Name"] for c in table["StorageDescriptor"]["Columns"]}
        expected = {
            "events_json": engines.JSON_COLUMNS,
            "events_parquet": engines.PARQUET_COLUMNS,
            **engines.ROLLUP_COLUMNS,
        }[name]
        assert columns == set(expected)
        if name != "events_json":  # Athena's INSERT INTO compresses as the table property says
            assert params["parquet.compression"] == layout.COMPRESSION[name]
        if name in engines.ROLLUP_COLUMNS:
            assert f"rollups/{name}/dt=${{dt}}/" in json.dumps(params["storage.location.template"])
            assert "Parquet" in table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    assert "JsonSerDe" in tables["events_json"]["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    assert "Parquet" in tables["events_parquet"]["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    assert not template.find_resources("AWS::Glue::Crawler")


def test_workgroup_enforces_engine_encryption_cutoff_and_metrics(templates: dict[str, Template]) -> None:
    _, workgroup = only(templates["analytics"].find_resources("AWS::Athena::WorkGroup"))
    config = workgroup["Properties"]["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["EngineVersion"]["SelectedEngineVersion"] == "Athena engine version 3"
    assert 0 < config["BytesScannedCutoffPerQuery"] <= 100 * 1024**3
    assert config["PublishCloudWatchMetricsEnabled"] is True
    assert config["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"] == "SSE_S3"


def test_results_bucket_expires_results(xsell: XsellApp, templates: dict[str, Template]) -> None:
    buckets = templates["analytics"].find_resources("AWS::S3::Bucket")
    logical = xsell.analytics.get_logical_id(xsell.analytics.results_bucket.node.default_child)
    rules = buckets[logical]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays", 0) >= 1 for r in rules)
    assert buckets[logical]["Properties"]["BucketEncryption"]


def test_nightly_compaction_inserts_yesterday_as_parquet(templates: dict[str, Template]) -> None:
    schedules = templates["analytics"].find_resources("AWS::Scheduler::Schedule").values()
    inserted = set()
    for schedule in schedules:
        props = schedule["Properties"]
        assert props["ScheduleExpression"] == "cron(30 0 * * ? *)"
        assert props["ScheduleExpressionTimezone"] == "Asia/Tokyo"
        assert props["Target"]["Arn"] == "arn:aws:scheduler:::aws-sdk:athena:startQueryExecution"
        query = json.loads(props["Target"]["Input"])["QueryString"]
        table = query.split()[2]
        inserted.add(table)
        # each statement reads the raw events itself and skips a day its table already holds
        assert f"NOT EXISTS (SELECT 1 FROM {table} WHERE dt = " in query and "events_json" in query
        assert report_sql.parameters(query) == []  # every :parameter bound to yesterday
    assert inserted == {"events_parquet", *engines.ROLLUP_COLUMNS}


def test_a_failed_compaction_or_report_query_pages(templates: dict[str, Template]) -> None:
    """A night the compaction fails must not go unnoticed: the workgroup's failed queries alarm."""
    template = templates["analytics"]
    _, workgroup = only(template.find_resources("AWS::Athena::WorkGroup"))
    name = workgroup["Properties"]["Name"]
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    (alarm,) = [a["Properties"] for a in alarms.values() if a["Properties"]["Namespace"] == "AWS/Athena"]
    assert alarm["MetricName"] == "TotalExecutionTime" and alarm["Statistic"] == "SampleCount"
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {
        "WorkGroup": name,
        "QueryState": "FAILED",
        "QueryType": "DML",
    }
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert "AlarmTopic" in json.dumps(alarm["AlarmActions"])  # the Alerts stack's topic, imported


def test_admin_function_gets_report_access(xsell: XsellApp, templates: dict[str, Template]) -> None:
    admin = xsell.api.functions["admin"].function
    props = templates["api"].find_resources("AWS::Lambda::Function")[
        xsell.api.get_logical_id(admin.node.default_child)
    ]["Properties"]
    variables = props["Environment"]["Variables"]
    for name in (xsell_env.EVENTS_BUCKET, xsell_env.ATHENA_WORKGROUP, xsell_env.GLUE_DATABASE):
        assert variables[name]
    _, policy = only(
        {
            k: v
            for k, v in templates["analytics"].find_resources("AWS::IAM::ManagedPolicy").items()
            if "Athena" in json.dumps(v)
        }
    )
    actions = sorted(
        a
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for a in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    )
    assert "athena:StartQueryExecution" in actions and "glue:GetTable" in actions
    assert not any(a.endswith("*") for a in actions)
    assert "s3:DeleteObject" not in actions
