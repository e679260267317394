"""What the public API's schema calls an invalid body, the local gateway answers with a 4xx; what
API Gateway answers for a method or path without a route, the local gateway answers too."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from jsonschema import Draft202012Validator

from local.openapi import DOCUMENT

PUBLIC = ("/v1/decide", "/v1/events")


def _send(url: str, method: str, body: bytes | None, content_type: str | None) -> tuple[int, dict]:
    headers = {"content-type": content_type} if content_type else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.parametrize("path", PUBLIC)
@pytest.mark.parametrize("body", ["", "   ", "null", "[]"])
def test_a_text_plain_body_the_document_calls_invalid_is_a_400(local_system, path, body):
    document = json.loads(DOCUMENT.read_text())
    schema = document["paths"][path]["post"]["requestBody"]["content"]["text/plain"]["schema"]
    assert not Draft202012Validator(schema).is_valid(body)
    status, answer = _send(local_system.gateway.url + path, "POST", body.encode(), "text/plain")
    assert (status, answer["error"]) == (400, "invalid_request")


@pytest.mark.parametrize("method", ["TRACE", "GET", "PUT", "DELETE", "PATCH", "HEAD"])
@pytest.mark.parametrize("path", PUBLIC)
def test_a_method_the_route_does_not_have_is_api_gateway_s_403(local_system, method, path):
    request = urllib.request.Request(local_system.gateway.url + path, method=method)
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=10)
    assert answer.value.code == 403
    body = answer.value.read()
    assert body == (b"" if method == "HEAD" else b'{"message":"Missing Authentication Token"}')
