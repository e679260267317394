"""Alarms, dashboard and tracing: what the alarms watch is exactly what the functions emit.

Metric names, namespace and dimension names come from :mod:`xsell.observability`, the module
the functions count through, so a renamed metric fails here instead of leaving an alarm that
watches nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.app import XsellApp
from infra.stacks import alerts
from tests.infra.conftest import as_json, logical_id, resources
from xsell import observability as obs
from xsell import topology


def _alarms(template: Template) -> dict[str, dict[str, Any]]:
    return {lid: r["Properties"] for lid, r in resources(template, "AWS::CloudWatch::Alarm").items()}


def _alarm(xsell: XsellApp, templates: dict[str, Template], alarm: Any) -> dict[str, Any]:
    return _alarms(templates["dashboard"])[logical_id(alarm)]


def _notifies_alarm_topic(xsell: XsellApp, properties: dict[str, Any]) -> bool:
    return logical_id(xsell.alerts.topic) in as_json(properties.get("AlarmActions", []))


@pytest.mark.parametrize("name", [obs.CAP_REACHED, obs.IMPORT_FAILURES])
def test_app_metric_alarms_watch_what_the_functions_emit(xsell, templates, name):
    alarm = xsell.dashboard.alarms.on_metric[name]
    properties = _alarm(xsell, templates, alarm)
    assert (properties["Namespace"], properties["MetricName"]) == (obs.NAMESPACE, name)
    # Exactly the dimension set the function prints: an alarm on a superset or subset sees nothing.
    assert {d["Name"]: d["Value"] for d in properties["Dimensions"]} == {
        obs.SERVICE: obs.service_name(obs.EMITTED_BY[name]),
        obs.STAGE: xsell.stage.name,
    }
    assert (properties["Statistic"], properties["Threshold"]) == ("Sum", 1)
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert _notifies_alarm_topic(xsell, properties)


def test_the_emitting_function_and_the_alarmed_dimensions_agree():
    # What Emf prints for a function (service dimension) is what the alarm names.
    assert obs.EMITTED_BY[obs.CAP_REACHED] == "decide"
    assert obs.EMITTED_BY[obs.IMPORT_FAILURES] == "importer"
    assert obs.CAP_REACHED not in obs.WITH_REASON and obs.IMPORT_FAILURES not in obs.WITH_REASON


def test_metrics_with_a_reason_cannot_be_alarmed_on_a_plain_metric(xsell):
    with pytest.raises(ValueError, match="reason dimension"):
        alerts.app_metric(xsell.stage, obs.DECIDE_REFUSED)
    with pytest.raises(ValueError, match="no reason dimension"):
        alerts.reason_search(xsell.stage, obs.DECISIONS)


def test_the_5xx_share_alarm_divides_errors_by_requests_of_this_api(xsell, templates):
    properties = _alarm(xsell, templates, xsell.dashboard.alarms.api_error_rate)
    [expression] = [q["Expression"] for q in properties["Metrics"] if "Expression" in q]
    assert expression == f"IF(requests >= {alerts.MIN_REQUESTS}, 100 * errors / requests, 0)"
    stats = {q["Id"]: q["MetricStat"] for q in properties["Metrics"] if "MetricStat" in q}
    assert {s["Metric"]["MetricName"] for s in stats.values()} == {"5XXError", "Count"}
    for stat in stats.values():
        assert stat["Metric"]["Namespace"] == "AWS/ApiGateway"
        assert stat["Metric"]["Dimensions"] == [{"Name": "ApiName", "Value": xsell.api.api.rest_api_name}]
        assert stat["Stat"] == "Sum"
    assert properties["Threshold"] == alerts.ERROR_RATE_PERCENT
    assert _notifies_alarm_topic(xsell, properties)


def test_the_latency_alarm_watches_decide_p99_on_the_deployed_api_and_stage(xsell, templates):
    properties = _alarm(xsell, templates, xsell.dashboard.alarms.decide_latency)
    assert (properties["Namespace"], properties["MetricName"]) == ("AWS/ApiGateway", "Latency")
    assert properties["ExtendedStatistic"] == "p99"
    dimensions = {d["Name"]: d["Value"] for d in properties["Dimensions"]}
    assert dimensions["ApiName"] == xsell.api.api.rest_api_name
    assert (dimensions["Method"], dimensions["Resource"]) == alerts.DECIDE_ROUTE
    # The API's deployed stage, read from the Api stack (it is named after the xsell stage).
    assert logical_id(xsell.api.api.deployment_stage) in as_json(dimensions["Stage"])
    [stage] = resources(templates["api"], "AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["StageName"] == xsell.stage.name
    # The route exists with that method on the API whose metrics the alarm reads.
    methods = resources(templates["api"], "AWS::ApiGateway::Method")
    assert any(m["Properties"]["HttpMethod"] == alerts.DECIDE_ROUTE[0] for m in methods.values())
    assert properties["Threshold"] == alerts.DECIDE_P99_MS
    assert properties["EvaluateLowSampleCountPercentile"] == "ignore"
    assert _notifies_alarm_topic(xsell, properties)


def test_the_dlq_depth_alarm_exists_and_notifies(xsell, templates):
    dlq = [
        p
        for p in _alarms(templates["ingest"]).values()
        if p.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and logical_id(xsell.ingest.dlq) in as_json(p["Dimensions"])
    ]
    assert len(dlq) == 1 and _notifies_alarm_topic(xsell, dlq[0])


def test_every_alarm_of_the_app_notifies_the_topic_the_alarm_email_subscribes(xsell, templates):
    for concern, template in templates.items():
        for lid, properties in _alarms(template).items():
            assert _notifies_alarm_topic(xsell, properties), f"{concern}/{lid} notifies nobody"
    subscriptions = resources(templates["alerts"], "AWS::SNS::Subscription")
    assert [(s["Properties"]["Protocol"], s["Properties"]["Endpoint"]) for s in subscriptions.values()] == [
        ("email", xsell.stage.alarm_email)
    ]


def _text(value: Any) -> str:
    """The dashboard body as text: the literal parts of an Fn::Join, tokens left out."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(_text(part) for part in value["Fn::Join"][1])
    return ""


