"""docs/openapi.json is what the handlers' routes generate, a valid OpenAPI 3.1 document, and true
to the domain's validators: what it calls valid, the domain accepts."""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from local.openapi import DOCUMENT, ROOT, build, render
from xsell import api_contract
from xsell.decisioning import catalog, request
from xsell.http import STATUS
from xsell.measuring import events
from xsell.measuring.events import Reason
from xsell.measuring.service import Outcome
from xsell.topology import API_ROUTES

JSON, TEXT = "application/json", "text/plain"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op) for path, item in document["paths"].items() for method, op in item.items()
    ]


def test_the_committed_document_is_the_generated_one(document):
    committed = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.is_file() else ""
    generated = render(document)
    if committed != generated:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.splitlines(keepends=True),
                "docs/openapi.json (committed)",
                "docs/openapi.json (generated from the routes)",
            )
        )
        pytest.fail(
            "docs/openapi.json no longer matches the API routes and xsell.api_contract.\n"
            "Regenerate it with `make openapi` (or `.venv/bin/python -m local.openapi`) and commit it.\n\n"
            + diff[:6000],
            pytrace=False,
        )


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"].startswith("3.1")
    for _, _, op in _operations(document):
        bodies = [media["schema"] for media in op.get("requestBody", {}).get("content", {}).values()]
        bodies += [m["schema"] for r in op["responses"].values() for m in r.get("content", {}).values()]
        for schema in bodies:
            Draft202012Validator.check_schema(schema)


def _admin_routes() -> set[tuple[str, str]]:
    from functions.admin.handler import app

    routes = [*app._static_routes, *app._dynamic_routes]
    return {(r.method.upper(), r.path.replace("<", "{").replace(">", "}")) for r in routes}


def test_every_route_is_documented_and_nothing_else(document):
    documented = {(method, path) for method, path, _ in _operations(document)}
    public = {(r.method, r.path) for r in API_ROUTES if not r.authorized}
    assert {(m, p) for m, p in documented if not p.startswith("/admin/")} == public
    assert {(m, p) for m, p in documented if p.startswith("/admin/")} == _admin_routes()
    assert all(
        p.startswith(r.path.removesuffix("{proxy+}"))
        for r in API_ROUTES
        if r.authorized
        for _, p in _admin_routes()
    )


def test_admin_operations_need_a_sign_in_and_answer_401_and_403(document):
    for method, path, op in _operations(document):
        if path.startswith("/admin/"):
            assert op["security"] == [{"cognito": []}], (method, path)
            assert {"401", "403"} <= set(op["responses"]), (method, path)
    assert document["components"]["securitySchemes"]["cognito"]["name"] == "Authorization"


def test_bodies_are_json_sent_as_json_or_as_the_tags_text_plain(document):
    for _, path, op in _operations(document):
        if path.startswith("/admin/"):
            continue
        content = op["requestBody"]["content"]
        assert set(content) == {JSON, TEXT}
        assert content[TEXT]["schema"]["contentMediaType"] == JSON
        assert content[TEXT]["schema"]["contentSchema"] == content[JSON]["schema"]
        assert op["requestBody"]["required"] is True


def test_every_error_answer_has_the_status_and_code_of_xsell_http(document):
    codes: dict[int, set[str]] = {503: {api_contract.UNAVAILABLE}}
    for _, status, code in STATUS:
        codes.setdefault(status, set()).add(code)
    for method, path, op in _operations(document):
        errors = {int(status): r for status, r in op["responses"].items() if int(status) >= 400}
        assert errors, f"{method} {path} documents no error answer"
        for status, answer in errors.items():
            schema = answer["content"][JSON]["schema"]
            assert schema["required"] == ["error", "message"]
            enum = schema["properties"]["error"]["enum"]
            # 409 answers name which rule of state was broken (exists, in_use, version_moved...).
            assert status == 409 or set(enum) <= codes[status], (method, path, status)


