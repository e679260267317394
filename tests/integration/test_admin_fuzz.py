"""Schemathesis against the admin API through the local gateway, signed in as a brand marketer:
whatever is sent, no 5xx and a documented answer.

A brand marketer can write (drafts of their brand, approvals, publishes of their brand's ready
changes) but cannot roll back or touch group settings, so the fuzzer exercises the write paths
without being able to replace the demo config the other tests read.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from demo.users import PASSWORD
from local.openapi import DOCUMENT
from xsell import roles

EXAMPLES = int(os.environ.get("XSELL_ADMIN_FUZZ_EXAMPLES", "12"))  # per operation and mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_path(DOCUMENT).include(path_regex="^/admin/")
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=EXAMPLES,
)
schema.config.phases.coverage.unexpected_methods = set()  # the public fuzz test covers methods


@pytest.fixture(scope="module")
def token(local_system) -> str:
    pool = local_system.user_pool
    pool.create_user("fuzz@xsell.example", PASSWORD, roles.BRAND_MARKETER, "hana")
    return str(pool.sign_in("fuzz@xsell.example", PASSWORD)["id_token"])


@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_no_server_error_and_every_admin_answer_is_documented(case, local_system, token):
    crashes = local_system.gateway.errors
    response = case.call(
        base_url=local_system.gateway.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    case.validate_response(response, checks=CHECKS)
    assert local_system.gateway.errors == crashes, "a handler raised (see the captured log)"
