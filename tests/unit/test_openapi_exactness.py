"""The public API's schemas say exactly what the handlers accept: no body the schema calls valid is
refused for its shape, and nothing the domain requires is missing from the schema."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from tests import decide_contract as contract
from xsell import api_contract
from xsell.errors import InvalidRequest
from xsell.measuring.events import Reason, Rejected, check, parse_batch

KEY = b"k" * 32
NOW = None  # tokens signed and checked at the current time
CLAIMS = contract.demo_claims(KEY, "C000001")
CONVERSION = {
    "type": "conversion",
    "ref": contract.ref_token(KEY, CLAIMS, now=NOW),
    "order_id": "A-1",
    "value": 3980,
    "currency": "JPY",
}


def _text_schema(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(api_contract.request_body(schema, "")["content"]["text/plain"]["schema"])


@pytest.mark.parametrize("body", ["", " ", "\r\n", "null", "[]", '"{}"', "{", "42"])
def test_a_text_plain_body_that_is_no_json_object_is_invalid_by_the_schema_and_refused(body):
    for schema in (api_contract.DECIDE_REQUEST, api_contract.EVENTS_REQUEST):
        assert not _text_schema(schema).is_valid(body), (schema["title"], body)
    with pytest.raises(InvalidRequest):
        parse_batch(body)  # and decide's handler answers them 400: tests/integration/test_api_bodies.py


def test_a_text_plain_json_object_is_valid_by_the_string_schema():
    batch = json.dumps({"events": [CONVERSION]})
    for text in (batch, f" \n{batch}\r\n"):
        assert _text_schema(api_contract.EVENTS_REQUEST).is_valid(text)
        assert len(parse_batch(text).events) == 1


def test_a_conversion_is_refused_without_each_field_its_schema_requires():
    conversion_schema = api_contract.EVENTS_REQUEST["properties"]["events"]["items"]["oneOf"][1]
    assert Draft202012Validator(conversion_schema).is_valid(CONVERSION)
    assert check(CONVERSION, KEY, NOW).order.currency == "JPY"
    for field in conversion_schema["required"]:
        without = {k: v for k, v in CONVERSION.items() if k != field}
        assert not Draft202012Validator(conversion_schema).is_valid(without)
        with pytest.raises(Rejected) as refused:
            check(without, KEY, NOW)
        refusals = (Reason.INVALID_ORDER, Reason.INVALID_EVENT, Reason.UNKNOWN_TYPE)
        assert refused.value.reason in refusals, field