def test_the_dashboard_graphs_every_metric_the_functions_emit(xsell, templates):
    [dashboard] = resources(templates["dashboard"], "AWS::CloudWatch::Dashboard").values()
    body = _text(dashboard["Properties"]["DashboardBody"])
    for name in obs.METRICS - obs.WITH_REASON:
        assert f'"{obs.NAMESPACE}","{name}","{obs.SERVICE}"' in body, f"{name} is not on the dashboard"
    for name in obs.WITH_REASON:  # one line per reason: a SEARCH over the reason dimension
        schema = f"{{{obs.NAMESPACE},{obs.REASON},{obs.SERVICE},{obs.STAGE}}}"
        assert f'SEARCH(\'{schema} MetricName=\\"{name}\\" {obs.STAGE}=\\"{xsell.stage.name}\\"' in body
    assert '"type":"alarm"' in body


def test_every_function_is_traced_and_may_send_its_traces(xsell, templates):
    functions = {
        **{f"api/{lid}": r for lid, r in resources(templates["api"], "AWS::Lambda::Function").items()},
        **{f"ingest/{lid}": r for lid, r in resources(templates["ingest"], "AWS::Lambda::Function").items()},
    }
    ours = {k: r for k, r in functions.items() if r["Properties"].get("Handler") == "handler.lambda_handler"}
    assert len(ours) == len(topology.FUNCTIONS)
    for where, function in ours.items():
        assert function["Properties"]["TracingConfig"] == {"Mode": "Active"}, where
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        concern = where.split("/")[0]
        policies = [
            p["Properties"]
            for p in resources(templates[concern], "AWS::IAM::Policy").values()
            if {"Ref": role} in p["Properties"]["Roles"]
        ]
        actions = {
            action
            for policy in policies
            for statement in policy["PolicyDocument"]["Statement"]
            for action in (
                statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            )
        }
        assert {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} <= actions, where
