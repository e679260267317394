"""Schemathesis against the local gateway: whatever is sent, no 5xx and a documented answer.

Requests are generated from the committed ``docs/openapi.json``, valid ones and deliberately
invalid ones, as JSON and as the tag's ``text/plain``. Generated values alone rarely get past the
first check (no site is called "0", no random token verifies), so part of the bodies is steered
onto the demo config: a real site key for decide, real slot and referral tokens for events.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from demo.brands import BRANDS, SLOT
from local.openapi import DOCUMENT

EXAMPLES = int(os.environ.get("XSELL_FUZZ_EXAMPLES", "60"))  # per operation and generation mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SITES = [brand.site_id for brand in BRANDS]

schema = schemathesis.openapi.from_path(DOCUMENT)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=EXAMPLES,
)
# Methods the routes do not have are tried too, TRACE included: the local gateway answers them as
# API Gateway does (403, "Missing Authentication Token"); QUERY is no HTTP/1.1 method to http.server.
schema.config.phases.coverage.unexpected_methods = {"get", "put", "delete", "options", "patch", "trace"}


def _post(url: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture(scope="module")
def real_tokens(local_system) -> dict[str, str]:
    """A slot token and a referral token that collect will verify."""
    status, answer = _post(
        f"{local_system.gateway.url}/v1/decide",
        {"site": "hana-web", "customer": {"id": "fuzz-customer"}, "slots": [SLOT]},
        {"Origin": local_system.site_urls["hana"]},  # the site's page: its campaigns take caps
    )
    assert status == 200 and answer["slots"], answer
    shown = next(iter(answer["slots"].values()))
    return {"token": shown["token"], "ref": shown["ref"]}


def _with_real_site(body: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(SITES).map(lambda site: {**body, "site": site})


def _with_real_tokens(body: dict[str, Any], tokens: dict[str, str]) -> dict[str, Any]:
    events = [
        {**event, **{k: v for k, v in tokens.items() if k in event}} if isinstance(event, dict) else event
        for event in body["events"]
    ]
    return {**body, "events": events}


@pytest.fixture(scope="module")
def steered(real_tokens: dict[str, str]) -> Iterator[None]:
    """Generated object bodies get a real site key (decide) or real tokens (events), or stay as they are."""

    @schema.hook
    def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
        path = context.operation.path if context.operation else None
        if path == "/v1/decide" and isinstance(body, dict):
            return st.one_of(_with_real_site(body), st.just(body))
        if path == "/v1/events" and isinstance(body, dict) and isinstance(body.get("events"), list):
            return st.sampled_from([_with_real_tokens(body, real_tokens), body])
        return st.just(body)

    yield
    schema.hooks.unregister(flatmap_body)


@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_no_server_error_and_every_answer_is_documented(case, local_system, steered):
    crashes = local_system.gateway.errors
    response = case.call(base_url=local_system.gateway.url, timeout=10)
    case.validate_response(response, checks=CHECKS)
    assert local_system.gateway.errors == crashes, "a handler raised (see the captured log)"


NON_ASCII_TOKEN = "e30.\u00e9"  # one dot, like a real token, and a character outside ASCII


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/events", {"events": [{"type": "impression", "token": NON_ASCII_TOKEN}]}),
        (
            "/v1/events",
            {
                "events": [
                    {
                        "type": "conversion",
                        "ref": NON_ASCII_TOKEN,
                        "order_id": "A1",
                        "value": 1,
                        "currency": "JPY",
                    }
                ]
            },
        ),
        ("/v1/decide", {"site": "hana-web", "customer": {"token": NON_ASCII_TOKEN}, "slots": [SLOT]}),
        (
            "/v1/decide",
            {"site": "hana-web", "customer": {"id": "c1"}, "slots": [SLOT], "preview": NON_ASCII_TOKEN},
        ),
    ],
    ids=["impression-token", "conversion-ref", "identity-token", "preview-token"],
)
def test_a_token_outside_ascii_is_refused_not_a_crash(local_system, path, body):
    """Found by the fuzzer: ``signing.verify`` hands such a MAC to ``hmac.compare_digest`` as ``str``."""
    status, answer = _post(f"{local_system.gateway.url}{path}", body)
    assert status < 500, answer
