"""The server-to-server conversion route: public, on its own function, and without a browser preflight."""

from __future__ import annotations

from aws_cdk.assertions import Template

from infra.app import XsellApp
from tests.infra.conftest import logical_id
from tests.infra.test_api import _methods


def test_conversions_route_is_public_reaches_its_function_and_has_no_cors_preflight(
    xsell: XsellApp, templates: dict[str, Template]
) -> None:
    methods = _methods(xsell, templates["api"])
    props = methods[("/v1/conversions", "POST")]
    assert props["AuthorizationType"] == "NONE"
    function_id = logical_id(xsell.api.functions["conversions"].function)
    assert {"Fn::GetAtt": [function_id, "Arn"]} in props["Integration"]["Uri"]["Fn::Join"][1]
    # Called by the sites' servers, never by browsers: nothing answers a preflight for it.
    assert ("/v1/conversions", "OPTIONS") not in methods
    assert ("/v1/events", "OPTIONS") in methods
