"""Each function: right code, runtime, layers, environment contract and no borrowed permissions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.app import XsellApp
from infra.config import parse_stage
from infra.constructs.python_function import POWERTOOLS_SERVICE_NAME, PythonFunction, function_environment
from tests.infra.conftest import as_json, cdk_context, logical_id, only
from xsell import env as xsell_env
from xsell import topology


def _functions(xsell: XsellApp) -> dict[str, tuple[str, PythonFunction]]:
    return {
        "decide": ("api", xsell.api.functions["decide"]),
        "admin": ("api", xsell.api.functions["admin"]),
        "collect": ("api", xsell.api.functions["collect"]),
        "conversions": ("api", xsell.api.functions["conversions"]),
        "importer": ("ingest", xsell.ingest.importer),
        "affinity": ("ingest", xsell.ingest.affinity),
    }


def _props(xsell: XsellApp, templates: dict[str, Template], name: str) -> dict[str, Any]:
    concern, fn = _functions(xsell)[name]
    return templates[concern].find_resources("AWS::Lambda::Function")[logical_id(fn.function)]["Properties"]


def test_every_topology_function_is_deployed_once(xsell: XsellApp, templates: dict[str, Template]) -> None:
    assert set(_functions(xsell)) == set(topology.FUNCTIONS)
    handlers = [
        props["Properties"]
        for template in templates.values()
        for props in template.find_resources(
            "AWS::Lambda::Function", {"Properties": {"Handler": "handler.lambda_handler"}}
        ).values()
    ]
    assert len(handlers) == len(topology.FUNCTIONS)


@pytest.mark.parametrize("name", sorted(topology.FUNCTIONS))
def test_environment_is_exactly_the_function_spec(
    xsell: XsellApp, templates: dict[str, Template], name: str
) -> None:
    variables = _props(xsell, templates, name)["Environment"]["Variables"]
    spec = topology.FUNCTIONS[name]
    required = set(spec.env) | {xsell_env.STAGE, POWERTOOLS_SERVICE_NAME}
    assert required <= set(variables) <= required | set(spec.optional_env)
    assert variables[xsell_env.STAGE] == xsell.stage.name
    assert variables[POWERTOOLS_SERVICE_NAME] == f"xsell-{name}"
    for variable in spec.env:
        assert variables[variable], f"{name}: {variable} is empty"


@pytest.mark.parametrize("name", sorted(topology.FUNCTIONS))
def test_table_variables_name_the_right_tables(
    xsell: XsellApp, templates: dict[str, Template], name: str
) -> None:
    variables = _props(xsell, templates, name)["Environment"]["Variables"]
    for table_name, table in xsell.data.tables.tables.items():
        variable = xsell.data.tables.schemas[table_name].env_var
        if variable in variables:
            # Cross-stack: the value is the Data stack's output for exactly this table's Ref.
            assert logical_id(table) in str(variables[variable])


@pytest.mark.parametrize("name", sorted(topology.FUNCTIONS))
def test_runtime_architecture_layers_and_logs(
    xsell: XsellApp, templates: dict[str, Template], name: str
) -> None:
    props = _props(xsell, templates, name)
    concern, fn = _functions(xsell)[name]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "handler.lambda_handler"
    assert props["Description"] == topology.FUNCTIONS[name].description
    stack = xsell.stacks[concern]
    assert props["Layers"] == [
        {"Ref": logical_id(stack.node.find_child(layer_id))}
        for layer_id in ("XsellCoreLayer", "XsellDepsLayer")
    ]
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": logical_id(fn.log_group)}
    log_group = templates[concern].find_resources("AWS::Logs::LogGroup")[logical_id(fn.log_group)]
    assert log_group["Properties"]["RetentionInDays"] == xsell.stage.log_retention_days
    role = templates[concern].find_resources("AWS::IAM::Role")[logical_id(fn.role)]
    # No AWS-managed policies (AWSLambdaBasicExecutionRole grants logs on every group).
    assert "ManagedPolicyArns" not in role["Properties"] or all(
        "iam::aws:policy" not in str(arn) for arn in role["Properties"]["ManagedPolicyArns"]
    )


def test_layers_are_one_asset_each_shared_by_all_stacks(templates: dict[str, Template]) -> None:
    layers = [
        props["Properties"]
        for template in templates.values()
        for props in template.find_resources("AWS::Lambda::LayerVersion").values()
        if props["Properties"].get("Description", "").startswith("xsell ")
    ]
    # One core + one deps LayerVersion per stack with functions (Ingest, Api) ...
    assert len(layers) == 4
    # ... published from the same two assets.
    assert len({layer["Content"]["S3Key"] for layer in layers}) == 2
    for layer in layers:
        assert layer["CompatibleRuntimes"] == ["python3.13"]
        assert layer["CompatibleArchitectures"] == ["arm64"]


def test_missing_environment_value_fails_synth_loudly() -> None:
    stage = parse_stage("dev", cdk_context()["xsell:stages"]["dev"])
    spec = topology.FUNCTIONS["importer"]
    with pytest.raises(ValueError, match=xsell_env.DROP_BUCKET):
        function_environment(spec, stage, {xsell_env.PROFILES_TABLE: "p", xsell_env.JOBS_TABLE: "j"})


def test_importer_knows_its_queue(xsell: XsellApp, templates: dict[str, Template]) -> None:
    variables = _props(xsell, templates, "importer")["Environment"]["Variables"]
    assert variables[xsell_env.IMPORT_QUEUE_URL] == {"Ref": logical_id(xsell.ingest.queue)}


def test_secret_holds_a_generated_signing_key(xsell: XsellApp, templates: dict[str, Template]) -> None:
    secrets = templates["data"].find_resources("AWS::SecretsManager::Secret")
    assert sorted(secrets) == sorted([logical_id(xsell.data.secret), logical_id(xsell.data.sites_secret)])
    generated = secrets[logical_id(xsell.data.secret)]["Properties"]["GenerateSecretString"]
    assert generated["GenerateStringKey"] == "signing_key"
    assert json.loads(generated["SecretStringTemplate"]) == {}
    sites = secrets[logical_id(xsell.data.sites_secret)]["Properties"]
    assert json.loads(sites["SecretString"]) == {"sites": {}}


@pytest.mark.parametrize("variable", [xsell_env.SECRET, xsell_env.SITES_SECRET])
@pytest.mark.parametrize("name", sorted(topology.FUNCTIONS))
def test_each_secret_reaches_exactly_the_functions_that_need_it(
    xsell: XsellApp, templates: dict[str, Template], name: str, variable: str
) -> None:
    """Each secret's variable names it, with read access, iff the function's spec asks for it."""
    concern, fn = _functions(xsell)[name]
    variables = _props(xsell, templates, name)["Environment"]["Variables"]
    policy = as_json(
        templates[concern].find_resources(
            "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": logical_id(fn.role)}]}}
        )
    )
    secret = xsell.data.secret if variable == xsell_env.SECRET else xsell.data.sites_secret
    secret_id = logical_id(secret)
    if variable in topology.FUNCTIONS[name].env:
        assert secret_id in as_json(variables[variable])
        assert "secretsmanager:GetSecretValue" in policy and secret_id in policy
    else:
        assert variable not in variables
        assert secret_id not in policy


def test_only_the_functions_that_act_for_sites_hold_their_secrets() -> None:
    holders = {name for name, spec in topology.FUNCTIONS.items() if xsell_env.SITES_SECRET in spec.env}
    assert holders == {"decide", "conversions", "admin"}


def test_decide_may_update_its_own_state_items_of_profiles_only(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    fn = xsell.api.functions["decide"]
    _, policy = only(
        templates["api"].find_resources(
            "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": logical_id(fn.role)}]}}
        )
    )
    profiles = logical_id(xsell.data.tables["profiles"])
    on_profiles = [
        s for s in policy["Properties"]["PolicyDocument"]["Statement"] if profiles in as_json(s["Resource"])
    ]
    writes = [s for s in on_profiles if "dynamodb:UpdateItem" in as_json(s["Action"])]
    assert [w["Action"] for w in writes] == ["dynamodb:UpdateItem"]
    assert writes[0]["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["state#*"]}}
    for statement in on_profiles:  # nothing else that writes
        actions = as_json(statement["Action"])
        assert "PutItem" not in actions and "DeleteItem" not in actions and "BatchWriteItem" not in actions


def test_affinity_runs_nightly_on_its_function(xsell: XsellApp, templates: dict[str, Template]) -> None:
    rules = templates["ingest"].find_resources("AWS::Events::Rule")
    [rule] = rules.values()
    assert rule["Properties"]["ScheduleExpression"] == "cron(0 17 * * ? *)"  # 02:00 Asia/Tokyo
    [target] = rule["Properties"]["Targets"]
    assert logical_id(xsell.ingest.affinity.function) in as_json(target["Arn"])
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_affinity_may_run_the_brand_pair_report(xsell: XsellApp, templates: dict[str, Template]) -> None:
    variables = _props(xsell, templates, "affinity")["Environment"]["Variables"]
    assert {xsell_env.ATHENA_WORKGROUP, xsell_env.GLUE_DATABASE, xsell_env.EVENTS_BUCKET} <= set(variables)
    role = templates["ingest"].find_resources("AWS::IAM::Role")[logical_id(xsell.ingest.affinity.role)]
    assert logical_id(xsell.analytics.reports.policy) in as_json(role["Properties"]["ManagedPolicyArns"])
