"""Each function's role allows exactly the calls its code makes: the full list, per function.

The lists below were read off ``functions/<name>`` and the ``xsell.dal`` calls they reach; any
action a stack adds beyond them fails here, as does one that goes missing. Item-level
restrictions (``dynamodb:LeadingKeys``) are checked where a function may touch only its own
kind of item in a shared table.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.app import XsellApp
from infra.constructs.python_function import PythonFunction
from tests.infra.conftest import as_json, logical_id
from xsell.dal import counters, customers, events, profiles

LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
TRACING = {"xray:PutTelemetryRecords", "xray:PutTraceSegments"}

# (table or service, action) -> allowed, per function. "*" stands for a non-table resource.
ALLOWED: dict[str, set[tuple[str, str]]] = {
    "decide": {
        ("profiles", "dynamodb:BatchGetItem"),
        ("profiles", "dynamodb:UpdateItem"),
        ("config", "dynamodb:GetItem"),
        ("config", "dynamodb:Query"),
        ("counters", "dynamodb:GetItem"),
        ("counters", "dynamodb:UpdateItem"),
        ("secret", "secretsmanager:GetSecretValue"),
        # Signed calls from a site's server (no Origin) are verified with the site's secret.
        ("sites", "secretsmanager:GetSecretValue"),
        # Each decision's request and served events, for the funnel (xsell.measuring.decisions).
        ("stream", "firehose:PutRecordBatch"),
    },
    # Replay guards are conditional updates, released by removing their count: no put, no delete.
    # Verifying tokens needs the signing keys only, never a site's secret.
    "collect": {
        ("counters", "dynamodb:UpdateItem"),
        ("stream", "firehose:PutRecordBatch"),
        ("secret", "secretsmanager:GetSecretValue"),
    },
    "conversions": {
        ("counters", "dynamodb:UpdateItem"),
        ("stream", "firehose:PutRecordBatch"),
        ("secret", "secretsmanager:GetSecretValue"),
        ("sites", "secretsmanager:GetSecretValue"),
    },
    "importer": {
        ("profiles", "dynamodb:BatchGetItem"),
        ("profiles", "dynamodb:BatchWriteItem"),
        ("profiles", "dynamodb:DeleteItem"),
        ("jobs", "dynamodb:GetItem"),
        ("jobs", "dynamodb:PutItem"),
        ("jobs", "dynamodb:UpdateItem"),
        ("config", "dynamodb:GetItem"),
        ("config", "dynamodb:Query"),
        ("drop", "s3:GetObject"),
        ("drop", "s3:GetObjectVersion"),
        ("drop", "s3:PutObject"),
        ("drop", "s3:DeleteObject"),
        ("drop", "s3:AbortMultipartUpload"),
        ("queue", "sqs:SendMessage"),
        ("queue", "sqs:GetQueueAttributes"),
        ("queue", "sqs:GetQueueUrl"),
        # The SQS event source mapping polls with the function's role.
        ("queue", "sqs:ReceiveMessage"),
        ("queue", "sqs:ChangeMessageVisibility"),
        ("queue", "sqs:DeleteMessage"),
    },
    # A Scan of keys and brand maps, and one publish as the system (no draft, no approval).
    "affinity": {
        ("profiles", "dynamodb:Scan"),
        ("config", "dynamodb:BatchWriteItem"),
        ("config", "dynamodb:GetItem"),
        ("config", "dynamodb:PartiQLSelect"),
        ("config", "dynamodb:PutItem"),
        ("config", "dynamodb:Query"),
        ("config", "dynamodb:UpdateItem"),
        ("audit", "dynamodb:PutItem"),
    },
    "admin": {
        ("config", "dynamodb:BatchWriteItem"),
        ("config", "dynamodb:GetItem"),
        ("config", "dynamodb:PartiQLSelect"),
        ("config", "dynamodb:PutItem"),
        ("config", "dynamodb:Query"),
        ("config", "dynamodb:UpdateItem"),
        ("jobs", "dynamodb:GetItem"),
        ("jobs/index", "dynamodb:Query"),
        ("audit", "dynamodb:PutItem"),
        ("audit", "dynamodb:Query"),
        ("profiles", "dynamodb:BatchGetItem"),
        ("counters", "dynamodb:GetItem"),
        ("secret", "secretsmanager:GetSecretValue"),
        ("secret", "secretsmanager:PutSecretValue"),
        ("sites", "secretsmanager:GetSecretValue"),
        ("sites", "secretsmanager:PutSecretValue"),
        ("users", "cognito-idp:AdminListGroupsForUser"),
        ("users", "cognito-idp:ListUsers"),
    },
}
NEVER_FOR_DECIDE = {"dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem"}


def _function(xsell: XsellApp, name: str) -> tuple[str, PythonFunction]:
    if name == "importer":
        return "ingest", xsell.ingest.importer
    if name == "affinity":
        return "ingest", xsell.ingest.affinity
    return "api", xsell.api.functions[name]


def _statements(xsell: XsellApp, templates: dict[str, Template], name: str) -> list[dict[str, Any]]:
    concern, fn = _function(xsell, name)
    policies = templates[concern].find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": logical_id(fn.role)}]}}
    )
    assert policies, f"{name}: no inline policy on its role"
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _resource_names(xsell: XsellApp) -> dict[str, str]:
    """Logical id -> the short name used in ALLOWED."""
    names = {logical_id(table): name for name, table in xsell.data.tables.tables.items()}
    names[logical_id(xsell.data.secret)] = "secret"
    names[logical_id(xsell.data.sites_secret)] = "sites"
    names[logical_id(xsell.analytics.stream)] = "stream"
    names[logical_id(xsell.ingest.drop_bucket)] = "drop"
    names[logical_id(xsell.ingest.queue)] = "queue"
    names[logical_id(xsell.admin.user_pool)] = "users"
    return names


def _granted(xsell: XsellApp, templates: dict[str, Template], name: str) -> set[tuple[str, str]]:
    names = _resource_names(xsell)
    found: set[tuple[str, str]] = set()
    for statement in _statements(xsell, templates, name):
        if statement["Effect"] == "Deny":  # narrows a grant (test_no_partiql_select_scans_a_table)
            assert _actions(statement) == ["dynamodb:PartiQLSelect"]
            continue
        assert statement["Effect"] == "Allow"
        actions = set(_actions(statement))
        if actions <= LOGS:
            continue
        if actions <= TRACING:
            assert statement["Resource"] == "*"
            continue
        text = as_json(statement["Resource"])
        targets = {short for lid, short in names.items() if lid in text}
        # CDK merges statements with the same actions: a statement may name several resources,
        # and every resource it names gets every action it lists.
        assert targets, f"{name}: statement {statement} names no known resource"
        for target in targets:
            where = target + "/index" if "/index/" in text else target
            found |= {(where, action) for action in actions}
    return found


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_each_function_is_allowed_exactly_its_calls(
    xsell: XsellApp, templates: dict[str, Template], name: str
) -> None:
    granted = _granted(xsell, templates, name)
    assert granted - ALLOWED[name] == set(), f"{name}: more than its code calls"
    assert ALLOWED[name] - granted == set(), f"{name}: a call its code makes is not allowed"


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_tracing_is_exactly_the_two_xray_writes(
    xsell: XsellApp, templates: dict[str, Template], name: str
) -> None:
    xray = {a for s in _statements(xsell, templates, name) for a in _actions(s) if a.startswith("xray:")}
    assert xray == TRACING


def test_decide_never_scans_deletes_or_writes_whole_items(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    actions = {a for s in _statements(xsell, templates, "decide") for a in _actions(s)}
    assert actions & NEVER_FOR_DECIDE == set()
    assert not any(a.endswith("*") for a in actions if a.startswith("dynamodb:"))


@pytest.mark.parametrize("name", ["collect", "conversions"])
def test_measuring_functions_never_put_or_delete(
    xsell: XsellApp, templates: dict[str, Template], name: str
) -> None:
    actions = {a for s in _statements(xsell, templates, name) for a in _actions(s)}
    assert actions & {"dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:BatchWriteItem"} == set()
    # The guards' keys really are under the prefixes their updates are limited to.
    assert events.seen_key("d1", "top", "click")[0].startswith(counters.SEEN_PREFIX)
    assert events.conversions_key("d1", "top")[0].startswith(counters.SEEN_PREFIX)
    assert events.signature_key("ab" * 32)[0].startswith(counters.SIGNATURE_PREFIX)


def test_collect_cannot_read_any_sites_secret(xsell: XsellApp, templates: dict[str, Template]) -> None:
    text = as_json(_statements(xsell, templates, "collect"))
    assert logical_id(xsell.data.sites_secret) not in text
    assert logical_id(xsell.data.secret) in text


def _conditions(xsell, templates, name: str, table: str, action: str) -> list[Any]:
    table_id = logical_id(xsell.data.tables[table])
    return [
        s.get("Condition")
        for s in _statements(xsell, templates, name)
        if action in _actions(s) and table_id in as_json(s["Resource"])
    ]


def _leading(*prefixes: str) -> dict[str, Any]:
    return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{p}*" for p in prefixes]}}


@pytest.mark.parametrize(
    ("name", "table", "action", "prefixes"),
    [
        ("decide", "profiles", "dynamodb:UpdateItem", (customers.STATE_PREFIX,)),
        (
            "decide",
            "counters",
            "dynamodb:UpdateItem",
            (counters.QUOTA_PREFIX, counters.LEDGER_PREFIX, counters.SIGNATURE_PREFIX),
        ),
        ("decide", "counters", "dynamodb:GetItem", (counters.QUOTA_PREFIX,)),
        ("collect", "counters", "dynamodb:UpdateItem", (counters.QUOTA_PREFIX, counters.SEEN_PREFIX)),
        ("conversions", "counters", "dynamodb:UpdateItem", (counters.SEEN_PREFIX, counters.SIGNATURE_PREFIX)),
        ("importer", "profiles", "dynamodb:DeleteItem", (customers.STATE_PREFIX,)),
        ("admin", "counters", "dynamodb:GetItem", (counters.QUOTA_PREFIX, counters.LEDGER_PREFIX)),
    ],
)
def test_item_writes_are_limited_to_the_functions_own_keys(
    xsell: XsellApp, templates: dict[str, Template], name: str, table: str, action: str, prefixes: tuple
) -> None:
    assert _conditions(xsell, templates, name, table, action) == [_leading(*prefixes)]


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_no_partiql_select_scans_a_table(xsell: XsellApp, templates: dict[str, Template], name: str) -> None:
    """Each table a function may SELECT from carries a Deny of any SELECT that is a full scan."""
    names = _resource_names(xsell)
    statements = _statements(xsell, templates, name)
    selects = {
        short
        for s in statements
        if s["Effect"] == "Allow" and "dynamodb:PartiQLSelect" in _actions(s)
        for lid, short in names.items()
        if lid in as_json(s["Resource"])
    }
    denied = {
        short
        for s in statements
        if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"dynamodb:FullTableScan": "true"}}
        for lid, short in names.items()
        if lid in as_json(s["Resource"])
    }
    assert selects == denied


def test_the_prefixes_are_the_keys_the_dal_writes() -> None:
    assert counters.quota_pk("campaign", "c1", "served", "d2026-11-30").startswith(counters.QUOTA_PREFIX)
    assert counters.ledger_pk("b", "a").startswith(counters.LEDGER_PREFIX)
    assert customers.state_key("c1")["customer_id"]["S"].startswith(customers.STATE_PREFIX)
    assert not customers.profile_key("c1")["customer_id"]["S"].startswith(customers.STATE_PREFIX)


def test_admin_managed_policies_are_the_drop_and_reports_ones_only(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    role = templates["api"].find_resources("AWS::IAM::Role")[logical_id(xsell.api.functions["admin"].role)]
    arns = as_json(role["Properties"].get("ManagedPolicyArns", []))
    assert logical_id(xsell.ingest.admin_drop_access) in arns
    assert len(role["Properties"]["ManagedPolicyArns"]) == 2  # the drop bucket's and the reports'
    drop = templates["ingest"].find_resources("AWS::IAM::ManagedPolicy")[
        logical_id(xsell.ingest.admin_drop_access)
    ]
    actions = {a for s in drop["Properties"]["PolicyDocument"]["Statement"] for a in _actions(s)}
    assert actions == {"s3:GetObject", "s3:PutObject"}


def test_importer_has_no_counters_access_or_variable(xsell: XsellApp, templates: dict[str, Template]) -> None:
    counters_id = logical_id(xsell.data.tables["counters"])
    assert counters_id not in as_json(_statements(xsell, templates, "importer"))
    fn = templates["ingest"].find_resources("AWS::Lambda::Function")[
        logical_id(xsell.ingest.importer.function)
    ]
    variables = fn["Properties"]["Environment"]["Variables"]
    assert xsell.data.tables.schemas["counters"].env_var not in variables


def test_the_affinity_scan_reads_only_keys_and_brand_maps(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    """The one function that may Scan the profiles may read the attributes its Scan names, and
    only with a request that asks for exactly those (not whole items: names, ranks, lifetime values)."""
    (scan,) = [s for s in _statements(xsell, templates, "affinity") if "dynamodb:Scan" in _actions(s)]
    assert _actions(scan) == ["dynamodb:Scan"]
    assert scan["Condition"] == {
        "ForAllValues:StringEquals": {"dynamodb:Attributes": list(profiles.BRAND_USAGE_ATTRIBUTES)},
        "StringEquals": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
    }
    assert set(profiles.BRAND_USAGE_ATTRIBUTES) == {"customer_id", "brands"}