def test_the_contract_states_the_domains_own_limits():
    """Written out in the contract (cold start), so held to the domain's values here (customer ids,
    devices and templates are not: the contract and the domain both read xsell.vocabulary)."""
    assert request._NAME.pattern == events._SITE.pattern == api_contract.KEY_PATTERN
    assert events._ORDER.pattern == api_contract.ORDER_ID_PATTERN
    assert events._CURRENCY.pattern == api_contract.CURRENCY_PATTERN
    assert request.MAX_SLOTS == api_contract.MAX_SLOTS
    assert catalog.MAX_FIELD_CHARS == api_contract.MAX_FIELD_CHARS
    assert (events.MAX_BODY_BYTES, events.MAX_EVENTS, events.MAX_ORDER_VALUE) == (
        api_contract.MAX_BODY_BYTES,
        api_contract.MAX_EVENTS,
        api_contract.MAX_ORDER_VALUE,
    )
    assert (*api_contract.SLOT_EVENT_TYPES, "conversion") == events.EVENT_TYPES
    assert tuple(r.value for r in Reason) == api_contract.REJECTION_REASONS


def _json_bodies(document: dict[str, Any], path: str) -> Any:
    operation = schemathesis.openapi.from_dict(document)[path]["POST"]
    # Valid bodies only, as JSON (the text/plain variant carries the same schema as a string).
    return operation.as_strategy().filter(lambda case: case.media_type == JSON).map(lambda case: case.body)


@pytest.fixture(scope="module")
def decide_bodies(document):
    return _json_bodies(document, "/v1/decide")


@pytest.fixture(scope="module")
def event_batches(document):
    return _json_bodies(document, "/v1/events")


_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@_SETTINGS
@given(data=st.data())
def test_every_documented_decide_body_passes_the_domains_validation(decide_bodies, data):
    body = data.draw(decide_bodies)
    parsed = request.parse(body)
    assert parsed.site == body["site"]


@_SETTINGS
@given(data=st.data())
def test_every_documented_event_batch_passes_the_domains_validation(event_batches, data):
    body = data.draw(event_batches)
    text = json.dumps(body)
    assume(len(text.encode()) <= events.MAX_BODY_BYTES)  # a byte limit JSON Schema cannot say
    batch = events.parse_batch(text)
    assert len(batch.events) == len(body["events"])


def test_the_collect_answer_matches_its_documented_schema():
    outcome = Outcome(accepted=2, rejections=[(1, Reason.DUPLICATE), (3, Reason.TOKEN_EXPIRED)])
    Draft202012Validator(api_contract.EVENTS_RESPONSE).validate(outcome.as_response())
    Draft202012Validator(api_contract.EVENTS_RESPONSE).validate(Outcome().as_response())


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``, as the handlers see them."""
    env = {
        **os.environ,
        "XSELL_STAGE": "local",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'layers/core/python'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", f"{code}; import sys; print(' '.join(sys.modules))"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def test_the_handlers_import_no_pydantic():
    """The contract is plain dicts so that the decide cold start stays small (tests.bench)."""
    modules = _modules_after("import functions.decide.handler, functions.collect.handler")
    assert {m.split(".")[0] for m in modules} & {"pydantic", "pydantic_core"} == set()


def test_decide_is_documented_by_powertools_but_does_not_import_its_event_handler():
    """Its routes are declared on xsell.proxy; only local.openapi hands them to Powertools."""
    modules = _modules_after("import functions.decide.handler")
    assert "aws_lambda_powertools.event_handler" not in modules
    assert "functions.decide.handler" in modules


def test_the_document_declares_decide_as_its_router_does(document):
    from functions.decide.handler import app

    declared = {(route.method, route.path): dict(route.openapi) for route in app.routes}
    assert declared == {
        ("POST", "/v1/decide"): api_contract.DECIDE_ROUTE,
        ("OPTIONS", "/v1/decide"): {"include_in_schema": False},
    }
    assert document["paths"]["/v1/decide"]["post"]["operationId"] == api_contract.DECIDE_ROUTE["operation_id"]
    assert "options" not in document["paths"]["/v1/decide"]
